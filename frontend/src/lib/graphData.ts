// The graph view's data, independent of the renderer: nodes and edges from the
// API's `neighborhood` answers, merged as the analyst expands nodes, with the
// colour of each node under the chosen colouring. Node keys are "KIND:id"
// because ids are only unique within a kind (an account and a device may share one).

export type NodeKind = 'ACCOUNT' | 'IP' | 'DEVICE' | 'TARGET';
export type ColourBy = 'kind' | 'role' | 'score';

export interface ApiGraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  depth: number;
  score?: number | null;
}

export interface ApiGraphEdge {
  source: string;
  target: string;
  targetKind: NodeKind;
  count: number;
}

export interface MemberInfo {
  role: string | null;
  score: number;
}

export interface GNode {
  key: string;
  id: string;
  kind: NodeKind;
  label: string;
  score: number | null;
  member: MemberInfo | null;
}

export interface GEdge {
  key: string;
  source: string;
  target: string;
  count: number;
}

export interface GraphData {
  nodes: Map<string, GNode>;
  edges: Map<string, GEdge>;
}

export const nodeKey = (kind: NodeKind, id: string) => `${kind}:${id}`;

export function emptyGraph(): GraphData {
  return { nodes: new Map(), edges: new Map() };
}

/**
 * mergeNeighborhood adds a neighborhood answer to g (in place) and returns the
 * keys of nodes that were new. Members (by account id) are annotated with
 * their role and membership score. Edges whose ends are missing are skipped
 * (the API cut the neighborhood at `limit`).
 */
export function mergeNeighborhood(
  g: GraphData,
  nodes: ApiGraphNode[],
  edges: ApiGraphEdge[],
  members: Map<string, MemberInfo> = new Map(),
): string[] {
  const added: string[] = [];
  for (const n of nodes) {
    const key = nodeKey(n.kind, n.id);
    const existing = g.nodes.get(key);
    if (existing) {
      if (existing.score === null && n.score != null) existing.score = n.score;
      continue;
    }
    g.nodes.set(key, {
      key,
      id: n.id,
      kind: n.kind,
      label: n.label || n.id,
      score: n.score ?? null,
      member: n.kind === 'ACCOUNT' ? members.get(n.id) ?? null : null,
    });
    added.push(key);
  }
  for (const e of edges) {
    const s = nodeKey('ACCOUNT', e.source);
    const t = nodeKey(e.targetKind, e.target);
    if (!g.nodes.has(s) || !g.nodes.has(t) || s === t) continue;
    const key = `${s}->${t}`;
    const existing = g.edges.get(key);
    if (existing) existing.count = Math.max(existing.count, e.count);
    else g.edges.set(key, { key, source: s, target: t, count: e.count });
  }
  return added;
}

// Colours chosen for contrast on the white canvas and to stay distinct for
// the common colour-vision deficiencies (Okabe–Ito palette).
export const KIND_COLOURS: Record<NodeKind, string> = {
  ACCOUNT: '#0072B2',
  IP: '#E69F00',
  DEVICE: '#009E73',
  TARGET: '#CC79A7',
};
export const ROLE_COLOURS: Record<string, string> = {
  core: '#D55E00',
  peripheral: '#56B4E9',
  seed: '#000000',
  'non-member': '#6E7781',
};
export const OTHER_MEMBER = '#0072B2';
export const RESOURCE_GREY = '#CDD2D8';

/** scoreColour maps 0..1 to a light-yellow→dark-red ramp (null: grey). */
export function scoreColour(score: number | null): string {
  if (score === null || Number.isNaN(score)) return ROLE_COLOURS['non-member'];
  const s = Math.min(1, Math.max(0, score));
  // Interpolate between #FEE08B (low) and #B2182B (high).
  const lerp = (a: number, b: number) => Math.round(a + (b - a) * s);
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `#${hex(lerp(0xfe, 0xb2))}${hex(lerp(0xe0, 0x18))}${hex(lerp(0x8b, 0x2b))}`;
}

/** nodeColour picks a node's colour under the chosen colouring; resources are grey unless colouring by kind. */
export function nodeColour(n: GNode, by: ColourBy): string {
  if (by === 'kind') return KIND_COLOURS[n.kind];
  if (n.kind !== 'ACCOUNT') return RESOURCE_GREY;
  if (by === 'role') {
    if (!n.member) return ROLE_COLOURS['non-member'];
    return ROLE_COLOURS[(n.member.role ?? '').toLowerCase()] ?? OTHER_MEMBER;
  }
  return scoreColour(n.member?.score ?? n.score);
}

/** nodeSize grows with degree, bounded so hubs do not cover the canvas. */
export function nodeSize(n: GNode, degree: number): number {
  const base = n.kind === 'ACCOUNT' ? 4 : 3;
  return Math.min(18, base + Math.sqrt(degree) * 1.2);
}

/** searchNodes finds nodes whose label or id contains q (case-insensitive), accounts first, at most `limit`. */
export function searchNodes(g: GraphData, q: string, limit = 20): GNode[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return [];
  const hits: GNode[] = [];
  for (const n of g.nodes.values()) {
    if (n.label.toLowerCase().includes(needle) || n.id.toLowerCase().includes(needle)) hits.push(n);
  }
  const rank = (n: GNode) => (n.kind === 'ACCOUNT' ? 0 : 1);
  return hits.sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label)).slice(0, limit);
}

/**
 * syntheticGraph builds a deterministic test graph of about n nodes shaped like
 * a detection result (rings of accounts sharing IPs/devices and sweeping
 * targets); the "graph performance" page uses it to check the renderer at 5,000 nodes.
 */
export function syntheticGraph(n: number, seed = 1): GraphData {
  let x = seed >>> 0 || 1;
  const rnd = () => {
    // xorshift32: small, deterministic, good enough for a layout test.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
  const g = emptyGraph();
  const accounts = Math.max(1, Math.floor(n * 0.6));
  const resources = Math.max(1, n - accounts);
  const kinds: NodeKind[] = ['IP', 'DEVICE', 'TARGET'];
  const nodes: ApiGraphNode[] = [];
  const members = new Map<string, MemberInfo>();
  for (let i = 0; i < accounts; i++) {
    nodes.push({ id: `a${i}`, kind: 'ACCOUNT', label: `acct_${i}`, depth: 1, score: rnd() });
    members.set(`a${i}`, { role: i % 5 === 0 ? 'core' : 'peripheral', score: rnd() });
  }
  for (let i = 0; i < resources; i++) nodes.push({ id: `r${i}`, kind: kinds[i % 3], label: `res_${i}`, depth: 1 });
  const edges: ApiGraphEdge[] = [];
  // Rings of 25 accounts, each with its own pool of resources (what detection
  // finds), plus a few organic links between rings.
  const ringSize = 25;
  const rings = Math.max(1, Math.ceil(accounts / ringSize));
  const pool = Math.max(1, Math.floor(resources / rings));
  const link = (a: number, r: number, count: number) => edges.push({ source: `a${a}`, target: `r${r}`, targetKind: kinds[r % 3], count });
  for (let i = 0; i < accounts; i++) {
    const ring = Math.floor(i / ringSize);
    const base = Math.min(resources - 1, ring * pool);
    for (let k = 0; k < 2; k++) link(i, Math.min(resources - 1, base + Math.floor(rnd() * pool)), 1 + Math.floor(rnd() * 20));
    if (rnd() < 0.05) link(i, Math.floor(rnd() * resources), 1);
  }
  mergeNeighborhood(g, nodes, edges, members);
  return g;
}
