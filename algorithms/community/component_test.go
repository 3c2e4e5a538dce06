package community

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/community/internal/planted"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// largestComponent returns the largest connected component of g as a
// graph of its own, nodes numbered in increasing order of their ids in g.
func largestComponent(g *csr.Graph) *csr.Graph {
	ms := ConnectedComponents(g).Members()
	nodes := slices.MaxFunc(ms, func(a, b []int32) int { return len(a) - len(b) })
	local := make(map[int32]int32, len(nodes))
	for i, u := range nodes {
		local[u] = int32(i)
	}
	var edges []csr.Edge
	for _, e := range g.EdgeList() {
		if i, ok := local[e.U]; ok {
			edges = append(edges, csr.Edge{U: i, V: local[e.V], W: e.W})
		}
	}
	return csr.FromEdges(len(nodes), edges)
}

// placed is a graph to embed in a larger one: node i of g becomes ids[i],
// and every weight is multiplied by scale.
type placed struct {
	g     *csr.Graph
	ids   []int32
	scale float64
}

// compose builds the graph of n nodes holding the given pieces.
func compose(n int, pieces ...placed) *csr.Graph {
	var edges []csr.Edge
	for _, p := range pieces {
		for _, e := range p.g.EdgeList() {
			edges = append(edges, csr.Edge{U: p.ids[e.U], V: p.ids[e.V], W: e.W * p.scale})
		}
	}
	return csr.FromEdges(n, edges)
}

// restrict returns the partition labels induces on nodes, numbered by
// first appearance, so that equal partitions compare equal.
func restrict(labels, nodes []int32) []int32 {
	ids := map[int32]int32{}
	out := make([]int32, len(nodes))
	for i, u := range nodes {
		c, ok := ids[labels[u]]
		if !ok {
			c = int32(len(ids))
			ids[labels[u]] = c
		}
		out[i] = c
	}
	return out
}

// componentWorld is a component A (the largest component of an
// ambiguous planted graph, μ = 0.4, where the random stream decides many
// moves) at the fixed ids 1, 4, 7, ..., and two other graphs B and C to
// put around it in the ids A leaves free.
type componentWorld struct {
	a, b, c *csr.Graph
	aIDs    []int32
	n       int // ids 0..n-1 hold A and room for B and C twice over
}

func newComponentWorld() componentWorld {
	a := largestComponent(func() *csr.Graph { g, _ := planted.Generate(planted.Standard(1500, 8, 0.4, 5)); return g }())
	b, _ := planted.Generate(planted.Standard(900, 10, 0.3, 6))
	c := cliques(40, 5, 1, true)
	w := componentWorld{a: a, b: b, c: c, n: 3*a.Nodes() + 2*(b.Nodes()+c.Nodes())}
	for i := range a.Nodes() {
		w.aIDs = append(w.aIDs, int32(3*i+1))
	}
	return w
}

// free returns count ids not used by A, from the free ids in increasing
// order after skipping skip of them; reversed, the same ids last first.
func (w componentWorld) free(skip, count int, reversed bool) []int32 {
	var ids []int32
	for u := int32(0); int(u) < w.n && len(ids) < count; u++ {
		if u%3 == 1 && int(u) < 3*w.a.Nodes() {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		ids = append(ids, u)
	}
	if reversed {
		slices.Reverse(ids)
	}
	return ids
}

// TestComponentPartitionIndependentOfOtherComponents: the communities of
// one component are the same whatever the rest of the graph holds (other
// components added, removed, changed, or moved to other ids), as long as
// the 2m passed in is the same. clusterComponent is given the same 2m
// throughout; Run is compared across graphs of equal total weight, which
// a whole-graph run sharing one random stream fails.
func TestComponentPartitionIndependentOfOtherComponents(t *testing.T) {
	w := newComponentWorld()
	nb, nc := w.b.Nodes(), w.c.Nodes()
	aPart := placed{w.a, w.aIDs, 1}
	// Equal total weight (exactly: weights are halves and wholes): B, B
	// on other ids in reverse order, and two half-weight copies of B.
	sameWeight := []struct {
		name string
		g    *csr.Graph
	}{
		{"A and B", compose(w.n, aPart, placed{w.b, w.free(0, nb, false), 1})},
		{"B on other ids, last first", compose(w.n, aPart, placed{w.b, w.free(nc, nb, true), 1})},
		{"B halved and doubled", compose(w.n, aPart, placed{w.b, w.free(0, nb, false), 0.5}, placed{w.b, w.free(nb, nb, true), 0.5})},
	}
	// Any total weight: A alone, B with one more edge, C instead of B.
	extra := csr.FromEdges(nb, append(w.b.EdgeList(), csr.Edge{U: 0, V: int32(nb - 1), W: 3}))
	anyWeight := []struct {
		name string
		g    *csr.Graph
	}{
		{"A alone", compose(w.n, aPart)},
		{"B with an edge more", compose(w.n, aPart, placed{extra, w.free(0, nb, false), 1})},
		{"C instead of B", compose(w.n, aPart, placed{w.c, w.free(3, nc, true), 1})},
	}
	twoM := 2 * sameWeight[0].g.TotalWeight()
	for _, name := range []string{"leiden", "louvain", "lpa"} {
		for _, seed := range seeds[:3] {
			t.Run(fmt.Sprintf("%s/seed %d", name, seed), func(t *testing.T) {
				want := clusterComponent(sameWeight[0].g, w.aIDs, name, 1, seed, twoM)
				if slices.Max(want) < 2 {
					t.Fatalf("A has %d communities: too few for the test to mean anything", slices.Max(want)+1)
				}
				for _, tc := range append(sameWeight, anyWeight...) {
					got := clusterComponent(tc.g, w.aIDs, name, 1, seed, twoM)
					if !slices.Equal(got, want) {
						t.Errorf("%s: clusterComponent gives A another partition", tc.name)
					}
				}
				for _, tc := range sameWeight {
					if 2*tc.g.TotalWeight() != twoM {
						t.Fatalf("%s: 2m %v, want %v", tc.name, 2*tc.g.TotalWeight(), twoM)
					}
					p, err := Run(tc.g, name, 1, seed)
					if err != nil {
						t.Fatal(err)
					}
					if got := restrict(p.Labels, w.aIDs); !slices.Equal(got, want) {
						t.Errorf("%s: Run gives A another partition (%d communities, want %d)", tc.name, slices.Max(got)+1, slices.Max(want)+1)
					}
				}
			})
		}
	}
}

// TestRunClustersEachComponent: Run's partition, restricted to
// each connected component, is what clusterComponent returns for it with
// the graph's 2m, and combine of those labels is Run's partition.
func TestRunClustersEachComponent(t *testing.T) {
	w := newComponentWorld()
	g := compose(w.n, placed{w.a, w.aIDs, 1}, placed{w.b, w.free(0, w.b.Nodes(), true), 1}, placed{w.c, w.free(w.b.Nodes(), w.c.Nodes(), false), 0.25})
	for _, name := range Algorithms {
		p, err := Run(g, name, 1, 7)
		if err != nil {
			t.Fatal(err)
		}
		comps := ConnectedComponents(g).Members()
		var labels [][]int32
		for _, nodes := range comps {
			want := clusterComponent(g, nodes, name, 1, 7, 2*g.TotalWeight())
			if got := restrict(p.Labels, nodes); !slices.Equal(got, want) {
				t.Errorf("%s: component of node %d (%d nodes): Run's partition differs from clusterComponent's", name, nodes[0], len(nodes))
			}
			// Any numbering of a component's communities combines to the
			// same partition: number them backwards.
			for j, c := range want {
				want[j] = int32(len(nodes)) - 1 - c
			}
			labels = append(labels, want)
		}
		got := combine(g, comps, labels, 1)
		if !slices.Equal(got.Labels, p.Labels) || got.Count != p.Count || got.Modularity != p.Modularity {
			t.Errorf("%s: combine of clusterComponent's labels: %d communities, Q %v; Run: %d, Q %v", name, got.Count, got.Modularity, p.Count, p.Modularity)
		}
	}
}

// TestWorkersDoNotChangeResults: the partition is the same on one worker
// as on several, for a graph of many components of different sizes.
func TestWorkersDoNotChangeResults(t *testing.T) {
	w := newComponentWorld()
	g := compose(w.n, placed{w.a, w.aIDs, 1}, placed{w.b, w.free(0, w.b.Nodes(), false), 1}, placed{w.c, w.free(w.b.Nodes(), w.c.Nodes(), true), 1})
	for _, name := range Algorithms {
		for _, seed := range seeds[:2] {
			one := partition(g, name, 1, seed, 1)
			if one.Count < 100 {
				t.Fatalf("%s: %d communities: too few for the test to mean anything", name, one.Count)
			}
			for _, workers := range []int{2, 5} {
				many := partition(g, name, 1, seed, workers)
				if !slices.Equal(one.Labels, many.Labels) || one.Modularity != many.Modularity {
					t.Errorf("%s seed %d: %d workers give another partition than one (Q %v vs %v)", name, seed, workers, many.Modularity, one.Modularity)
				}
			}
		}
	}
}
