import { FormEvent, useEffect, useMemo, useReducer, useState } from 'react';
import { useQuery } from 'urql';
import { useLocation } from 'wouter';
import { NetworksDocument, RunsDocument, type RunsQuery } from '../gql/graphql';
import { SignalNameValues } from '../gql/enumValues';
import { RELOAD, resultError } from '../graphql/hooks';
import { NetworkName } from '../components/NetworkName';
import { CountryTally, ErrorBanner, Loading, ReviewBadge, ScoreBar, SignalBadges, StateLinkedBadge } from '../components/common';
import { defaultFilters, FilterError, fromQuery, NetworkFilterState, REVIEW_STATUSES, toQuery, toVariables } from '../lib/filters';
import { formatCount, formatDate, humanise } from '../lib/format';
import { afterCursor, initialPaging, pageRange, pagingReducer } from '../lib/paging';
import { paths } from '../lib/paths';

export type RunSummary = RunsQuery['detectionRuns'][number];

const PAGE_SIZE = 20;

/** pageSizeOf reads `pageSize` from the URL (1..100, the API's cap; default 20). */
export function pageSizeOf(query: URLSearchParams): number {
  const n = Number(query.get('pageSize'));
  return Number.isInteger(n) && n >= 1 ? Math.min(100, n) : PAGE_SIZE;
}
export function NetworksPage({ query }: { query: URLSearchParams }) {
  const applied = useMemo(() => fromQuery(query.toString()), [query]);
  const pageSize = pageSizeOf(query);
  const withSize = (q: string) => (pageSize === PAGE_SIZE ? q : [q, `pageSize=${pageSize}`].filter(Boolean).join('&'));
  const [draft, setDraft] = useState<NetworkFilterState>(applied);
  const [paging, dispatch] = useReducer(pagingReducer, initialPaging);
  const [filterError, setFilterError] = useState<FilterError | null>(null);
  const [, navigate] = useLocation();
  const [runs] = useQuery({ query: RunsDocument, variables: { first: 50 } });

  useEffect(() => {
    setDraft(applied);
    dispatch({ type: 'reset' });
  }, [applied]);

  let vars: ReturnType<typeof toVariables> | null = null;
  try {
    vars = toVariables(applied, pageSize, afterCursor(paging));
  } catch {
    vars = null;
  }
  const [list, reexecute] = useQuery({ query: NetworksDocument, variables: vars ?? {}, pause: !vars });
  const listError = resultError(list);
  const loading = list.fetching;
  const rows = list.data?.networks.edges.map((e) => e.node) ?? [];

  // Marks when the first page of networks is on screen: the e2e test reads it
  // (with Navigation Timing) as the page's time to interactive.
  useEffect(() => {
    if (list.data && performance.getEntriesByName('lockstep:networks-ready').length === 0) performance.mark('lockstep:networks-ready');
  }, [list.data]);

  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    try {
      toVariables(draft, pageSize, null);
      setFilterError(null);
      navigate(paths.networks(withSize(toQuery(draft))));
    } catch (err) {
      if (err instanceof FilterError) setFilterError(err);
      else throw err;
    }
  };
  const set = <K extends keyof NetworkFilterState>(k: K, v: NetworkFilterState[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const finishedRuns = runs.data?.detectionRuns ?? [];
  const runLabel = (r: RunSummary) => `${r.id} · ${formatDate(r.startedAt)} · ${r.status.toLowerCase()} · ${formatCount(r.networkCount)} networks`;
  const range = pageRange(paging, pageSize, rows.length);
  const errProps = (f: keyof NetworkFilterState) =>
    filterError?.field === f ? { 'aria-invalid': true as const, 'aria-describedby': 'filter-error' } : {};

  return (
    <div className="stack">
      <div className="row">
        <h1 style={{ margin: 0 }}>Networks</h1>
        <span className="spacer" />
        <span className="muted" data-testid="network-total">
          {list.data ? `${formatCount(list.data.networks.totalCount)} networks match` : ''}
        </span>
      </div>
      <form className="panel filters" onSubmit={apply} aria-label="Filter and sort networks">
        <div className="field">
          <label htmlFor="f-run">Detection run</label>
          <select id="f-run" value={draft.runId} onChange={(e) => set('runId', e.target.value)}>
            <option value="">Latest finished run</option>
            {finishedRuns.map((r) => (
              <option key={r.id} value={r.id}>
                {runLabel(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-min">Min score</label>
          <input id="f-min" inputMode="decimal" size={5} placeholder="0–1" value={draft.minScore} onChange={(e) => set('minScore', e.target.value)} {...errProps('minScore')} />
        </div>
        <div className="field">
          <label htmlFor="f-max">Max score</label>
          <input id="f-max" inputMode="decimal" size={5} placeholder="0–1" value={draft.maxScore} onChange={(e) => set('maxScore', e.target.value)} {...errProps('maxScore')} />
        </div>
        <div className="field">
          <label htmlFor="f-size">Min size</label>
          <input id="f-size" inputMode="numeric" size={5} value={draft.minSize} onChange={(e) => set('minSize', e.target.value)} {...errProps('minSize')} />
        </div>
        <div className="field">
          <label htmlFor="f-signal">Signal</label>
          <select id="f-signal" value={draft.signal} onChange={(e) => set('signal', e.target.value)} {...errProps('signal')}>
            <option value="">Any</option>
            {SignalNameValues.map((v) => (
              <option key={v.name} value={v.name} title={v.description ?? undefined}>
                {humanise(v.name)}
              </option>
            ))}
            {draft.signal && !SignalNameValues.some((v) => v.name === draft.signal) && <option value={draft.signal}>{humanise(draft.signal)}</option>}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-contribution" title="Keep networks to which the signal added at least this much to the score (default 0.02: the signals their evidence speaks of)">
            Signal added at least
          </label>
          <input id="f-contribution" inputMode="decimal" size={5} placeholder="0.02" value={draft.minContribution} onChange={(e) => set('minContribution', e.target.value)} {...errProps('minContribution')} />
        </div>
        <div className="field">
          <label htmlFor="f-state">State-linked</label>
          <select id="f-state" value={draft.stateLinked} onChange={(e) => set('stateLinked', e.target.value as NetworkFilterState['stateLinked'])}>
            <option value="any">Any</option>
            <option value="yes">Possibly state-linked</option>
            <option value="no">Not indicated</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-review">Review status</label>
          <select id="f-review" value={draft.reviewStatus} onChange={(e) => set('reviewStatus', e.target.value as NetworkFilterState['reviewStatus'])}>
            <option value="">Any</option>
            {REVIEW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanise(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-country">Country</label>
          <input id="f-country" size={4} maxLength={2} placeholder="IR" value={draft.country} onChange={(e) => set('country', e.target.value)} {...errProps('country')} />
        </div>
        <div className="field">
          <label htmlFor="f-sort">Sort by</label>
          <select id="f-sort" value={`${draft.sort}:${draft.direction}`} onChange={(e) => {
            const [s, d] = e.target.value.split(':');
            setDraft((x) => ({ ...x, sort: s as NetworkFilterState['sort'], direction: d as NetworkFilterState['direction'] }));
          }}>
            <option value="SCORE:DESC">Score, highest first</option>
            <option value="SCORE:ASC">Score, lowest first</option>
            <option value="SIZE:DESC">Size, largest first</option>
            <option value="SIZE:ASC">Size, smallest first</option>
            <option value="ID:ASC">Id</option>
          </select>
        </div>
        <button type="submit" className="primary">
          Apply
        </button>
        <button type="button" onClick={() => { setDraft(defaultFilters); setFilterError(null); navigate(paths.networks(withSize(''))); }}>
          Reset
        </button>
        {filterError && (
          <div id="filter-error" className="field-error" role="alert" style={{ flexBasis: '100%' }}>
            {filterError.message}
          </div>
        )}
      </form>
      <ErrorBanner error={resultError(runs)} />
      <section className="panel" aria-labelledby="networks-table-title">
        <h2 id="networks-table-title" className="sr-only" style={{ position: 'absolute', left: -9999 }}>
          Networks
        </h2>
        <ErrorBanner error={listError} retry={() => reexecute(RELOAD)} />
        {loading && <Loading what="networks" />}
        {list.data && rows.length === 0 && !loading && (
          <p className="muted" data-testid="no-networks">
            No networks match. {finishedRuns.length === 0 ? 'No detection run has finished yet: start one under Detection runs.' : 'Loosen the filters.'}
          </p>
        )}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table data-testid="networks-table" aria-busy={loading}>
              <thead>
                <tr>
                  <th scope="col">Network</th>
                  <th scope="col">Score</th>
                  <th scope="col" className="num">Size</th>
                  <th scope="col">Top signals</th>
                  <th scope="col">State-linked</th>
                  <th scope="col">Review</th>
                  <th scope="col">Member countries</th>
                  <th scope="col">Run</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((n) => {
                  return (
                    <tr key={n.id} className="clickable" onClick={(e) => { if (!(e.target as HTMLElement).closest('a')) navigate(paths.network(n.id)); }}>
                      <td>
                        <NetworkName network={n} />
                      </td>
                      <td><ScoreBar score={n.score} /></td>
                      <td className="num">{formatCount(n.size)}</td>
                      <td><SignalBadges signals={n.signals} /></td>
                      <td><StateLinkedBadge {...n.stateLinked} /></td>
                      <td><ReviewBadge status={n.reviewStatus} /></td>
                      <td><CountryTally tally={n.memberCountries} unit="members" /></td>
                      <td className="mono small">{n.runId}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <nav className="row" aria-label="Pages" style={{ marginTop: '0.75rem' }}>
          <button type="button" onClick={() => dispatch({ type: 'prev' })} disabled={paging.page === 0 || loading}>
            ← Previous
          </button>
          <span className="muted" aria-live="polite">
            {rows.length > 0 ? `${formatCount(range.from)}–${formatCount(range.to)} of ${formatCount(list.data?.networks.totalCount)}` : ''}
          </span>
          <button
            type="button"
            onClick={() => dispatch({ type: 'next', endCursor: list.data?.networks.pageInfo.endCursor })}
            disabled={!list.data?.networks.pageInfo.hasNextPage || loading}
          >
            Next →
          </button>
        </nav>
      </section>
    </div>
  );
}
