// Shared helpers of the end-to-end tests: settings from the environment, the
// browser (Debian's Chromium through playwright-core: never a browser
// download), an API client for checking what the UI shows, and figures.

import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the e2e needs a running \`lockstep serve\` (BASE_URL) and an analyst or admin key (API_KEY)`);
  return v;
}

export const settings = {
  baseURL: need('BASE_URL').replace(/\/+$/, ''),
  apiKey: need('API_KEY'),
  viewerKey: process.env.VIEWER_KEY || '',
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  // docs/screenshots is written only by `make screenshots`; a test run keeps its pictures in out/.
  screenshots: resolve(process.env.SCREENSHOT_DIR || join(here, 'out', 'screenshots')),
  figuresFile: resolve(process.env.E2E_FIGURES || join(here, 'out', 'figures.json')),
  runTimeoutMs: Number(process.env.E2E_RUN_TIMEOUT_MS || 600_000),
  // Issue 5's target for the first load, checked by bench-first-load.mjs.
  firstLoadTargetMs: Number(process.env.E2E_FIRST_LOAD_TARGET_MS || 1000),
};

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebGL without a GPU: SwiftShader, which recent Chromium only enables on request.
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

/** launch starts Chromium with a fresh temporary profile (playwright-core makes one per launch). */
export async function launch() {
  if (!existsSync(settings.chromium)) throw new Error(`${settings.chromium} not found: apt-get install -y chromium`);
  return chromium.launch({ executablePath: settings.chromium, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** newContext opens a 1440×900 browser context; with `key`, every page starts signed in (sessionStorage). */
export async function newContext(browser, key) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, baseURL: settings.baseURL });
  if (key) await ctx.addInitScript((k) => sessionStorage.setItem('lockstep.apiKey', k), key);
  return ctx;
}

/** watch collects page errors and failed API requests so tests can assert there were none. */
export function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Offline by design: every request must go to the Lockstep server itself (or be data:/blob:).
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(settings.baseURL) && !/^(data|blob):/.test(u) && !u.startsWith(settings.baseURL.replace(/^http/, 'ws'))) problems.push(`request outside the server: ${u}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return problems;
}

export async function screenshot(page, name, opts = {}) {
  mkdirSync(settings.screenshots, { recursive: true });
  const path = join(settings.screenshots, `${name}.png`);
  await page.screenshot({ path, ...opts });
  return path;
}

/** gql queries the API directly (not through the UI), to check what the UI shows. */
export async function gql(query, variables = {}, key = settings.apiKey) {
  const res = await fetch(`${settings.baseURL}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`API: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

const figures = {};
/** figure records a measured number and prints it as `FIGURE name = value unit`. */
export function figure(name, value, unit) {
  figures[name] = { value: Math.round(value * 100) / 100, unit };
  console.log(`FIGURE ${name} = ${figures[name].value} ${unit}`);
  mkdirSync(dirname(settings.figuresFile), { recursive: true });
  writeFileSync(settings.figuresFile, JSON.stringify({ at: new Date().toISOString(), baseURL: settings.baseURL, figures }, null, 2) + '\n');
}

/** openLabGraph opens the graph lab with `nodes` generated nodes and waits until their layout is done. */
export async function openLabGraph(page, nodes) {
  await page.goto(`/#/lab/graph?nodes=${nodes}&layoutMs=4000`);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=graph]')?.getAttribute('data-nodes') ?? 0) >= n, nodes, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=graph]')?.getAttribute('data-layout') === 'done', null, { timeout: 60_000 });
  await page.waitForTimeout(500);
}

/**
 * measurePan drags the graph's camera through 60 mouse moves and waits for
 * the camera to settle. It returns the page's frame intervals and sigma's
 * render times during the pan (its public beforeRender/afterRender events),
 * and the camera before and after.
 */
export async function measurePan(page) {
  await page.evaluate(() => {
    const sigma = document.querySelector('[data-testid=graph]').__sigma;
    window.__pan = { frames: [], renders: [], start: sigma.getCamera().getState(), on: true };
    let t0 = 0;
    sigma.on('beforeRender', () => (t0 = performance.now()));
    sigma.on('afterRender', () => {
      if (!window.__pan.on) return;
      window.__pan.renders.push(performance.now() - t0);
    });
    const loop = (t) => {
      window.__pan.frames.push(t);
      if (window.__pan.on) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  const box = await page.getByTestId('graph').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 60; i++) {
    await page.mouse.move(cx + Math.sin(i / 10) * 250, cy + Math.cos(i / 10) * 150 - 150, { steps: 1 });
  }
  await page.mouse.up();
  // The pan ends with sigma's inertia animation; how long that takes depends
  // on the machine's frame time.
  await page
    .waitForFunction(
      () => {
        const sigma = document.querySelector('[data-testid=graph]').__sigma;
        return !sigma.getCamera().isAnimated();
      },
      null,
      { timeout: 15_000 },
    )
    .catch(() => {}); // the caller's assertions say what was missing
  return page.evaluate(() => {
    window.__pan.on = false;
    const sigma = document.querySelector('[data-testid=graph]').__sigma;
    const f = window.__pan.frames;
    return { intervals: f.slice(1).map((t, i) => t - f[i]), renders: window.__pan.renders, start: window.__pan.start, end: sigma.getCamera().getState(), nodes: sigma.getGraph().order, edges: sigma.getGraph().size };
  });
}

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, mean: NaN, p50: NaN, p95: NaN, max: NaN };
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

export { readFileSync };
