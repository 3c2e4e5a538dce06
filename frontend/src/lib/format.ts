// Display formatting shared by every view. Everything is locale-independent
// (en-GB style numbers, ISO-like UTC dates) so analysts in different offices
// read the same figures and the tests are stable.

const nf = new Intl.NumberFormat('en-GB');

/** formatCount renders an integer with thousands separators; null/undefined render as an em dash. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return nf.format(Math.round(n));
}

/** formatScore renders a 0..1 score as two decimals (0.873 → "0.87"); out-of-range values are clamped. */
export function formatScore(s: number | null | undefined): string {
  if (s === null || s === undefined || Number.isNaN(s)) return '—';
  return Math.min(1, Math.max(0, s)).toFixed(2);
}

/** formatPercent renders a 0..1 ratio as a percentage with `digits` decimals. */
export function formatPercent(r: number | null | undefined, digits = 0): string {
  if (r === null || r === undefined || Number.isNaN(r)) return '—';
  return `${(r * 100).toFixed(digits)}%`;
}

/** formatTime renders an RFC 3339 time as "2026-11-25 12:00 UTC"; invalid input is returned unchanged. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** formatDate renders the date part only ("2026-11-25"). */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 10);
}

/** formatDuration renders milliseconds as "850 ms", "12.3 s", "4 min 05 s" or "2 h 03 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalS = Math.round(s);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m} min ${String(totalS % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** durationBetween returns the milliseconds between two RFC 3339 times, or null when either is missing. */
export function durationBetween(from?: string | null, to?: string | null): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return b - a;
}

/** humanise turns an API identifier (SWEEP_COVERAGE, sweepCoverage, sweep_coverage) into "Sweep coverage". */
export function humanise(id: string): string {
  const words = id
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** formatBytes renders a byte count as B/kB/MB (1000-based, like the build tool prints). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(2)} MB`;
}

/**
 * targetLabel shows a looked-up target: its masked form, which for a phone
 * number names only its group of 100 (`+1 415-555-01xx`, shared by 100
 * numbers), and a short tag of its keyed hash, so that two targets of one
 * group read apart. The tag comes from the key, never from the number.
 */
export function targetLabel(t: { key: string; masked: string }): string {
  return `${t.masked} #${t.key.slice(0, 4)}`;
}
