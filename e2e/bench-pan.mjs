// Benchmark of a 5,000-node pan with the shipped renderer (sigma's own, with
// edges and labels hidden while the camera moves). A fresh browser per pan,
// so one slow start does not colour the rest. Needs BASE_URL and API_KEY like
// the e2e suite; `npm run bench:pan`.
import { launch, measurePan, newContext, openLabGraph, settings, stats } from './lib.mjs';

async function pan() {
  const browser = await launch();
  const ctx = await newContext(browser, settings.apiKey);
  const page = await ctx.newPage();
  await openLabGraph(page, 5000);
  const r = await measurePan(page);
  await browser.close();
  const fi = stats(r.intervals), rt = stats(r.renders);
  return { frameMean: fi.mean, frameP95: fi.p95, renders: rt.n, renderP95: rt.p95 };
}

const rounds = Number(process.env.PAN_ROUNDS || 4);
const runs = [];
for (let i = 0; i < rounds; i++) {
  const r = await pan();
  runs.push(r);
  console.log(`pan ${i + 1}: frame interval mean ${r.frameMean.toFixed(1)} ms, p95 ${r.frameP95.toFixed(1)} ms; sigma render p95 ${r.renderP95.toFixed(1)} ms (${r.renders} renders)`);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log(`median frame interval over ${rounds} pans: ${median(runs.map((r) => r.frameMean)).toFixed(1)} ms`);
