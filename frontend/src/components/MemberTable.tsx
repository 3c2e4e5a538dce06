import { Fragment, useState } from 'react';
import { useQuery } from 'urql';
import { MemberEvidenceDocument, type MemberEvidenceQuery, type NetworkMembersQuery } from '../gql/graphql';
import { resultError } from '../graphql/hooks';
import { Column, ErrorBanner, Loading, ScoreBar, SortHeader, sortRows } from './common';
import { formatCount, formatDate, targetLabel } from '../lib/format';
import { Link } from 'wouter';
import { paths } from '../lib/paths';

export type MemberRow = NonNullable<NetworkMembersQuery['network']>['members']['edges'][number]['node'];
type Evidence = NonNullable<NonNullable<MemberEvidenceQuery['network']>['memberEvidence']>;

/** whySentences explains a membership in plain sentences, strongest link first. */
export function whySentences(ev: Evidence): string[] {
  const out: string[] = [];
  out.push(`Linked to ${formatCount(ev.linkedMembers)} other member${ev.linkedMembers === 1 ? '' : 's'} by shared IPs, devices or lookup targets.`);
  for (const s of ev.sharedIPs.slice(0, 5)) {
    const where = [s.ip.kind, s.ip.country, s.ip.asnOrg].filter(Boolean).join(', ');
    out.push(`Used IP ${s.ip.addr}${where ? ` (${where})` : ''}, also used by ${formatCount(s.sharedWith)} other member${s.sharedWith === 1 ? '' : 's'}.`);
  }
  for (const s of ev.sharedDevices.slice(0, 5)) {
    const what = [s.device.os, s.device.client].filter(Boolean).join(', ');
    out.push(`Used device ${s.device.id}${what ? ` (${what})` : ''}, also used by ${formatCount(s.sharedWith)} other member${s.sharedWith === 1 ? '' : 's'}.`);
  }
  if (ev.sharedTargets.length > 0) {
    const n = ev.sharedTargets.length;
    const top = ev.sharedTargets[0];
    out.push(`Looked up ${n}${n === 20 ? '+' : ''} number${n === 1 ? '' : 's'} that other members also looked up; ${targetLabel(top.target)} by ${formatCount(top.sharedWith)} others.`);
  }
  return out;
}

function Why({ networkId, accountId }: { networkId: string; accountId: string }) {
  const [r] = useQuery({ query: MemberEvidenceDocument, variables: { id: networkId, accountId } });
  const error = resultError(r);
  const ev = r.data ? (r.data.network?.memberEvidence ?? null) : undefined;
  if (error) return <ErrorBanner error={error} />;
  if (ev === undefined) return <Loading what="why this account is here" />;
  if (ev === null) return <p className="muted">The API has no evidence for this membership.</p>;
  return (
    <ul data-testid="why">
      {whySentences(ev).map((s, i) => (
        <li key={i}>{s}</li>
      ))}
    </ul>
  );
}

const COLS: Column<MemberRow>[] = [
  { key: 'account', label: 'Account', sortValue: (r) => (r.account.handle ?? r.account.id).toLowerCase(), render: (r) => <Link href={paths.account(r.account.id)}>{r.account.handle ?? r.account.id}</Link> },
  { key: 'role', label: 'Role', sortValue: (r) => r.role ?? '', render: (r) => r.role ?? '—' },
  { key: 'score', label: 'Membership', sortValue: (r) => r.score, render: (r) => <ScoreBar score={r.score} label="Membership score" /> },
  { key: 'lookups', label: 'Lookups', num: true, sortValue: (r) => r.account.lookupCount, render: (r) => formatCount(r.account.lookupCount) },
  { key: 'country', label: 'Country', sortValue: (r) => r.account.country ?? '', render: (r) => r.account.country ?? '—' },
  { key: 'created', label: 'Created', sortValue: (r) => r.account.createdAt ?? '', render: (r) => formatDate(r.account.createdAt) },
  {
    key: 'flags',
    label: 'Flags',
    render: (r) => (
      <>
        {r.inStateRing && (
          <span className="badge" title="In the ring the network's state-linked indicator rests on">
            state ring
          </span>
        )}
        {r.account.verified && <span className="badge">verified</span>}
        {r.account.allowlisted && <span className="badge">allowlisted</span>}
        {r.account.status && r.account.status !== 'active' && <span className="badge">{r.account.status}</span>}
      </>
    ),
  },
];

export function MemberTable({ networkId, members, total, loading }: { networkId: string; members: MemberRow[]; total: number | null; loading: boolean }) {
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: 'score', dir: -1 });
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [shown, setShown] = useState(100);
  const rows = sortRows(members, COLS, sort);
  const toggle = (id: string) =>
    setOpen((o) => {
      const n = new Set(o);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  return (
    <section className="panel" aria-labelledby="members-title">
      <div className="row">
        <h2 id="members-title" style={{ margin: 0 }}>
          Members
        </h2>
        <span className="muted">
          {formatCount(members.length)}
          {total !== null && total > members.length ? ` of ${formatCount(total)} loaded` : ''}
        </span>
      </div>
      {loading && <Loading what="members" />}
      <div className="table-wrap">
        <table data-testid="member-table">
          <thead>
            <tr>
              {COLS.map((c) => (
                <SortHeader key={c.key} col={c} sort={sort} setSort={setSort} />
              ))}
              <th scope="col">
                <span style={{ position: 'absolute', left: -9999 }}>Why</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, shown).map((r) => (
              <Fragment key={r.account.id}>
                <tr>
                  {COLS.map((c) => (
                    <td key={c.key} className={c.num ? 'num' : undefined}>
                      {c.render(r)}
                    </td>
                  ))}
                  <td>
                    <button
                      type="button"
                      className="small"
                      style={{ whiteSpace: 'nowrap' }}
                      aria-expanded={open.has(r.account.id)}
                      aria-label={`Why is ${r.account.handle ?? r.account.id} in this network?`}
                      title="Why is this account here?"
                      onClick={() => toggle(r.account.id)}
                    >
                      Why here?
                    </button>
                  </td>
                </tr>
                {open.has(r.account.id) && (
                  <tr className="why">
                    <td colSpan={COLS.length + 1}>
                      <Why networkId={networkId} accountId={r.account.id} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > shown && (
        <p>
          <button type="button" onClick={() => setShown((s) => s + 200)}>
            Show 200 more ({formatCount(rows.length - shown)} hidden)
          </button>
        </p>
      )}
    </section>
  );
}
