// Detection writes a network's evidence and signal details as free JSON (see
// Network.evidence / Signal.detail). The UI shows it as plain sentences with
// their numbers, whatever the exact shape: strings are sentences already,
// objects with a text-like field use it, other values become "Label: value".

import { humanise } from './format';

const TEXT_KEYS = ['sentence', 'text', 'summary', 'message', 'description'];

function formatValue(v: unknown): string {
  // Four significant digits: keeps small ratios (a 0.85% hit ratio is 0.0085) readable.
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(formatValue).join(', ');
  if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${humanise(k)} ${formatValue(x)}`).join(', ');
  return String(v);
}

/** evidenceSentences flattens evidence JSON into display sentences, in order, without empty ones. */
export function evidenceSentences(evidence: unknown, depth = 0): string[] {
  if (evidence === null || evidence === undefined || depth > 4) return [];
  if (typeof evidence === 'string') return evidence.trim() ? [evidence.trim()] : [];
  if (typeof evidence === 'number' || typeof evidence === 'boolean') return [formatValue(evidence)];
  if (Array.isArray(evidence)) return evidence.flatMap((e) => evidenceSentences(e, depth + 1));
  if (typeof evidence === 'object') {
    const o = evidence as Record<string, unknown>;
    for (const k of TEXT_KEYS) {
      if (typeof o[k] === 'string' && (o[k] as string).trim()) return [(o[k] as string).trim()];
    }
    for (const k of ['sentences', 'evidence', 'items']) {
      if (Array.isArray(o[k])) return evidenceSentences(o[k], depth + 1);
    }
    return Object.entries(o).flatMap(([k, v]) => {
      if (v === null || v === undefined) return [];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [`${humanise(k)}: ${formatValue(v)}`];
      const inner = evidenceSentences(v, depth + 1);
      return inner.length === 1 ? [`${humanise(k)}: ${inner[0]}`] : inner;
    });
  }
  return [];
}

export interface SignalInput {
  name: string;
  value: number;
  detail?: unknown;
}

export interface SignalBar {
  name: string;
  label: string;
  value: number;
  /** contribution to the score: detail.contribution when detection wrote it, else the value */
  contribution: number;
  /** 0..1 bar length relative to the largest contribution */
  width: number;
  /** one-line explanation from detail, when any */
  note: string;
}

const CHART_KEYS = new Set(['contribution', 'weight', 'name', 'value', 'measured']);

/** signalBars prepares the signal-contribution chart, largest contribution first. */
export function signalBars(signals: SignalInput[]): SignalBar[] {
  const bars = signals.map((s) => {
    const d = (s.detail && typeof s.detail === 'object' ? s.detail : {}) as Record<string, unknown>;
    const c = typeof d.contribution === 'number' ? d.contribution : typeof d.weight === 'number' ? d.weight * s.value : s.value;
    // Detection writes {contribution, weight, measured, detail: "sentence"}; show the sentence,
    // else whatever else it wrote, minus the numbers the chart already shows.
    const note = typeof s.detail === 'string'
      ? s.detail
      : typeof d.detail === 'string'
        ? d.detail
        : evidenceSentences(Object.fromEntries(Object.entries(d).filter(([k]) => !CHART_KEYS.has(k)))).join('; ');
    return { name: s.name, label: humanise(s.name), value: s.value, contribution: Number.isFinite(c) ? Math.max(0, c) : 0, width: 0, note };
  });
  const max = Math.max(0, ...bars.map((b) => b.contribution));
  for (const b of bars) b.width = max > 0 ? b.contribution / max : 0;
  return bars.sort((a, b) => b.contribution - a.contribution || a.name.localeCompare(b.name));
}
