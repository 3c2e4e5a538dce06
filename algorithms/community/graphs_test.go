package community

import (
	"fmt"

	"github.com/lockstep-dev/lockstep/algorithms/community/internal/planted"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// zacharyEdges is Zachary's karate club (Zachary 1977), 34 members and 78
// friendships, as in gonum's louvain_test.go.
var zacharyEdges = [][]int32{
	1: {0, 2}, 2: {0, 32}, 3: {0, 1, 2}, 4: {0, 6, 10}, 5: {0, 6}, 6: {0, 5},
	7: {0, 1, 2, 3}, 8: {0, 2, 32, 33}, 9: {2, 33}, 10: {0, 5}, 11: {0},
	12: {0, 3}, 13: {0, 1, 2, 3, 33}, 14: {32, 33}, 15: {32, 33}, 16: {5, 6},
	17: {0, 1}, 18: {32, 33}, 19: {0, 1, 33}, 20: {32, 33}, 21: {0, 1},
	22: {32, 33}, 23: {32, 33}, 24: {27, 31}, 25: {23, 24, 31}, 26: {29, 33},
	27: {2, 23, 33}, 28: {2, 31, 33}, 29: {23, 32, 33}, 30: {1, 8, 32, 33},
	31: {0, 32, 33}, 32: {33}, 33: nil,
}

func zachary() *csr.Graph {
	var edges []csr.Edge
	for u, vs := range zacharyEdges {
		for _, v := range vs {
			edges = append(edges, csr.Edge{U: int32(u), V: v, W: 1})
		}
	}
	return csr.FromEdges(34, edges)
}

// cliques returns k cliques of size s; consecutive cliques are joined by
// one edge of weight bridge (the last to the first when ring is set), or
// not at all when bridge is 0.
func cliques(k, s int, bridge float64, ring bool) *csr.Graph {
	var edges []csr.Edge
	for c := range k {
		base := int32(c * s)
		for i := range int32(s) {
			for j := i + 1; j < int32(s); j++ {
				edges = append(edges, csr.Edge{U: base + i, V: base + j, W: 1})
			}
		}
		if bridge > 0 && (c+1 < k || (ring && k > 2)) {
			next := int32((c + 1) % k * s)
			edges = append(edges, csr.Edge{U: base + int32(s) - 1, V: next, W: bridge})
		}
	}
	return csr.FromEdges(k*s, edges)
}

// disjoint returns a graph of several components plus isolated nodes: two
// triangles, a path and three isolated nodes, numbered so that components
// interleave.
func disjoint() *csr.Graph {
	return csr.FromEdges(12, []csr.Edge{
		edge(0, 4, 1), edge(4, 8, 1), edge(8, 0, 1), // triangle
		edge(1, 5, 2), edge(5, 9, 0.5), edge(9, 1, 1), // weighted triangle
		edge(2, 6, 1), edge(6, 10, 1), // path
		// 3, 7, 11 isolated
	})
}

type namedGraph struct {
	name  string
	g     *csr.Graph
	truth []int32 // planted partition, if any
	tiny  bool    // small enough that Louvain-type heuristics may differ by a local optimum
}

func testGraphs() []namedGraph {
	gs := []namedGraph{
		{name: "zachary", g: zachary(), tiny: true},
		{name: "two cliques and a bridge", g: cliques(2, 5, 1, false), tiny: true},
		{name: "ring of 30 cliques", g: cliques(30, 6, 1, true)},
		{name: "ring of 12 weighted cliques", g: cliques(12, 4, 0.5, true), tiny: true},
		{name: "components and isolated nodes", g: disjoint(), tiny: true},
	}
	for _, mu := range []float64{0.1, 0.2, 0.3, 0.4} {
		g, truth := planted.Generate(planted.Standard(3000, 12, mu, uint64(mu*100)))
		gs = append(gs, namedGraph{name: fmt.Sprintf("planted 3000 μ=%.1f", mu), g: g, truth: truth})
	}
	return gs
}

func edge(u, v int32, w float64) csr.Edge { return csr.Edge{U: u, V: v, W: w} }
