// GraphQL Code Generator: TypeScript types for every operation in
// src/graphql/*.graphql, generated from the server's schema files. The
// output (src/gql/) is checked in; `npm run codegen:check` fails when it is
// out of date, and `tsc` over it fails when a schema change breaks the UI.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../graph/schema/*.graphqls',
  documents: ['src/graphql/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Enums as string unions: no runtime objects in the bundle.
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
        scalars: { Time: 'string', JSON: 'unknown' },
        strictScalars: true,
      },
    },
    // The SignalName values with their schema descriptions, for the signal
    // filter: read at build time instead of by introspection at run time.
    'src/gql/enumValues.ts': {
      plugins: ['./scripts/codegen-enum-values.cjs'],
      config: { enums: ['SignalName'] },
    },
  },
};

export default config;
