import { BLOCK_SIZE, BlockSweep, binSweep, sweepCaption, SweepPoint } from '../lib/sweep';
import { formatDate } from '../lib/format';

const W = 1150;
const H = 190;
const PAD = { l: 44, r: 10, t: 10, b: 26 };

/**
 * SweepPlot shows lookups along each number block (x: offset 0..9999). With
 * individual points it draws each at its offset against time (y) over a
 * histogram strip; with per-bin summaries only (what a privacy-preserving API
 * returns) it draws, per bin, the share of its numbers that were looked up.
 * Either way a sweep is a solid band and organic lookups are a few marks.
 */
export function SweepPlot({ points = [], summaries }: { points?: SweepPoint[]; summaries?: BlockSweep[] }) {
  const blocks = summaries ?? binSweep(points, 100);
  if (blocks.length === 0) return <p className="muted">No looked-up phone numbers.</p>;
  return (
    <div data-testid="sweep-plot">
      {blocks.slice(0, 3).map((b) => {
        const pts = points.filter((p) => p.block === b.block && Number.isInteger(p.offset) && p.offset >= 0 && p.offset < BLOCK_SIZE);
        const times = pts.map((p) => (p.time ? Date.parse(p.time) : NaN)).filter((t) => !Number.isNaN(t));
        const t0 = times.length ? Math.min(...times) : 0;
        const t1 = times.length ? Math.max(...times) : 1;
        const iw = W - PAD.l - PAD.r;
        const ih = H - PAD.t - PAD.b - 24;
        const x = (o: number) => PAD.l + (o / (BLOCK_SIZE - 1)) * iw;
        const y = (t: number) => PAD.t + (t1 === t0 ? ih / 2 : ((t - t0) / (t1 - t0)) * ih);
        const maxBin = Math.max(1, ...b.bins);
        const stripY = PAD.t + ih + 6;
        const bw = iw / b.bins.length;
        return (
          <figure key={b.block} style={{ margin: '0 0 1rem' }}>
            <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={sweepCaption(b)}>
              <rect x={PAD.l} y={PAD.t} width={iw} height={ih} fill="#f8fafc" stroke="#d0d7de" />
              {b.longestRun.length > 1 && b.longestRun.start >= 0 && (
                <rect x={x(b.longestRun.start)} y={PAD.t} width={Math.max(1, x(b.longestRun.start + b.longestRun.length - 1) - x(b.longestRun.start))} height={ih} fill="#fde2e1" />
              )}
              {pts.length > 0
                ? pts.map((p, i) => <circle key={i} cx={x(p.offset)} cy={p.time ? y(Date.parse(p.time)) : PAD.t + ih / 2} r={2} fill="#b2182b" fillOpacity={0.7} />)
                : b.bins.map((c, i) => {
                    const h = Math.min(1, c / b.binWidth) * ih;
                    return c > 0 ? <rect key={i} x={PAD.l + i * bw} y={PAD.t + ih - Math.max(1, h)} width={Math.max(1, bw - 0.5)} height={Math.max(1, h)} fill="#b2182b" /> : null;
                  })}
              {b.bins.map((c, i) => (
                <rect key={i} x={PAD.l + i * bw} y={stripY} width={bw} height={14} fill="#0b5cad" fillOpacity={c / maxBin} />
              ))}
              {[0, 2500, 5000, 7500, 9999].map((o) => (
                <text key={o} x={x(o)} y={H - 4} fontSize={11} textAnchor={o === BLOCK_SIZE - 1 ? 'end' : 'middle'} fill="#4f5b66">
                  {o}
                </text>
              ))}
              {pts.length > 0 && times.length > 0 ? (
                <>
                  <text x={4} y={PAD.t + 10} fontSize={11} fill="#4f5b66">{formatDate(new Date(t0).toISOString())}</text>
                  <text x={4} y={PAD.t + ih} fontSize={11} fill="#4f5b66">{formatDate(new Date(t1).toISOString())}</text>
                </>
              ) : (
                <>
                  <text x={4} y={PAD.t + 10} fontSize={11} fill="#4f5b66">100%</text>
                  <text x={4} y={PAD.t + ih} fontSize={11} fill="#4f5b66">0%</text>
                </>
              )}
            </svg>
            <figcaption className="small">
              <strong>{b.block}</strong>: {sweepCaption(b)}
            </figcaption>
          </figure>
        );
      })}
      {blocks.length > 3 && <p className="muted small">{blocks.length - 3} more blocks with fewer lookups not shown.</p>}
    </div>
  );
}
