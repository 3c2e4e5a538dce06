import { FormEvent, useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { CreateListDocument, ListsDocument, RunsDocument, type CreateListMutation, type ListsQuery } from '../gql/graphql';
import { RELOAD, resultError, useRequest } from '../graphql/hooks';
import { useAuth } from '../auth';
import { fetchExport, saveText } from '../lib/download';
import { useAction } from '../lib/useAction';
import { Banner, ErrorBanner, Loading, RoleGate, ScoreBar } from '../components/common';
import { CriteriaForm, describeCriteria, toCriteria } from '../lib/criteria';
import { checkExport, ExportCheck, exportUrl } from '../lib/exportCheck';
import { formatCount, formatDate, formatTime } from '../lib/format';
import { Link } from 'wouter';
import { paths } from '../lib/paths';

type Entry = CreateListMutation['createSuspensionList']['sample'][number];
type SavedList = ListsQuery['suspensionLists'][number];

function Download({ list }: { list: SavedList }) {
  const { busy, error, run } = useAction<string | null>(null);
  const [check, setCheck] = useState<ExportCheck | null>(null);
  const { key } = useAuth();
  const get = (format: 'csv' | 'ndjson') => {
    setCheck(null);
    return run(format, async () => {
      const r = await fetchExport(exportUrl(list, format), { key });
      const name = r.filename.includes('.') ? r.filename : `suspension-list-${list.id}.${format}`;
      // Verify before handing the file over, so a cut-short download is never applied unnoticed.
      setCheck(await checkExport(r.text, format));
      saveText(r.text, name, r.contentType);
    });
  };
  return (
    <RoleGate need="ANALYST">
      <span className="row">
        <button type="button" onClick={() => get('csv')} disabled={busy !== null} data-testid={`download-csv-${list.id}`}>
          {busy === 'csv' ? 'Downloading…' : 'CSV'}
        </button>
        <button type="button" onClick={() => get('ndjson')} disabled={busy !== null}>
          {busy === 'ndjson' ? 'Downloading…' : 'NDJSON'}
        </button>
      </span>
      {check && (
        <div className={`small ${check.ok ? '' : 'field-error'}`} role="status" data-testid={`export-check-${list.id}`}>
          {check.ok ? '✓ ' : ''}
          {check.message}
        </div>
      )}
      <ErrorBanner error={error} />
    </RoleGate>
  );
}

function SampleTable({ entries }: { entries: Entry[] }) {
  return (
    <table data-testid="list-sample">
      <thead>
        <tr>
          <th scope="col">Account</th>
          <th scope="col">Network</th>
          <th scope="col">Score</th>
          <th scope="col">Reasons</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={`${e.accountId}:${e.networkId}`}>
            <td>
              <Link href={paths.account(e.accountId)}>{e.account.handle ?? e.accountId}</Link> <span className="muted small">{e.account.country ?? ''}</span>
            </td>
            <td><Link href={paths.network(e.networkId)} className="mono small">{e.networkId}</Link></td>
            <td><ScoreBar score={e.score} /></td>
            <td>
              {e.reasons.map((r) => (
                <span key={r} className="badge">{r}</span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function ListsPage({ query }: { query: URLSearchParams }) {
  const [runs] = useQuery({ query: RunsDocument, variables: { first: 50 } });
  const [lists, reexecuteLists] = useQuery({ query: ListsDocument, variables: { first: 50 } });
  const reloadLists = () => reexecuteLists(RELOAD);
  const request = useRequest();
  const [form, setForm] = useState<CriteriaForm>({
    runId: query.get('run') ?? '',
    minScore: query.get('minScore') ?? '',
    networkIds: query.get('networks') ?? '',
    confirmedOnly: false,
    excludeVerified: true,
  });
  const [dry, setDry] = useState<CreateListMutation['createSuspensionList'] | null>(null);
  const [created, setCreated] = useState<SavedList | null>(null);
  const { busy, error, run: act } = useAction<'dry' | 'create' | null>(null);
  const finished = (runs.data?.detectionRuns ?? []).filter((r) => r.status === 'FINISHED');

  // Default to the latest finished run once runs are known.
  useEffect(() => {
    if (!form.runId && finished[0]) setForm((f) => ({ ...f, runId: finished[0].id }));
  }, [finished, form.runId]);

  const set = <K extends keyof CriteriaForm>(k: K, v: CriteriaForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setDry(null); // a dry run only stands for the criteria it was made with
  };

  const run = (dryRun: boolean) =>
    act(dryRun ? 'dry' : 'create', async () => {
      const criteria = toCriteria(form);
      const d = await request(CreateListDocument, { criteria, dryRun });
      if (dryRun) setDry(d.createSuspensionList);
      else {
        setCreated(d.createSuspensionList.list);
        setDry(null);
        reloadLists();
      }
    });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(true);
  };

  return (
    <div className="stack">
      <h1>Suspension lists</h1>
      <section className="panel" aria-labelledby="build-title">
        <h2 id="build-title">Build a list</h2>
        <RoleGate need="ANALYST">
          <form onSubmit={submit} className="stack" data-testid="list-form">
            <div className="filters">
              <div className="field">
                <label htmlFor="c-run">Detection run</label>
                <select id="c-run" value={form.runId} onChange={(e) => set('runId', e.target.value)} required>
                  <option value="">Choose a run…</option>
                  {finished.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.id} · {formatDate(r.startedAt)} · {formatCount(r.networkCount)} networks
                    </option>
                  ))}
                  {form.runId && !finished.some((r) => r.id === form.runId) && <option value={form.runId}>{form.runId}</option>}
                </select>
              </div>
              <div className="field">
                <label htmlFor="c-min">Min network score</label>
                <input id="c-min" inputMode="decimal" size={6} placeholder="0–1" value={form.minScore} onChange={(e) => set('minScore', e.target.value)} />
              </div>
              <div className="field" style={{ flex: 1, minWidth: '16rem' }}>
                <label htmlFor="c-nets">Only these networks (ids, optional)</label>
                <input id="c-nets" value={form.networkIds} onChange={(e) => set('networkIds', e.target.value)} placeholder="all networks of the run" />
              </div>
            </div>
            <div className="row">
              <label>
                <input type="checkbox" checked={form.confirmedOnly} onChange={(e) => set('confirmedOnly', e.target.checked)} /> Confirmed networks only
              </label>
              <label>
                <input type="checkbox" checked={form.excludeVerified} onChange={(e) => set('excludeVerified', e.target.checked)} /> Leave out verified accounts
              </label>
              <span className="muted small">Allowlisted accounts are always left out.</span>
            </div>
            <div className="row">
              <button type="submit" disabled={busy !== null}>
                {busy === 'dry' ? 'Counting…' : 'Dry run: count and sample'}
              </button>
              <button type="button" className="primary" disabled={busy !== null || !dry || dry.count === 0} onClick={() => run(false)} title={!dry ? 'Run a dry run first' : undefined}>
                {busy === 'create' ? 'Creating…' : dry ? `Create list of ${formatCount(dry.count)} accounts` : 'Create list'}
              </button>
            </div>
          </form>
        </RoleGate>
        <ErrorBanner error={error} />
        {dry && (
          <div data-testid="dry-run">
            <Banner kind="info">
              These criteria select <strong data-testid="dry-count">{formatCount(dry.count)}</strong> accounts. {dry.sample.length > 0 && `A sample of ${dry.sample.length}:`}
            </Banner>
            {dry.sample.length > 0 && <SampleTable entries={dry.sample} />}
          </div>
        )}
        {created && (
          <div className="banner ok" role="status" data-testid="list-created">
            Created list <strong className="mono">{created.id}</strong> with {formatCount(created.accountCount)} accounts. <Download list={created} />
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="saved-title">
        <h2 id="saved-title">Saved lists</h2>
        <ErrorBanner error={resultError(lists)} retry={reloadLists} />
        {lists.fetching && <Loading what="lists" />}
        {lists.data && lists.data.suspensionLists.length === 0 && <p className="muted">No lists yet.</p>}
        {lists.data && lists.data.suspensionLists.length > 0 && (
          <table data-testid="lists-table">
            <thead>
              <tr>
                <th scope="col">List</th>
                <th scope="col">Criteria</th>
                <th scope="col" className="num">Accounts</th>
                <th scope="col">Created by</th>
                <th scope="col">When</th>
                <th scope="col">Download</th>
              </tr>
            </thead>
            <tbody>
              {lists.data.suspensionLists.map((l) => (
                <tr key={l.id}>
                  <td className="mono small">{l.id}</td>
                  <td className="small">{describeCriteria(l.criteria)}</td>
                  <td className="num">{formatCount(l.accountCount)}</td>
                  <td>{l.createdBy}</td>
                  <td className="small">{formatTime(l.createdAt)}</td>
                  <td><Download list={l} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
