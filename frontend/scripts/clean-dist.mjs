// Empties dist/ before a build but keeps dist/.gitkeep: the Go package embeds
// "all:dist", so a fresh clone must have a dist/ directory with a tracked file in
// it for `go build` to succeed before anyone has run the frontend build. Vite's
// own emptyOutDir would delete the placeholder, so it is switched off in
// vite.config.ts and this script does the cleaning instead.
import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
mkdirSync(dist, { recursive: true });
for (const name of readdirSync(dist)) {
  if (name === '.gitkeep') continue;
  rmSync(join(dist, name), { recursive: true, force: true });
}
