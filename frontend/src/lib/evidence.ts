// Detection writes a network's evidence as free JSON (Network.evidence). The
// UI shows it as plain sentences with their numbers, whatever the exact shape:
// strings are sentences already, objects with a text-like field use it, other
// values become "Label: value". Signals are typed (Signal in the schema).

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
  /** what the signal added to the network's score */
  contribution: number;
  /** the raw measure, in the signal's unit */
  measured?: number;
  /** detection's sentence about the measure */
  detail?: string | null;
}

export interface SignalBar {
  name: string;
  label: string;
  contribution: number;
  measured: number | null;
  /** 0..1 bar length relative to the largest contribution */
  width: number;
  note: string;
}

/** byContribution orders signals as the API does: largest contribution first, ties by name. */
export function byContribution<T extends { name: string; contribution: number }>(signals: T[]): T[] {
  return [...signals].sort((a, b) => b.contribution - a.contribution || a.name.localeCompare(b.name));
}

/** signalBars prepares the signal-contribution chart, largest contribution first. */
export function signalBars(signals: SignalInput[]): SignalBar[] {
  const bars = byContribution(signals).map((s) => ({
    name: s.name,
    label: humanise(s.name),
    contribution: Number.isFinite(s.contribution) ? Math.max(0, s.contribution) : 0,
    measured: typeof s.measured === 'number' ? s.measured : null,
    width: 0,
    note: s.detail ?? '',
  }));
  const max = Math.max(0, ...bars.map((b) => b.contribution));
  for (const b of bars) b.width = max > 0 ? b.contribution / max : 0;
  return bars;
}

export interface CountryTallyInput {
  count: number;
  top: { country: string; count: number }[];
}

/**
 * countryTally writes a country top-k as analysts read it: "IR 5 · RU 2 · GB 1"
 * and, when there are more countries than shown, "top 3 of 9 countries".
 */
export function countryTally(t: CountryTallyInput | null | undefined, unit: string): { text: string; note: string; label: string } {
  if (!t || t.count === 0) return { text: '—', note: '', label: 'no countries' };
  const text = t.top.map((c) => `${c.country} ${c.count.toLocaleString('en-US')}`).join(' · ');
  const note = t.count > t.top.length ? `top ${t.top.length} of ${t.count} countries` : t.count === 1 ? '1 country' : `all ${t.count} countries`;
  const label = `${t.count} ${t.count === 1 ? 'country' : 'countries'}; ${t.count > t.top.length ? `top ${t.top.length}` : 'all'} by ${unit}: ${t.top.map((c) => `${c.country} ${c.count} ${unit}`).join(', ')}`;
  return { text, note, label };
}
