import { FormEvent, useState } from 'react';
import { useQuery } from 'urql';
import { AccountDocument, AllowlistDocument, UnallowlistDocument, type AccountQuery } from '../gql/graphql';
import { RELOAD, resultError, useRequest } from '../graphql/hooks';
import { useAction } from '../lib/useAction';
import { ErrorBanner, Loading, NotFound, ReviewBadge, RoleGate, ScoreBar } from '../components/common';
import { NetworkName } from '../components/NetworkName';
import { SweepPlot } from '../components/SweepPlot';
import { lookupSpans, Span, Timeline } from '../components/Timeline';
import { formatCount, formatDate, formatTime } from '../lib/format';
import { Link } from 'wouter';
import { paths } from '../lib/paths';
import { fromApi } from '../lib/sweep';

type AccountDetail = NonNullable<AccountQuery['account']>;

function Allowlist({ a, reload }: { a: AccountDetail; reload: () => void }) {
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction(false);
  const request = useRequest();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(true, async () => {
      if (a.allowlisted) await request(UnallowlistDocument, { id: a.id });
      else {
        if (!reason.trim()) throw new Error('Give a reason for allowlisting.');
        await request(AllowlistDocument, { id: a.id, reason: reason.trim() });
      }
      reload();
    });
  };
  return (
    <RoleGate need="ANALYST">
      <form onSubmit={submit} className="row">
        {!a.allowlisted && (
          <div className="field" style={{ flex: 1 }}>
            <label htmlFor="allow-reason">Allowlist reason</label>
            <input id="allow-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. verified journalist, known researcher" />
          </div>
        )}
        <button type="submit" disabled={busy} style={{ alignSelf: 'flex-end' }}>
          {a.allowlisted ? 'Remove from allowlist' : 'Allowlist (keep off suspension lists)'}
        </button>
      </form>
      <ErrorBanner error={error} />
    </RoleGate>
  );
}

export default function AccountPage({ id }: { id: string }) {
  const [acc, reexecute] = useQuery({ query: AccountDocument, variables: { id } });
  const accError = resultError(acc);
  const reload = () => reexecute(RELOAD);
  if (acc.fetching && !acc.data) return <Loading what={`account ${id}`} />;
  if (accError) return <ErrorBanner error={accError} retry={reload} />;
  const a = acc.data?.account;
  if (!a) {
    return <NotFound kind="account" id={id} back={paths.networks()} backLabel="Back to the networks" />;
  }
  const spans: Span[] = [
    ...a.ips.map((u) => ({ lane: 'IP' as const, label: u.ip.addr, first: u.first, last: u.last, count: u.count })),
    ...a.devices.map((u) => ({ lane: 'Device' as const, label: u.device.id, first: u.first, last: u.last, count: u.count })),
    ...lookupSpans(a.lookups.slice(0, 15)),
  ];
  const hits = a.lookups.reduce((s, l) => s + l.hits, 0);
  const looks = a.lookups.reduce((s, l) => s + l.count, 0);
  return (
    <div className="stack">
      <div className="row">
        <Link href={paths.networks()}>← Networks</Link>
      </div>
      <div className="row">
        <h1 style={{ margin: 0 }}>
          {a.handle ?? a.id} <span className="muted mono small">{a.id}</span>
        </h1>
        {a.verified && <span className="badge">verified</span>}
        {a.allowlisted && <span className="badge">allowlisted</span>}
        {a.status && <span className="badge">{a.status}</span>}
      </div>
      <div className="grid-2">
        <section className="panel" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <dl className="kv">
            <dt>Created</dt>
            <dd>{formatTime(a.createdAt)}</dd>
            <dt>Country</dt>
            <dd>{a.country ?? '—'}</dd>
            <dt>Distinct numbers looked up</dt>
            <dd>{formatCount(a.lookupCount)}</dd>
            <dt>Hit ratio (top {a.lookups.length} targets)</dt>
            <dd>{looks ? `${((hits / looks) * 100).toFixed(2)}% (${formatCount(hits)} of ${formatCount(looks)})` : '—'}</dd>
            {a.allowlist && (
              <>
                <dt>Allowlisted</dt>
                <dd>
                  by {a.allowlist.by}, {formatTime(a.allowlist.at)}: {a.allowlist.reason}
                </dd>
              </>
            )}
          </dl>
          <Allowlist a={a} reload={reload} />
        </section>
        <section className="panel" aria-labelledby="memberships-title">
          <h2 id="memberships-title">Networks across runs</h2>
          {a.memberships.length === 0 ? (
            <p className="muted">Not in any network.</p>
          ) : (
            <div className="table-wrap">
            <table data-testid="memberships">
              <thead>
                <tr>
                  <th scope="col">Network</th>
                  <th scope="col">Run started</th>
                  <th scope="col">Network score</th>
                  <th scope="col">Membership</th>
                  <th scope="col">Role</th>
                  <th scope="col">Review</th>
                </tr>
              </thead>
              <tbody>
                {a.memberships.map((m) => (
                  <tr key={m.network.id}>
                    <td><NetworkName network={m.network} /> <span className="muted small">({formatCount(m.network.size)} members)</span></td>
                    <td className="small" title={m.network.runId}>{formatTime(m.network.run.startedAt)}</td>
                    <td><ScoreBar score={m.network.score} /></td>
                    <td><ScoreBar score={m.score} label="Membership score" /></td>
                    <td>{m.role ?? '—'}</td>
                    <td><ReviewBadge status={m.network.reviewStatus} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          )}
        </section>
      </div>
      <section className="panel" aria-labelledby="sweep-title">
        <h2 id="sweep-title">Lookups along the number block</h2>
        <p className="muted small" style={{ marginTop: 0 }}>
              Each bar is one group of 100 numbers of a block (the numbers sharing all but their last two digits; offsets 0–9999, left to right), as tall
              as the share of the group the account looked up. A sweep shows as a solid run of full bars; the caption gives the longest stretch of fully
              looked-up groups. No individual number, and nothing finer than a group, is shown.
            </p>
        <SweepPlot summaries={fromApi(a.sweep)} />
      </section>
      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p className="muted small" style={{ marginTop: 0 }}>First to last use of each IP and device, and first to last lookup of the most looked-up numbers.</p>
        <Timeline spans={spans} />
      </section>
      <div className="grid-2">
        <section className="panel" aria-labelledby="ips-title">
          <h2 id="ips-title">IP addresses</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Kind</th>
                <th scope="col">Country / AS</th>
                <th scope="col" className="num">Events</th>
                <th scope="col" className="num">Accounts on it</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {a.ips.map((u) => (
                <tr key={u.ip.addr}>
                  <td className="mono small">{u.ip.addr}</td>
                  <td>{u.ip.kind ?? '—'}</td>
                  <td className="small">{[u.ip.country, u.ip.asnOrg ?? (u.ip.asn ? `AS${u.ip.asn}` : null)].filter(Boolean).join(' · ') || '—'}</td>
                  <td className="num">{formatCount(u.count)}</td>
                  <td className="num">{formatCount(u.ip.accountCount)}</td>
                  <td className="small">{formatDate(u.last)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel" aria-labelledby="devices-title">
          <h2 id="devices-title">Devices</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">OS / client</th>
                <th scope="col" className="num">Events</th>
                <th scope="col" className="num">Accounts on it</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {a.devices.map((u) => (
                <tr key={u.device.id}>
                  <td className="mono small">{u.device.id}</td>
                  <td className="small">{[u.device.os, u.device.client].filter(Boolean).join(' · ') || '—'}</td>
                  <td className="num">{formatCount(u.count)}</td>
                  <td className="num">{formatCount(u.device.accountCount)}</td>
                  <td className="small">{formatDate(u.last)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
