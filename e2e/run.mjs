// Runs the e2e tests with node's test runner, prints its spec report, then
// one closing line `N passed, N failed` and exits non-zero on any failure.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let passed = 0;
let failed = 0;
let skipped = 0;
const stream = run({ files: [join(here, 'ui.test.mjs')], concurrency: 1, timeout: 30 * 60_000 });
stream.on('test:pass', (d) => {
  if (d.details?.type === 'suite') return;
  if (d.skip || d.todo) skipped++;
  else passed++;
});
stream.on('test:fail', (d) => {
  if (d.details?.type === 'suite') return;
  failed++;
});
stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  if (passed + failed === 0) failed = 1; // a run that tested nothing is a failure
  console.log(`\ne2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
});
