import { ReactNode } from 'react';
import { Link } from 'wouter';
import { ApiError, describeError } from '../graphql/errors';
import { byContribution, countryTally, CountryTallyInput } from '../lib/evidence';
import { formatPercent, formatScore, humanise } from '../lib/format';
import { roleAtLeast, needRoleMessage, Role } from '../lib/roles';
import { useAuth } from '../auth';

export function Loading({ what }: { what: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      Loading {what}…
    </div>
  );
}

export function ErrorBanner({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  const kind = error instanceof ApiError ? error.kind : 'error';
  return (
    <div className="banner error" role="alert" data-error-kind={kind}>
      {describeError(error)}
      {retry && kind !== 'forbidden' && (
        <>
          {' '}
          <button type="button" onClick={retry}>
            Retry
          </button>
        </>
      )}
    </div>
  );
}

// NotFound is the page for an id that resolves to nothing, with the way back.
export function NotFound({ kind, id, back, backLabel }: { kind: string; id: string; back: string; backLabel: string }) {
  return (
    <div className="panel">
      <h1>{kind[0].toUpperCase() + kind.slice(1)} not found</h1>
      <p>
        There is no {kind} <code>{id}</code>. <Link href={back}>{backLabel}</Link>.
      </p>
    </div>
  );
}

export function Banner({ kind, children }: { kind: 'info' | 'ok' | 'error'; children: ReactNode }) {
  return (
    <div className={`banner ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function ScoreBar({ score, label = 'Score' }: { score: number; label?: string }) {
  return (
    <span className="scorebar" title={`${label} ${formatScore(score)}`}>
      <span className="track" aria-hidden="true">
        <span className="fill" style={{ width: `${Math.max(0, Math.min(1, score)) * 100}%`, display: 'block' }} />
      </span>
      <span>{formatScore(score)}</span>
    </span>
  );
}

export function ReviewBadge({ status }: { status: string }) {
  return <span className={`badge ${status}`}>{humanise(status)}</span>;
}

export function StateLinkedBadge({ possible, confidence }: { possible: boolean; confidence: number }) {
  if (!possible) return <span className="muted small">no</span>;
  return (
    <span className="badge state" title="Possibly state-linked: an indicator for corroboration, never a verdict">
      Possibly state-linked · {formatPercent(confidence)}
    </span>
  );
}

/** SignalBadges shows the signals that added most to the score, largest contribution first (those that added nothing never). */
export function SignalBadges({ signals, max = 3 }: { signals: { name: string; contribution: number }[]; max?: number }) {
  const top = byContribution(signals.filter((s) => s.contribution > 0)).slice(0, max);
  if (top.length === 0) return <span className="muted small">none</span>;
  return (
    <>
      {top.map((s) => (
        <span key={s.name} className="badge signal" title={`${humanise(s.name)}: +${s.contribution.toFixed(2)} to the score`}>
          {humanise(s.name)} <span className="small">+{s.contribution.toFixed(2)}</span>
        </span>
      ))}
    </>
  );
}

/** CountryTally shows a network's countries as a top-k with the total beside it. */
export function CountryTally({ tally, unit }: { tally: CountryTallyInput | null | undefined; unit: string }) {
  const t = countryTally(tally, unit);
  return (
    <span aria-label={t.label} data-testid="country-tally">
      {t.text}
      {t.note && <span className="muted small"> ({t.note})</span>}
    </span>
  );
}

/** RoleGate renders its children only for keys with at least `need`, else the reason. */
export function RoleGate({ need, children }: { need: Role; children: ReactNode }) {
  const { viewer } = useAuth();
  if (!viewer) return <Loading what="your key's role" />;
  if (roleAtLeast(viewer.role, need)) return <>{children}</>;
  return (
    <p className="muted small" data-testid="role-too-low">
      {needRoleMessage(viewer?.role, need)}
    </p>
  );
}

export interface Column<T> {
  key: string;
  label: string;
  num?: boolean;
  sortValue?: (row: T) => number | string;
  render: (row: T) => ReactNode;
}

export function SortHeader<T>({ col, sort, setSort }: { col: Column<T>; sort: { key: string; dir: 1 | -1 }; setSort: (s: { key: string; dir: 1 | -1 }) => void }) {
  if (!col.sortValue) return <th className={col.num ? 'num' : undefined}>{col.label}</th>;
  const active = sort.key === col.key;
  const aria = active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none';
  return (
    <th className={col.num ? 'num' : undefined} aria-sort={aria}>
      <button type="button" className="sort" onClick={() => setSort({ key: col.key, dir: active ? (sort.dir === 1 ? -1 : 1) : -1 })}>
        {col.label}
        {active ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

/** sortRows sorts a copy of rows by the column's sortValue (stable). */
export function sortRows<T>(rows: T[], cols: Column<T>[], sort: { key: string; dir: 1 | -1 }): T[] {
  const col = cols.find((c) => c.key === sort.key);
  if (!col?.sortValue) return rows;
  const sv = col.sortValue;
  return rows
    .map((r, i) => ({ r, i, v: sv(r) }))
    .sort((a, b) => (a.v < b.v ? -sort.dir : a.v > b.v ? sort.dir : a.i - b.i))
    .map((x) => x.r);
}
