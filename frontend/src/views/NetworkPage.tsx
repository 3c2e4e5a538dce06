import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { DeviceAccountsDocument, IpAccountsDocument, NeighborhoodDocument, NetworkDocument, NetworkMembersDocument, type NetworkMembersQuery } from '../gql/graphql';
import { RELOAD, resultError, useRequest } from '../graphql/hooks';
import { CountryTally, ErrorBanner, Loading, NotFound, ReviewBadge, ScoreBar, StateLinkedBadge } from '../components/common';
import { MemberRow, MemberTable } from '../components/MemberTable';
import { NetworkName } from '../components/NetworkName';
import { ReviewPanel } from '../components/ReviewPanel';
import { SignalChart } from '../components/SignalChart';
import { evidenceSentences } from '../lib/evidence';
import { formatCount, formatPercent, formatTime, targetLabel } from '../lib/format';
import { ApiGraphEdge, ApiGraphNode, emptyGraph, GraphData, MemberInfo, mergeNeighborhood, nodeKey, NodeKind } from '../lib/graphData';
import { Link } from 'wouter';
import { paths } from '../lib/paths';
import { stateReasonLines, stateReasonText } from '../lib/stateReasons';

const GraphPanel = lazy(() => import('../graph/GraphPanel'));

/** Members are loaded 100 at a time (the API's page cap) up to this many, for the table and the graph. */
const MEMBER_CAP = 2000;

function useMembers(id: string) {
  const request = useRequest();
  const [members, setMembers] = useState<MemberRow[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      let after: string | null = null;
      const all: MemberRow[] = [];
      try {
        for (;;) {
          const d: NetworkMembersQuery = await request(NetworkMembersDocument, { id, first: 100, after });
          if (!live || !d.network) break;
          const m = d.network.members;
          all.push(...m.edges.map((e) => e.node));
          setTotal(m.totalCount);
          setMembers([...all]);
          if (!m.pageInfo.hasNextPage || !m.pageInfo.endCursor || all.length >= MEMBER_CAP) break;
          after = m.pageInfo.endCursor;
        }
      } catch (e) {
        if (live) setError(e);
      } finally {
        if (live) setLoading(false);
      }
    })();
    return () => {
      live = false;
    };
  }, [id, request]);
  return { members, total, loading, error };
}

function resourceEdges(accounts: { count: number; account: { id: string; handle: string | null } }[], kind: NodeKind, id: string) {
  const nodes: ApiGraphNode[] = accounts.map((a) => ({ id: a.account.id, kind: 'ACCOUNT', label: a.account.handle ?? a.account.id, depth: 1 }));
  const edges: ApiGraphEdge[] = accounts.map((a) => ({ source: a.account.id, target: id, targetKind: kind, count: a.count }));
  return { nodes, edges };
}

export default function NetworkPage({ id }: { id: string }) {
  const [net, reexecute] = useQuery({ query: NetworkDocument, variables: { id } });
  const netError = resultError(net);
  const reload = useCallback(() => reexecute(RELOAD), [reexecute]);
  const request = useRequest();
  const { members, total, loading: membersLoading, error: membersError } = useMembers(id);
  const graphRef = useRef<GraphData>(emptyGraph());
  const [graphVersion, setGraphVersion] = useState(0);
  const [graphNote, setGraphNote] = useState<string>('');
  const [graphError, setGraphError] = useState<unknown>(null);
  const memberMap = useRef(new Map<string, MemberInfo>());
  const seeded = useRef(false);

  useEffect(() => {
    const m = memberMap.current;
    for (const r of members) m.set(r.account.id, { role: r.role, score: r.score });
    // Annotate accounts already drawn once their membership is known.
    let changed = false;
    for (const n of graphRef.current.nodes.values()) {
      if (n.kind === 'ACCOUNT' && !n.member && m.has(n.id)) {
        n.member = m.get(n.id)!;
        changed = true;
      }
    }
    if (changed) setGraphVersion((v) => v + 1);
  }, [members]);

  // Seed the graph from the top members' neighbourhoods once the first page of members is in.
  useEffect(() => {
    if (seeded.current || members.length === 0) return;
    seeded.current = true;
    const top = [...members].sort((a, b) => b.score - a.score);
    (async () => {
      try {
        const first = await request(NeighborhoodDocument, { accountId: top[0].account.id, depth: 2, limit: 500 });
        let truncated = first.neighborhood?.truncated ?? false;
        if (first.neighborhood) mergeNeighborhood(graphRef.current, first.neighborhood.nodes, first.neighborhood.edges, memberMap.current);
        setGraphVersion((v) => v + 1);
        // Members the first neighbourhood missed: add theirs too (a few at a time).
        const missing = top.slice(1, 25).filter((m) => !graphRef.current.nodes.has(nodeKey('ACCOUNT', m.account.id)));
        for (let i = 0; i < missing.length; i += 4) {
          const batch = await Promise.all(
            missing.slice(i, i + 4).map((m) => request(NeighborhoodDocument, { accountId: m.account.id, depth: 1, limit: 100 })),
          );
          for (const b of batch) {
            if (!b.neighborhood) continue;
            truncated ||= b.neighborhood.truncated;
            mergeNeighborhood(graphRef.current, b.neighborhood.nodes, b.neighborhood.edges, memberMap.current);
          }
          setGraphVersion((v) => v + 1);
        }
        setGraphNote(
          `Neighbourhood of the top members${truncated ? ' (cut at the API limit: expand nodes to see more)' : ''}. Grey accounts are not members of this network.`,
        );
      } catch (e) {
        setGraphError(e);
      }
    })();
  }, [members]);

  const expand = useCallback(async (key: string) => {
    const n = graphRef.current.nodes.get(key);
    if (!n) return;
    if (n.kind === 'ACCOUNT') {
      const d = await request(NeighborhoodDocument, { accountId: n.id, depth: 1, limit: 200 });
      if (d.neighborhood) mergeNeighborhood(graphRef.current, d.neighborhood.nodes, d.neighborhood.edges, memberMap.current);
    } else if (n.kind === 'IP') {
      const d = await request(IpAccountsDocument, { addr: n.id });
      if (d.ip) {
        const { nodes, edges } = resourceEdges(d.ip.accounts, 'IP', n.id);
        mergeNeighborhood(graphRef.current, nodes, edges, memberMap.current);
      }
    } else if (n.kind === 'DEVICE') {
      const d = await request(DeviceAccountsDocument, { id: n.id });
      if (d.device) {
        const { nodes, edges } = resourceEdges(d.device.accounts, 'DEVICE', n.id);
        mergeNeighborhood(graphRef.current, nodes, edges, memberMap.current);
      }
    } else {
      throw new Error('Targets cannot be expanded: the API lists who looked a number up only through accounts.');
    }
    setGraphVersion((v) => v + 1);
  }, [request]);

  if (net.fetching && !net.data) return <Loading what={`network ${id}`} />;
  if (netError) return <ErrorBanner error={netError} retry={reload} />;
  const n = net.data?.network;
  if (!n) {
    return <NotFound kind="network" id={id} back={paths.networks()} backLabel="Back to the list" />;
  }
  const sentences = evidenceSentences(n.evidence);
  const shared = n.sharedResources;
  return (
    <div className="stack">
      <div className="row">
        <Link href={paths.networks()}>← Networks</Link>
      </div>
      <div className="row">
        <h1 style={{ margin: 0 }}>
          Network <NetworkName network={n} link={false} />
        </h1>
        <ScoreBar score={n.score} />
        <span>{formatCount(n.size)} members</span>
        <ReviewBadge status={n.reviewStatus} />
        {n.stateLinked.possible && <StateLinkedBadge {...n.stateLinked} />}
        <span className="spacer" />
        <Link className="button" href={paths.report(n.id)}>
          Case report
        </Link>
        <Link className="button" href={paths.lists(`networks=${encodeURIComponent(n.id)}&run=${encodeURIComponent(n.runId)}`)}>
          Build a suspension list…
        </Link>
      </div>
      <p className="muted small" style={{ margin: 0 }}>
        Found by run <span className="mono">{n.runId}</span> ({formatTime(n.run.startedAt)}).
        {n.predecessor && (
          <>
            {' '}
            <Link href={paths.network(n.predecessor.id)}>Previously found</Link> by run {n.predecessor.runId}.
          </>
        )}
        {n.successor && (
          <>
            {' '}
            <Link href={paths.network(n.successor.id)}>Found again</Link> by run {n.successor.runId}.
          </>
        )}{' '}
        Id <span className="mono">{n.id}</span>; lineage id <span className="mono">{n.lineageId}</span>.
      </p>
      <div className="network-layout">
        <div className="stack">
          <ErrorBanner error={graphError} />
          {members.length === 0 && membersLoading ? (
            <Loading what="the graph" />
          ) : (
            <Suspense fallback={<Loading what="the graph renderer" />}>
              <GraphPanel data={graphRef.current} version={graphVersion} title={`Graph of network ${n.id}`} onExpand={expand} note={graphNote} />
            </Suspense>
          )}
          <ErrorBanner error={membersError} />
          <MemberTable networkId={n.id} members={members} total={total} loading={membersLoading} />
        </div>
        <div className="stack">
          <section className="panel" aria-labelledby="evidence-title">
            <h2 id="evidence-title">Evidence</h2>
            {sentences.length === 0 ? (
              <p className="muted">Detection wrote no evidence for this network.</p>
            ) : (
              <ul className="evidence" data-testid="evidence">
                {sentences.map((s, i) => (
                  <li key={i}>{s}</li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="signals-title">
            <h2 id="signals-title">Signal contributions</h2>
            <SignalChart signals={n.signals} />
          </section>
          <section className="panel" aria-labelledby="countries-title">
            <h2 id="countries-title">Countries</h2>
            <dl className="small">
              <dt>Members registered in</dt>
              <dd data-testid="member-countries"><CountryTally tally={n.memberCountries} unit="members" /></dd>
              <dt>Logins from</dt>
              <dd data-testid="login-countries"><CountryTally tally={n.loginCountries} unit="logins" /></dd>
            </dl>
          </section>
          <section className="panel" aria-labelledby="state-title">
            <h2 id="state-title">Possibly state-linked?</h2>
            {n.stateLinked.possible ? (
              <>
                <p>
                  Indicator raised with confidence <strong>{formatPercent(n.stateLinked.confidence)}</strong>. It is a lead for corroboration, never a verdict.
                </p>
                <ul data-testid="state-reasons">
                  {stateReasonLines(n.stateLinked).map((l, i) => (
                    <li key={i}>
                      {l.reason}
                      {l.source && <span className="muted small"> ({l.source})</span>}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="muted">
                Not indicated{n.stateLinked.confidence > 0 ? ` (confidence ${formatPercent(n.stateLinked.confidence)})` : ''}.
                {n.stateLinked.reasons.length > 0 && ` Considered: ${stateReasonLines(n.stateLinked).map(stateReasonText).join('; ')}.`}
              </p>
            )}
          </section>
          <ReviewPanel networkId={n.id} status={n.reviewStatus} reviews={n.reviews} onReviewed={reload} />
          <section className="panel" aria-labelledby="shared-title">
            <h2 id="shared-title">Shared infrastructure</h2>
            {(['ips', 'devices', 'targets'] as const).map((k) => (
              <div key={k}>
                <h3>{k === 'ips' ? 'IP addresses' : k === 'devices' ? 'Devices' : 'Looked-up numbers (masked)'}</h3>
                {shared[k].length === 0 ? (
                  <p className="muted small">None shared by two or more members.</p>
                ) : (
                  <table>
                    <tbody>
                      {shared[k].slice(0, 8).map((r) => (
                        <tr key={r.id}>
                          <td className="mono small">{k === 'targets' ? targetLabel({ key: r.id, masked: r.label }) : r.label}</td>
                          <td className="num small">{formatCount(r.members)} members</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
            ))}
          </section>
        </div>
      </div>
    </div>
  );
}
