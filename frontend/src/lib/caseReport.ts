// The printable case report of one network (views/CaseReport.tsx), as data:
// what it says is decided here, from the API's answers, so a test can read it
// without a browser.

import Graph from 'graphology';
import { circular } from 'graphology-layout';
import forceAtlas2 from 'graphology-layout-forceatlas2';
import { byContribution, evidenceSentences, SignalInput } from './evidence';
import { GraphData, nodeColour } from './graphData';
import type { StateLinkedReasons } from './stateReasons';

export interface ReportNetwork {
  id: string;
  handle: string;
  label: string;
  runId: string;
  size: number;
  score: number;
  reviewStatus: string;
  lineageId: string;
  evidence: unknown;
  run: { id: string; startedAt: string | null; finishedAt: string | null };
  signals: (SignalInput & { strength?: number | null })[];
  memberCountries: { count: number; top: { country: string; count: number }[] } | null;
  stateLinked: { possible: boolean; confidence: number } & StateLinkedReasons;
  reviews: { id: string; verdict: string; note: string; by: string; at: string }[];
  sharedResources: Record<'ips' | 'devices' | 'targets', { id: string; label: string; members: number }[]>;
  members: { totalCount: number; edges: { node: { score: number; role: string | null; account: { id: string; handle: string | null; country: string | null; verified: boolean } } }[] };
}

export interface ReportList {
  id: string;
  criteria: unknown;
  createdBy: string;
  createdAt: string;
  accountCount: number;
  exportPath: string;
  /** completed downloads, newest first, with the digest each carried (SuspensionList.exports) */
  exports: { at: string; by: string; format: string; sha256: string; rows: number; withheld: number }[];
}

export interface CaseReportModel {
  handle: string;
  label: string;
  network: ReportNetwork;
  signals: ReportNetwork['signals'];
  evidence: string[];
  members: ReportNetwork['members']['edges'][number]['node'][];
  /** members beyond the ones listed */
  moreMembers: number;
  /** reviews, oldest first: the report reads as a history */
  reviews: ReportNetwork['reviews'];
  lists: ReportList[];
}

/** MEMBERS_SHOWN is how many members the report lists by name (the API's page cap). */
export const MEMBERS_SHOWN = 100;

/**
 * listSelects says whether a saved list's criteria select this network: the
 * same rules createSuspensionList applies (run, network ids, minimum score,
 * confirmed only). The API has no "lists of a network" field, so the report
 * reads every list's criteria. confirmedOnly is judged by today's review
 * status, which may differ from the status when the list was made.
 */
export function listSelects(criteria: unknown, n: Pick<ReportNetwork, 'id' | 'runId' | 'score' | 'reviewStatus'>): boolean {
  if (!criteria || typeof criteria !== 'object') return false;
  const c = criteria as Record<string, unknown>;
  if (c.runId !== n.runId) return false;
  if (Array.isArray(c.networkIds) && c.networkIds.length > 0 && !c.networkIds.includes(n.id)) return false;
  if (typeof c.minScore === 'number' && n.score < c.minScore) return false;
  if (c.confirmedOnly === true && n.reviewStatus !== 'CONFIRMED') return false;
  return true;
}

export function caseReport(network: ReportNetwork, lists: ReportList[]): CaseReportModel {
  const members = [...network.members.edges.map((e) => e.node)].sort((a, b) => b.score - a.score || a.account.id.localeCompare(b.account.id)).slice(0, MEMBERS_SHOWN);
  return {
    handle: network.handle,
    label: network.label,
    network,
    signals: byContribution(network.signals),
    evidence: evidenceSentences(network.evidence),
    members,
    moreMembers: Math.max(0, network.members.totalCount - members.length),
    reviews: [...network.reviews].sort((a, b) => a.at.localeCompare(b.at)),
    lists: lists.filter((l) => listSelects(l.criteria, network)).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
  };
}

export interface PictureNode {
  key: string;
  x: number;
  y: number;
  r: number;
  colour: string;
  label: string;
  member: boolean;
}

/**
 * graphPicture lays a neighbourhood out for a static SVG: positions come from
 * a fixed number of ForceAtlas2 iterations from a circle, so the same data
 * always draws the same picture and printing needs no WebGL (a canvas may
 * not survive print or a headless browser). Coordinates fit [0, size].
 */
export function graphPicture(g: GraphData, size = 600): { nodes: PictureNode[]; edges: { x1: number; y1: number; x2: number; y2: number }[] } {
  const graph = new Graph({ type: 'undirected' });
  for (const n of g.nodes.values()) graph.addNode(n.key);
  for (const e of g.edges.values()) if (!graph.hasEdge(e.source, e.target)) graph.addEdge(e.source, e.target);
  if (graph.order === 0) return { nodes: [], edges: [] };
  circular.assign(graph);
  if (graph.order > 1) forceAtlas2.assign(graph, { iterations: 150, settings: { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 500 } });
  const xs = graph.mapNodes((_, a) => a.x as number);
  const ys = graph.mapNodes((_, a) => a.y as number);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 16;
  const scale = (size - 2 * pad) / Math.max(x1 - x0, y1 - y0, 1e-9);
  const pos = new Map<string, { x: number; y: number }>();
  graph.forEachNode((k, a) => pos.set(k, { x: pad + ((a.x as number) - x0) * scale, y: pad + ((a.y as number) - y0) * scale }));
  const nodes = [...g.nodes.values()].map((n) => ({
    key: n.key,
    ...pos.get(n.key)!,
    r: n.member ? 5 : n.kind === 'ACCOUNT' ? 3.5 : 3,
    colour: nodeColour(n, 'role'),
    label: n.label,
    member: n.member !== null,
  }));
  const edges = [...g.edges.values()].map((e) => {
    const a = pos.get(e.source)!;
    const b = pos.get(e.target)!;
    return { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
  });
  return { nodes, edges };
}
