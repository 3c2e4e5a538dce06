// The printable case report of one network (#/networks/ID/report): what an
// investigator hands to policy and legal teams. Plain HTML laid out for print
// (styles.css, @media print); the browser's "Save as PDF" makes the file.

import { ReactNode, useMemo } from 'react';
import { useQuery } from 'urql';
import { CaseReportDocument, NeighborhoodDocument } from '../gql/graphql';
import { RELOAD, resultError } from '../graphql/hooks';
import { ErrorBanner, Loading, NotFound } from '../components/common';
import { describeCriteria } from '../lib/criteria';
import { caseReport, CaseReportModel, graphPicture, MEMBERS_SHOWN, ReportList } from '../lib/caseReport';
import { formatCount, formatPercent, formatScore, formatTime, humanise, targetLabel } from '../lib/format';
import { emptyGraph, GraphData, MemberInfo, mergeNeighborhood } from '../lib/graphData';
import { Link } from 'wouter';
import { paths } from '../lib/paths';
import { stateReasonLines, stateReasonText } from '../lib/stateReasons';

/** useNeighbourhood draws the picture from the top member's two-hop neighbourhood, as the network page seeds its graph. */
function useNeighbourhood(model: CaseReportModel | null) {
  const top = model?.members[0]?.account.id;
  const [r] = useQuery({ query: NeighborhoodDocument, variables: { accountId: top ?? '', depth: 2, limit: 300 }, pause: !top });
  const graph = useMemo(() => {
    if (!model || !r.data) return null;
    const members = new Map<string, MemberInfo>(model.members.map((m) => [m.account.id, { role: m.role, score: m.score }]));
    const g = emptyGraph();
    if (r.data.neighborhood) mergeNeighborhood(g, r.data.neighborhood.nodes, r.data.neighborhood.edges, members);
    return g;
  }, [model, r.data]);
  return { graph, error: resultError(r) };
}

function GraphPicture({ graph }: { graph: GraphData }) {
  const pic = useMemo(() => graphPicture(graph), [graph]);
  const members = pic.nodes.filter((n) => n.member).length;
  return (
    <figure className="report-figure">
      <svg viewBox="0 0 600 600" width="100%" role="img" data-testid="report-graph" aria-label={`Graph: ${pic.nodes.length} nodes (${members} members of this network), ${pic.edges.length} links`}>
        {pic.edges.map((e, i) => (
          <line key={i} x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} stroke="#c6ccd4" strokeWidth={0.6} />
        ))}
        {pic.nodes.map((n) => (
          <circle key={n.key} cx={n.x} cy={n.y} r={n.r} fill={n.colour} stroke="#fff" strokeWidth={0.5}>
            <title>{n.label}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="small muted">
        Two-hop neighbourhood of the top member: {formatCount(pic.nodes.length)} nodes, {formatCount(members)} of them members (coloured by role); grey discs are the IPs, devices and looked-up numbers they use.
      </figcaption>
    </figure>
  );
}

/**
 * ListExports names what enforcement received: each completed download of
 * the list with the SHA-256 its body carried, as the server audited it. The
 * report never fetches the list again: an allowlisting since would give
 * another digest than the one applied.
 */
function ListExports({ list }: { list: ReportList }) {
  if (list.exports.length === 0) return <span className="small muted">not downloaded yet</span>;
  return (
    <ul className="plain small" data-testid="list-exports">
      {list.exports.map((e) => (
        <li key={`${e.at}-${e.format}`}>
          {e.format.toUpperCase()} by {e.by}, {formatTime(e.at)}: {formatCount(e.rows)} rows{e.withheld > 0 ? `, ${formatCount(e.withheld)} withheld` : ''},{' '}
          <span className="mono">sha256 {e.sha256}</span>
        </li>
      ))}
    </ul>
  );
}

export function CaseReportBody({ model, picture }: { model: CaseReportModel; picture: ReactNode }) {
  const n = model.network;
  return (
    <article className="case-report" data-testid="case-report">
      <header>
        <p className="muted small">Lockstep case report · printed {formatTime(new Date().toISOString())}</p>
        <h1 data-testid="report-handle">
          Network {model.handle}
        </h1>
        <p className="report-label">{model.label}</p>
        <dl className="report-facts small">
          <dt>Score</dt>
          <dd>{formatScore(n.score)}</dd>
          <dt>Members</dt>
          <dd>{formatCount(n.size)}</dd>
          <dt>Review status</dt>
          <dd>{humanise(n.reviewStatus)}</dd>
          <dt>Possibly state-linked</dt>
          <dd>{n.stateLinked.possible ? `yes, confidence ${formatPercent(n.stateLinked.confidence)}: ${stateReasonLines(n.stateLinked).map(stateReasonText).join('; ')}` : 'not indicated'}</dd>
          <dt>Found by run</dt>
          <dd className="mono">
            {n.runId} ({formatTime(n.run.startedAt)})
          </dd>
          <dt>Network id / lineage</dt>
          <dd className="mono">
            {n.id} / {n.lineageId}
          </dd>
        </dl>
      </header>

      <section>
        <h2>Graph</h2>
        {picture}
      </section>

      <section>
        <h2>Evidence</h2>
        {model.evidence.length === 0 ? (
          <p className="muted">Detection wrote no evidence for this network.</p>
        ) : (
          <ul data-testid="report-evidence">
            {model.evidence.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2>Signals</h2>
        <table data-testid="report-signals">
          <thead>
            <tr>
              <th>Signal</th>
              <th className="num">Contribution to score</th>
              <th className="num">Measured</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {model.signals.map((s) => (
              <tr key={s.name}>
                <td>{humanise(s.name)}</td>
                <td className="num">+{s.contribution.toFixed(2)}</td>
                <td className="num">{typeof s.measured === 'number' ? Number(s.measured.toPrecision(4)).toLocaleString('en-US') : '—'}</td>
                <td className="small">{s.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Shared infrastructure (most shared)</h3>
        <ul className="small">
          {(['ips', 'devices', 'targets'] as const).flatMap((k) =>
            n.sharedResources[k].slice(0, 5).map((r) => (
              <li key={`${k}:${r.id}`}>
                {k === 'ips' ? 'IP' : k === 'devices' ? 'Device' : 'Looked-up number'}{' '}
                <span className="mono">{k === 'targets' ? targetLabel({ key: r.id, masked: r.label }) : r.label}</span>: {formatCount(r.members)} members
              </li>
            )),
          )}
        </ul>
      </section>

      <section>
        <h2>Members</h2>
        <table data-testid="report-members">
          <thead>
            <tr>
              <th>Account</th>
              <th>Role</th>
              <th className="num">Membership score</th>
              <th>Country</th>
              <th>Verified</th>
            </tr>
          </thead>
          <tbody>
            {model.members.map((m) => (
              <tr key={m.account.id}>
                <td>
                  {m.account.handle ?? '—'} <span className="mono muted small">{m.account.id}</span>
                </td>
                <td>{m.role ? humanise(m.role) : '—'}</td>
                <td className="num">{formatScore(m.score)}</td>
                <td>{m.account.country ?? '—'}</td>
                <td>{m.account.verified ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.moreMembers > 0 && (
          <p className="small" data-testid="report-more-members">
            …and {formatCount(model.moreMembers)} more members (the first {MEMBERS_SHOWN} by membership score are listed).
          </p>
        )}
      </section>

      <section>
        <h2>Review history</h2>
        {model.reviews.length === 0 ? (
          <p className="muted">Not reviewed.</p>
        ) : (
          <ol data-testid="report-reviews">
            {model.reviews.map((r) => (
              <li key={r.id}>
                {formatTime(r.at)} · <strong>{humanise(r.verdict)}</strong> by {r.by}: {r.note}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section>
        <h2>Suspension lists</h2>
        <p className="small muted">
          Saved lists whose criteria select this network. A list's content hash is the SHA-256 in the last line of its export (and the export's
          X-Content-SHA256 trailer); the API does not return it otherwise.
        </p>
        {model.lists.length === 0 ? (
          <p className="muted">No saved suspension list selects this network.</p>
        ) : (
          <table data-testid="report-lists">
            <thead>
              <tr>
                <th>List</th>
                <th>Made</th>
                <th>Criteria</th>
                <th className="num">Accounts</th>
                <th>Export and downloads</th>
              </tr>
            </thead>
            <tbody>
              {model.lists.map((l) => (
                <tr key={l.id}>
                  <td className="mono small">{l.id}</td>
                  <td className="small">
                    {formatTime(l.createdAt)} by {l.createdBy}
                  </td>
                  <td className="small">{describeCriteria(l.criteria)}</td>
                  <td className="num">{formatCount(l.accountCount)}</td>
                  <td>
                    <span className="mono small">{l.exportPath}</span> <ListExports list={l} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  );
}

export default function CaseReport({ id }: { id: string }) {
  const [q, reexecute] = useQuery({ query: CaseReportDocument, variables: { id } });
  const error = resultError(q);
  const model = useMemo(() => (q.data?.network ? caseReport(q.data.network, q.data.suspensionLists) : null), [q.data]);
  const nb = useNeighbourhood(model);
  if (q.fetching && !q.data) return <Loading what={`the report of network ${id}`} />;
  if (error) return <ErrorBanner error={error} retry={() => reexecute(RELOAD)} />;
  if (!model) return <NotFound kind="network" id={id} back={paths.networks()} backLabel="Back to the list" />;
  return (
    <div className="stack">
      <div className="row no-print">
        <Link href={paths.network(id)}>← Back to the network</Link>
        <span className="spacer" />
        <button type="button" onClick={() => window.print()}>
          Print or save as PDF
        </button>
      </div>
      <CaseReportBody
        model={model}
        picture={nb.error ? <ErrorBanner error={nb.error} /> : nb.graph ? <GraphPicture graph={nb.graph} /> : model.members.length === 0 ? <p className="muted">No members to draw.</p> : <Loading what="the graph picture" />}
      />
    </div>
  );
}
