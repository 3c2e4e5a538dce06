// Prints the gzipped size of what each page loads: the UI's first load (the
// entry and its static imports), everything the UI can load (plus its lazy
// chunks), and the playground. Follows imports in the built files, so it
// needs no bundler manifest. Exits 1 when the UI's first load exceeds 150 kB
// of gzipped JavaScript (issue 15) or all of its JavaScript 500 kB (issue 5).
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const BUDGET = 500_000;
const FIRST_LOAD_BUDGET = 150_000;
if (!existsSync(join(dist, 'index.html'))) {
  console.error('dist/index.html missing: run `npm run build` first');
  process.exit(2);
}
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;

// Asset names referenced by a file: "./x.js" (static import, same folder) or "assets/x.js" (preload map, dynamic import).
function refs(file) {
  const text = readFileSync(join(dist, file), 'utf8');
  const out = { static: new Set(), dynamic: new Set() };
  if (file.endsWith('.html')) {
    for (const m of text.matchAll(/(?:src|href)="\/?(assets\/[\w.-]+\.(?:js|css))"/g)) out.static.add(m[1]);
    return out;
  }
  if (!file.endsWith('.js')) return out;
  for (const m of text.matchAll(/(?:from|import)\s*"\.\/([\w.-]+\.js)"/g)) out.static.add(`assets/${m[1]}`);
  for (const m of text.matchAll(/import\("\.\/([\w.-]+\.js)"\)/g)) out.dynamic.add(`assets/${m[1]}`);
  for (const m of text.matchAll(/"(assets\/[\w.-]+\.(?:js|css))"/g)) out.dynamic.add(m[1]);
  for (const m of text.matchAll(/new URL\("([\w.-]+\.js)",import\.meta\.url\)/g)) out.dynamic.add(`assets/${m[1]}`);
  return out;
}

function closure(entry, followDynamic) {
  const seen = new Set();
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop();
    if (seen.has(f) || !existsSync(join(dist, f))) continue;
    seen.add(f);
    const r = refs(f);
    for (const x of r.static) stack.push(x);
    if (followDynamic) for (const x of r.dynamic) stack.push(x);
  }
  seen.delete(entry);
  return [...seen];
}

function report(name, files) {
  const js = files.filter((f) => f.endsWith('.js'));
  const css = files.filter((f) => f.endsWith('.css'));
  const jsGz = js.reduce((s, f) => s + gz(f), 0);
  const cssGz = css.reduce((s, f) => s + gz(f), 0);
  console.log(`${name.padEnd(34)} JS ${(jsGz / 1000).toFixed(1).padStart(7)} kB gz in ${String(js.length).padStart(2)} files, CSS ${(cssGz / 1000).toFixed(1)} kB gz`);
  return jsGz;
}

const first = report('UI first load (networks page)', closure('index.html', false));
const all = report('UI all chunks (incl. graph view)', closure('index.html', true));
report('Playground (GraphiQL + Monaco)', closure('playground/index.html', true));
console.log(`UI first-load budget: ${(first / 1000).toFixed(1)} kB of ${FIRST_LOAD_BUDGET / 1000} kB gzipped${first > FIRST_LOAD_BUDGET ? ' — OVER BUDGET' : ''}`);
console.log(`UI JavaScript budget: ${(all / 1000).toFixed(1)} kB of ${BUDGET / 1000} kB gzipped${all > BUDGET ? ' — OVER BUDGET' : ''}`);
if (first > all) throw new Error('first load larger than all chunks: import walk is broken');
process.exit(all > BUDGET || first > FIRST_LOAD_BUDGET ? 1 : 0);
