import { describe, expect, it } from 'vitest';
import { emptyGraph, mergeNeighborhood, nodeColour, nodeKey, scoreColour, searchNodes, syntheticGraph, KIND_COLOURS, RESOURCE_GREY, ROLE_COLOURS } from './graphData';

const hood = {
  nodes: [
    { id: 'a1', kind: 'ACCOUNT' as const, label: 'alice', depth: 0, score: 0.9 },
    { id: '10.0.0.1', kind: 'IP' as const, label: '10.0.0.1', depth: 1 },
    { id: 'a2', kind: 'ACCOUNT' as const, label: 'bob', depth: 2 },
    { id: 'a1', kind: 'DEVICE' as const, label: 'dev a1', depth: 1 },
  ],
  edges: [
    { source: 'a1', target: '10.0.0.1', targetKind: 'IP' as const, count: 5 },
    { source: 'a2', target: '10.0.0.1', targetKind: 'IP' as const, count: 2 },
    { source: 'a1', target: 'a1', targetKind: 'DEVICE' as const, count: 1 },
    { source: 'a9', target: '10.0.0.1', targetKind: 'IP' as const, count: 1 },
  ],
};

describe('mergeNeighborhood', () => {
  it('keys nodes by kind so equal ids of different kinds stay apart', () => {
    const g = emptyGraph();
    const added = mergeNeighborhood(g, hood.nodes, hood.edges, new Map([['a1', { role: 'core', score: 0.8 }]]));
    expect(added).toHaveLength(4);
    expect(g.nodes.has(nodeKey('ACCOUNT', 'a1'))).toBe(true);
    expect(g.nodes.has(nodeKey('DEVICE', 'a1'))).toBe(true);
    expect(g.nodes.get('ACCOUNT:a1')?.member).toEqual({ role: 'core', score: 0.8 });
    expect(g.nodes.get('ACCOUNT:a2')?.member).toBeNull();
    // the a9 edge points at a node the API cut off: skipped
    expect(g.edges.size).toBe(3);
  });

  it('is idempotent and keeps the largest count', () => {
    const g = emptyGraph();
    mergeNeighborhood(g, hood.nodes, hood.edges);
    const again = mergeNeighborhood(g, hood.nodes, [{ source: 'a1', target: '10.0.0.1', targetKind: 'IP', count: 9 }]);
    expect(again).toEqual([]);
    expect(g.nodes.size).toBe(4);
    expect(g.edges.get('ACCOUNT:a1->IP:10.0.0.1')?.count).toBe(9);
  });
});

describe('colours', () => {
  it('colours by kind, role and score', () => {
    const g = emptyGraph();
    mergeNeighborhood(g, hood.nodes, hood.edges, new Map([['a1', { role: 'Core', score: 1 }]]));
    const a1 = g.nodes.get('ACCOUNT:a1')!;
    const a2 = g.nodes.get('ACCOUNT:a2')!;
    const ip = g.nodes.get('IP:10.0.0.1')!;
    expect(nodeColour(ip, 'kind')).toBe(KIND_COLOURS.IP);
    expect(nodeColour(a1, 'role')).toBe(ROLE_COLOURS.core);
    expect(nodeColour(a2, 'role')).toBe(ROLE_COLOURS['non-member']);
    expect(nodeColour(a1, 'score')).toBe(scoreColour(1));
    expect(nodeColour(ip, 'score')).toBe(RESOURCE_GREY);
  });

  it.each([
    [0, '#fee08b'],
    [1, '#b2182b'],
    [2, '#b2182b'],
    [null, ROLE_COLOURS['non-member']],
  ])('scoreColour(%s) = %s', (s, want) => expect(scoreColour(s)).toBe(want));
});

describe('searchNodes', () => {
  it('finds by label or id, accounts first, bounded', () => {
    const g = emptyGraph();
    mergeNeighborhood(g, hood.nodes, hood.edges);
    expect(searchNodes(g, 'A1').map((n) => n.key)).toEqual(['ACCOUNT:a1', 'DEVICE:a1']);
    expect(searchNodes(g, '10.0').map((n) => n.kind)).toEqual(['IP']);
    expect(searchNodes(g, '  ')).toEqual([]);
    expect(searchNodes(g, 'a', 1)).toHaveLength(1);
  });
});

describe('syntheticGraph', () => {
  it('has the requested size, is deterministic and connected by shared resources', () => {
    const g = syntheticGraph(5000, 7);
    expect(g.nodes.size).toBe(5000);
    expect(g.edges.size).toBeGreaterThan(5000);
    const h = syntheticGraph(5000, 7);
    expect([...h.edges.keys()]).toEqual([...g.edges.keys()]);
  });
});
