import { FormEvent, useEffect, useRef, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { onEnd, pipe, subscribe } from 'wonka';
import { ProgressDocument, RunDetectionDocument, RunDocument, RunsDocument, type ProgressSubscription, type RunDetectionInput } from '../gql/graphql';
import { RELOAD, resultError, useRequest } from '../graphql/hooks';
import { request, toApiError } from '../graphql/client';
import { useAction } from '../lib/useAction';
import { ErrorBanner, Loading, RoleGate } from '../components/common';
import { durationBetween, formatCount, formatDuration, formatTime, humanise } from '../lib/format';
import { nextPercent } from '../lib/progress';
import { Link } from 'wouter';
import { paths } from '../lib/paths';
import type { RunSummary } from './NetworksPage';

type Progress = ProgressSubscription['detectionProgress'];

/** statsSummary picks a few readable figures out of a run's stats JSON. */
export function statsSummary(stats: unknown): string {
  if (!stats || typeof stats !== 'object') return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(stats as Record<string, unknown>)) {
    if (typeof v === 'number') parts.push(`${humanise(k)} ${Number.isInteger(v) ? formatCount(v) : v.toFixed(3)}`);
    if (parts.length >= 6) break;
  }
  return parts.join(' · ');
}

function LiveRun({ runId, onDone }: { runId: string; onDone: () => void }) {
  const [pct, setPct] = useState(0);
  const [last, setLast] = useState<Progress | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [final, setFinal] = useState<RunSummary | null>(null);
  const doneRef = useRef(onDone);
  doneRef.current = onDone;
  const client = useClient();
  useEffect(() => {
    let ended = false;
    const finish = async () => {
      if (ended) return;
      ended = true;
      try {
        const d = await request(client, RunDocument, { id: runId }, RELOAD);
        setFinal(d.detectionRun);
        if (d.detectionRun?.status === 'FINISHED') setPct(100);
      } catch (e) {
        setError(e);
      }
      doneRef.current();
    };
    // The stream ends with a FINISHED or FAILED event; a socket that closes
    // or completes without one ends the live view too.
    const { unsubscribe } = pipe(
      client.subscription(ProgressDocument, { runId }),
      onEnd(() => void finish()),
      subscribe((r) => {
        const e = toApiError(r.error, r.data);
        if (e) {
          setError(e);
          void finish();
          return;
        }
        if (!r.data) return;
        const ev = r.data.detectionProgress;
        setLast(ev);
        setPct((p) => nextPercent(p, ev));
        if (ev.status !== 'RUNNING') void finish();
      }),
    );
    return unsubscribe;
  }, [runId, client]);
  const status = final?.status ?? last?.status ?? 'RUNNING';
  return (
    <div className="stack" data-testid="live-run">
      <div className="row">
        <strong>Run {runId}</strong>
        <span className={`badge ${status}`} data-testid="live-status">
          {humanise(status)}
        </span>
        <span className="muted">{last ? `${humanise(last.stage)}${last.total > 0 ? ` ${formatCount(last.done)} / ${formatCount(last.total)}` : ''}` : 'Waiting for progress…'}</span>
      </div>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={`Detection run ${runId} progress`} data-testid="progress">
        <div className="fill" style={{ width: `${pct}%` }} />
      </div>
      <div className="row small">
        <span data-testid="progress-pct">{pct.toFixed(0)}%</span>
        {last?.message && <span className="muted">{last.message}</span>}
      </div>
      {final?.status === 'FAILED' && <div className="banner error" role="alert">The run failed: {final.error ?? 'no reason given'}</div>}
      {final?.status === 'FINISHED' && (
        <div className="banner ok" role="status">
          Finished: {formatCount(final.networkCount)} networks. <Link href={paths.networks(`runId=${encodeURIComponent(final.id)}`)}>See them</Link>.
        </div>
      )}
      <ErrorBanner error={error} />
    </div>
  );
}

export default function RunsPage() {
  const [runs, reexecute] = useQuery({ query: RunsDocument, variables: { first: 50 } });
  const reload = () => reexecute(RELOAD);
  const request = useRequest();
  const [form, setForm] = useState({ algorithm: '', resolution: '', seed: '', minSize: '', minScore: '' });
  const [live, setLive] = useState<string | null>(null);
  const [liveDone, setLiveDone] = useState(false);
  const { busy, error, run } = useAction(false);
  const set = (k: keyof typeof form, v: string) => setForm((f) => ({ ...f, [k]: v }));

  const start = (e: FormEvent) => {
    e.preventDefault();
    void run(true, async () => {
      const input: RunDetectionInput = {};
      if (form.algorithm) input.algorithm = form.algorithm;
      for (const [k, parse] of [
        ['resolution', Number],
        ['minScore', Number],
      ] as const) {
        if (form[k].trim()) {
          const n = parse(form[k]);
          if (!Number.isFinite(n) || n < 0) throw new Error(`${humanise(k)} must be a non-negative number.`);
          input[k] = n;
        }
      }
      for (const k of ['seed', 'minSize'] as const) {
        if (form[k].trim()) {
          const n = Number(form[k]);
          if (!Number.isInteger(n) || n < 0) throw new Error(`${humanise(k)} must be a whole number.`);
          input[k] = n;
        }
      }
      const d = await request(RunDetectionDocument, { input });
      setLiveDone(false);
      setLive(d.runDetection.id);
      reload();
    });
  };

  return (
    <div className="stack">
      <h1>Detection runs</h1>
      <section className="panel" aria-labelledby="start-title">
        <h2 id="start-title">Start a run</h2>
        <RoleGate need="ANALYST">
          <form onSubmit={start} className="filters" data-testid="run-form">
            <div className="field">
              <label htmlFor="r-alg">Algorithm</label>
              <select id="r-alg" value={form.algorithm} onChange={(e) => set('algorithm', e.target.value)}>
                <option value="">Default (Leiden)</option>
                <option value="leiden">Leiden</option>
                <option value="louvain">Louvain</option>
                <option value="lpa">Label propagation</option>
                <option value="wcc">Connected components</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="r-res">Resolution</label>
              <input id="r-res" inputMode="decimal" size={6} value={form.resolution} onChange={(e) => set('resolution', e.target.value)} placeholder="1.0" />
            </div>
            <div className="field">
              <label htmlFor="r-seed">Seed</label>
              <input id="r-seed" inputMode="numeric" size={6} value={form.seed} onChange={(e) => set('seed', e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="r-minsize">Min size</label>
              <input id="r-minsize" inputMode="numeric" size={5} value={form.minSize} onChange={(e) => set('minSize', e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="r-minscore">Min score</label>
              <input id="r-minscore" inputMode="decimal" size={5} value={form.minScore} onChange={(e) => set('minScore', e.target.value)} />
            </div>
            <button type="submit" className="primary" disabled={busy || (live !== null && !liveDone)}>
              {busy ? 'Starting…' : 'Start detection run'}
            </button>
          </form>
        </RoleGate>
        <ErrorBanner error={error} />
        {live && (
          <div style={{ marginTop: '1rem' }}>
            <LiveRun
              key={live}
              runId={live}
              onDone={() => {
                setLiveDone(true);
                reload();
              }}
            />
            <p>
              <button type="button" onClick={() => setLive(null)}>
                Dismiss
              </button>
            </p>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="past-title">
        <h2 id="past-title">Past runs</h2>
        <ErrorBanner error={resultError(runs)} retry={reload} />
        {runs.fetching && !runs.data && <Loading what="runs" />}
        {runs.data && runs.data.detectionRuns.length === 0 && <p className="muted">No runs yet.</p>}
        {runs.data && runs.data.detectionRuns.length > 0 && (
          <table data-testid="runs-table">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col" className="num">Networks</th>
                <th scope="col">Statistics</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.detectionRuns.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={paths.networks(`runId=${encodeURIComponent(r.id)}`)} className="mono small">
                      {r.id}
                    </Link>
                  </td>
                  <td>
                    <span className={`badge ${r.status}`}>{humanise(r.status)}</span>
                    {r.error && <div className="field-error">{r.error}</div>}
                  </td>
                  <td className="small">{formatTime(r.startedAt)}</td>
                  <td className="small">{formatDuration(durationBetween(r.startedAt, r.finishedAt))}</td>
                  <td className="num">{formatCount(r.networkCount)}</td>
                  <td className="small">{statsSummary(r.stats)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
