import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cacheKeys } from './cacheKeys';

const dir = join(import.meta.dirname, '..', '..', '..', 'graph', 'schema');
const schema = buildSchema(readdirSync(dir).filter((f) => f.endsWith('.graphqls')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n'));
const objectTypes = Object.values(schema.getTypeMap()).filter(
  (t) => isObjectType(t) && !t.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(t.name),
) as import('graphql').GraphQLObjectType[];

describe('cacheKeys', () => {
  it('says how to key every object type of the schema without an id', () => {
    const missing = objectTypes.filter((t) => !t.getFields().id && !(t.name in cacheKeys)).map((t) => t.name);
    expect(missing).toEqual([]);
  });

  it('names only types the schema has, by fields they have', () => {
    const byName = new Map(objectTypes.map((t) => [t.name, t]));
    expect(Object.keys(cacheKeys).filter((n) => !byName.has(n))).toEqual([]);
    expect(Object.keys(byName.get('IP')!.getFields())).toContain('addr');
    expect(Object.keys(byName.get('Target')!.getFields())).toContain('key');
    expect(Object.keys(byName.get('Viewer')!.getFields())).toContain('keyId');
  });

  it('keys entities by their identifying field and embeds the rest', () => {
    expect(cacheKeys.IP!({ __typename: 'IP', addr: '10.0.0.1' })).toBe('10.0.0.1');
    expect(cacheKeys.Target!({ __typename: 'Target', key: 't1' })).toBe('t1');
    expect(cacheKeys.GraphNode!({ __typename: 'GraphNode', id: 'a1' })).toBeNull();
  });
});
