import { signalBars, SignalInput } from '../lib/evidence';

/**
 * SignalChart draws each signal's contribution to the network score as a
 * horizontal bar, largest first, with the signal's raw measure and detection's
 * sentence about it underneath (exposed as a table to screen readers).
 */
export function SignalChart({ signals }: { signals: SignalInput[] }) {
  const bars = signalBars(signals);
  if (bars.length === 0) return <p className="muted">Detection recorded no signals.</p>;
  return (
    <div role="table" aria-label="Signal contributions to the score" data-testid="signal-chart">
      <div role="row" className="bars small muted">
        <span role="columnheader">Signal</span>
        <span role="columnheader">Contribution to score</span>
        <span role="columnheader" className="val">Measured</span>
      </div>
      {bars.map((b) => (
        <div key={b.name} role="row" className="bars signal-row">
          <span role="rowheader">{b.label}</span>
          <span role="cell" className="bar-cell" title={`contribution +${b.contribution.toFixed(3)}`}>
            <span className="bar" style={{ width: `${Math.max(0.5, b.width * 80)}%` }} />
            <span className="small">+{b.contribution.toFixed(2)}</span>
          </span>
          <span role="cell" className="val">
            {b.measured === null ? '—' : Number(b.measured.toPrecision(4)).toLocaleString('en-US')}
          </span>
          {b.note && (
            <span role="cell" className="note muted small">
              {b.note}
            </span>
          )}
        </div>
      ))}
    </div>
  );
}
