import { signalBars, SignalInput } from '../lib/evidence';

/** SignalChart draws each signal's contribution as a horizontal bar (a table for screen readers). */
export function SignalChart({ signals }: { signals: SignalInput[] }) {
  const bars = signalBars(signals);
  if (bars.length === 0) return <p className="muted">Detection recorded no signals.</p>;
  return (
    <div className="bars" role="table" aria-label="Signal contributions" data-testid="signal-chart">
      {bars.map((b) => (
        <div key={b.name} role="row" style={{ display: 'contents' }}>
          <span role="rowheader" title={b.note || b.name}>
            {b.label}
          </span>
          <span role="cell" aria-label={`contribution ${b.contribution.toFixed(3)}`}>
            <span className="bar" style={{ width: `${Math.max(1, b.width * 100)}%`, display: 'block' }} />
          </span>
          <span role="cell" className="val">
            {b.value.toFixed(2)}
          </span>
        </div>
      ))}
    </div>
  );
}
