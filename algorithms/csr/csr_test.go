package csr

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFromEdges(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		edges     []Edge
		offsets   []int64
		neighbors []int32
		weights   []float64
		total     float64
	}{
		{name: "empty", n: 0, offsets: []int64{0}, total: 0},
		{name: "isolated", n: 3, offsets: []int64{0, 0, 0, 0}},
		{
			name: "path", n: 3, edges: []Edge{{1, 2, 2}, {0, 1, 1}},
			offsets: []int64{0, 1, 3, 4}, neighbors: []int32{1, 0, 2, 1}, weights: []float64{1, 1, 2, 2}, total: 3,
		},
		{
			name: "duplicates summed in either orientation", n: 2, edges: []Edge{{0, 1, 1}, {1, 0, 2.5}, {0, 1, 0.5}},
			offsets: []int64{0, 1, 2}, neighbors: []int32{1, 0}, weights: []float64{4, 4}, total: 4,
		},
		{
			name: "self loops dropped", n: 2, edges: []Edge{{0, 0, 7}, {0, 1, 1}, {1, 1, 3}},
			offsets: []int64{0, 1, 2}, neighbors: []int32{1, 0}, weights: []float64{1, 1}, total: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := FromEdges(tt.n, tt.edges)
			if g.Nodes() != tt.n {
				t.Errorf("Nodes() = %d, want %d", g.Nodes(), tt.n)
			}
			if !slices.Equal(g.Offsets, tt.offsets) || !slices.Equal(g.Neighbors, tt.neighbors) || !slices.Equal(g.Weights, tt.weights) {
				t.Errorf("got %v %v %v, want %v %v %v", g.Offsets, g.Neighbors, g.Weights, tt.offsets, tt.neighbors, tt.weights)
			}
			if g.TotalWeight() != tt.total {
				t.Errorf("TotalWeight() = %v, want %v", g.TotalWeight(), tt.total)
			}
		})
	}
}

func TestFromEdgesPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("FromEdges with an endpoint >= n did not panic")
		}
	}()
	FromEdges(2, []Edge{{0, 2, 1}})
}

// TestFromEdgesRandom checks rows against a map-built adjacency on random
// multigraphs with long rows (exercising the non-insertion sort path).
func TestFromEdgesRandom(t *testing.T) {
	for seed := range uint64(5) {
		rnd := rand.New(rand.NewPCG(seed, 1))
		n := 1 + rnd.IntN(60)
		var edges []Edge
		want := map[[2]int32]float64{}
		for range rnd.IntN(2000) {
			e := Edge{int32(rnd.IntN(n)), int32(rnd.IntN(n)), float64(1 + rnd.IntN(4))}
			edges = append(edges, e)
			if e.U != e.V {
				want[[2]int32{e.U, e.V}] += e.W
				want[[2]int32{e.V, e.U}] += e.W
			}
		}
		g := FromEdges(n, edges)
		got := map[[2]int32]float64{}
		var total float64
		for u := range int32(n) {
			nbr, _ := g.Row(u)
			if !slices.IsSorted(nbr) || len(slices.Compact(slices.Clone(nbr))) != len(nbr) {
				t.Fatalf("seed %d: row %d not sorted and unique: %v", seed, u, nbr)
			}
			if g.Degree(u) != len(nbr) {
				t.Fatalf("seed %d: Degree(%d) = %d, row has %d", seed, u, g.Degree(u), len(nbr))
			}
			var s float64
			for v, w := range g.Adjacent(u) {
				got[[2]int32{u, v}] = w
				s += w
			}
			if s != g.Strength(u) {
				t.Fatalf("seed %d: Strength(%d) = %v, want %v", seed, u, g.Strength(u), s)
			}
			total += s
		}
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d directed entries, want %d", seed, len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Fatalf("seed %d: weight %v = %v, want %v", seed, k, got[k], w)
			}
		}
		if total/2 != g.TotalWeight() {
			t.Fatalf("seed %d: TotalWeight %v, want %v", seed, g.TotalWeight(), total/2)
		}
		back := FromEdges(n, g.EdgeList())
		if !slices.Equal(back.Offsets, g.Offsets) || !slices.Equal(back.Neighbors, g.Neighbors) || !slices.Equal(back.Weights, g.Weights) {
			t.Fatalf("seed %d: FromEdges(EdgeList()) differs", seed)
		}
	}
}

func TestGonum(t *testing.T) {
	g := FromEdges(4, []Edge{{0, 1, 2}, {1, 2, 3}})
	gg := g.Gonum()
	if gg.Nodes().Len() != 4 {
		t.Errorf("gonum graph has %d nodes, want 4 (isolated node kept)", gg.Nodes().Len())
	}
	if w, ok := gg.Weight(2, 1); !ok || w != 3 {
		t.Errorf("Weight(2,1) = %v, %v; want 3, true", w, ok)
	}
	if gg.HasEdgeBetween(0, 2) {
		t.Error("edge 0-2 should be absent")
	}
}
