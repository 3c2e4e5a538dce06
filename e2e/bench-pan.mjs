// Benchmark of a 5,000-node pan, A/B in one run: "skip" is the shipped
// renderer (no picking pass while the camera moves), "pick" is sigma's own
// render. A fresh browser per pan, in ABBA order, so machine drift falls on
// both alike. Needs BASE_URL and API_KEY like the e2e suite; `npm run bench:pan`.
import { launch, newContext, settings, stats } from './lib.mjs';

async function pan(variant) {
  const browser = await launch();
  const ctx = await newContext(browser, settings.apiKey);
  const page = await ctx.newPage();
  await page.goto('/#/lab/graph?nodes=5000&layoutMs=4000');
  await page.waitForFunction(() => document.querySelector('[data-testid=graph]')?.getAttribute('data-layout') === 'done', null, { timeout: 60_000 });
  await page.waitForTimeout(500);
  await page.evaluate((variant) => {
    const sigma = document.querySelector('[data-testid=graph]').__sigma;
    if (variant === 'pick') for (const p of Object.values(sigma.nodePrograms)) delete p.render;
    window.__pan = { frames: [], renders: [], on: true };
    let t0 = 0;
    sigma.on('beforeRender', () => (t0 = performance.now()));
    sigma.on('afterRender', () => window.__pan.on && window.__pan.renders.push(performance.now() - t0));
    const loop = (t) => { window.__pan.frames.push(t); if (window.__pan.on) requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
  }, variant);
  const box = await page.getByTestId('graph').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy); await page.mouse.down();
  for (let i = 1; i <= 60; i++) await page.mouse.move(cx + Math.sin(i / 10) * 250, cy + Math.cos(i / 10) * 150 - 150, { steps: 1 });
  await page.mouse.up();
  await page.waitForTimeout(300);
  const r = await page.evaluate(() => { window.__pan.on = false; const f = window.__pan.frames; return { iv: f.slice(1).map((t, i) => t - f[i]), rd: window.__pan.renders }; });
  const fi = stats(r.iv), rt = stats(r.rd);
  await browser.close();
  return { variant, frameMean: fi.mean, frameP95: fi.p95, renders: rt.n, renderP95: rt.p95 };
}

const rounds = Number(process.env.PAN_ROUNDS || 2);
const runs = [];
for (let i = 0; i < rounds; i++) {
  for (const v of ['pick', 'skip', 'skip', 'pick']) {
    const r = await pan(v);
    runs.push(r);
    console.log(`${v}: frame interval mean ${r.frameMean.toFixed(1)} ms, p95 ${r.frameP95.toFixed(1)} ms; sigma render p95 ${r.renderP95.toFixed(1)} ms (${r.renders} renders)`);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const of = (v) => runs.filter((r) => r.variant === v).map((r) => r.frameMean);
const pick = median(of('pick'));
const skip = median(of('skip'));
console.log(`median frame interval: with picking pass ${pick.toFixed(1)} ms, without ${skip.toFixed(1)} ms: ${(pick / skip).toFixed(2)}x`);
