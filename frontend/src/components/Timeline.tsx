import { formatDate, formatTime } from '../lib/format';

export interface Span {
  lane: 'IP' | 'Device' | 'Lookup';
  label: string;
  first: string | null;
  last: string | null;
  count: number;
  /** tooltip text beside the times (why two rows read alike, say) */
  note?: string;
}

export interface LookupUse {
  first: string | null;
  last: string | null;
  count: number;
  target: { key: string; masked: string };
}

/**
 * lookupSpans turns looked-up targets into timeline rows. A masked number
 * names only its group of 100 (`+1 415-555-01xx`), so two numbers of one
 * group would read the same: those get "(#1)", "(#2)"… in order of first
 * lookup, and a tooltip saying they are different numbers. The ordinal says
 * nothing about the digits, so no row narrows a number below its group.
 */
export function lookupSpans(lookups: LookupUse[]): Span[] {
  const byGroup = new Map<string, LookupUse[]>();
  for (const u of lookups) byGroup.set(u.target.masked, [...(byGroup.get(u.target.masked) ?? []), u]);
  const ordinal = new Map<LookupUse, number>();
  for (const group of byGroup.values()) {
    if (group.length < 2) continue;
    const t = (u: LookupUse) => Date.parse(u.first ?? u.last ?? '') || Infinity;
    [...group].sort((a, b) => t(a) - t(b) || a.target.key.localeCompare(b.target.key)).forEach((u, i) => ordinal.set(u, i + 1));
  }
  return lookups.map((u) => {
    const n = ordinal.get(u);
    const size = byGroup.get(u.target.masked)!.length;
    return {
      lane: 'Lookup',
      label: n ? `${u.target.masked} (#${n})` : u.target.masked,
      first: u.first,
      last: u.last,
      count: u.count,
      note: n
        ? `#${n} of ${size} different numbers in the same group of 100 (${u.target.masked}), numbered in order of first lookup; the UI never shows more digits`
        : undefined,
    };
  });
}

const LANE_COLOURS: Record<Span['lane'], string> = { IP: '#E69F00', Device: '#009E73', Lookup: '#CC79A7' };

/** timeBounds returns the earliest first and latest last of the spans (ms), or null when none has times. */
export function timeBounds(spans: Span[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of spans) {
    for (const t of [s.first, s.last]) {
      if (!t) continue;
      const v = Date.parse(t);
      if (Number.isNaN(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** shorten cuts a label to max characters, keeping a trailing "(#n)" so alike rows stay apart. */
function shorten(label: string, max: number): string {
  if (label.length <= max) return label;
  const tag = label.match(/ \(#\d+\)$/)?.[0] ?? '';
  return `${label.slice(0, max - 1 - tag.length)}…${tag}`;
}

/** Timeline draws when the account used each IP and device and looked up numbers (first→last seen), one row each. */
export function Timeline({ spans }: { spans: Span[] }) {
  const b = timeBounds(spans);
  if (!b) return <p className="muted">No activity times recorded.</p>;
  const [t0, t1raw] = b;
  const t1 = t1raw === t0 ? t0 + 3600_000 : t1raw;
  const rows = spans.filter((s) => s.first || s.last).slice(0, 40);
  // Wide viewBox: the SVG scales to the panel, and text stays near 11 px at 1280–1680 px.
  const W = 1150;
  const rowH = 15;
  const labelW = 230;
  const H = rows.length * rowH + 30;
  const x = (t: number) => labelW + ((t - t0) / (t1 - t0)) * (W - labelW - 10);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Activity from ${formatTime(new Date(t0).toISOString())} to ${formatTime(new Date(t1raw).toISOString())}: ${rows.length} IPs, devices and lookups`} data-testid="timeline">
      {rows.map((s, i) => {
        const a = Date.parse(s.first ?? s.last!);
        const z = Date.parse(s.last ?? s.first!);
        const y = 4 + i * rowH;
        return (
          <g key={i}>
            <title>{`${s.lane} ${s.label}: ${formatTime(s.first)} → ${formatTime(s.last)}, ${s.count} events${s.note ? `. ${s.note}` : ''}`}</title>
            <text x={0} y={y + 11} fontSize={11} fill="#1b1f24">
              {s.lane}: {shorten(s.label, 30)}
            </text>
            <rect x={x(a)} y={y + 2} width={Math.max(3, x(z) - x(a))} height={rowH - 5} rx={2} fill={LANE_COLOURS[s.lane]} />
          </g>
        );
      })}
      <text x={labelW} y={H - 6} fontSize={11} fill="#4f5b66">
        {formatDate(new Date(t0).toISOString())}
      </text>
      <text x={W - 10} y={H - 6} fontSize={11} fill="#4f5b66" textAnchor="end">
        {formatDate(new Date(t1raw).toISOString())}
      </text>
    </svg>
  );
}
