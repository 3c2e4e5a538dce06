// Benchmark of a 5,000-node pan, A/B in one run: "skip" is the shipped
// renderer (no picking pass while the camera moves), "pick" is sigma's own
// render. A fresh browser per pan, in ABBA order, so machine drift falls on
// both alike. Needs BASE_URL and API_KEY like the e2e suite; `npm run bench:pan`.
import { launch, measurePan, newContext, openLabGraph, settings, stats } from './lib.mjs';

async function pan(variant) {
  const browser = await launch();
  const ctx = await newContext(browser, settings.apiKey);
  const page = await ctx.newPage();
  await openLabGraph(page, 5000);
  const r = await measurePan(page, { sigmaPicking: variant === 'pick' });
  await browser.close();
  const fi = stats(r.intervals), rt = stats(r.renders);
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
