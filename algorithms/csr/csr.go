// Package csr holds the compact undirected weighted graph that Lockstep's
// detection algorithms run on: compressed sparse rows, nodes numbered
// densely from 0, every undirected edge stored once in each direction.
//
// A CSR graph of n nodes and m undirected edges costs 8(n+1) + 24m bytes
// (two directed entries of an int32 neighbour and a float64 weight per
// edge), which is what keeps a million-account projection in memory.
package csr

import (
	"fmt"
	"iter"
	"slices"
)

// Edge is one undirected weighted edge between dense node ids U and V.
type Edge struct {
	U, V int32
	W    float64
}

// Graph is an undirected weighted graph in compressed sparse row form.
// The neighbours of node u are Neighbors[Offsets[u]:Offsets[u+1]], sorted
// by id and without duplicates, with their weights at the same positions
// of Weights. Every undirected edge {u, v} appears twice, as v in u's row
// and u in v's row, with the same weight. Graphs built by FromEdges have
// no self loops.
type Graph struct {
	Offsets   []int64
	Neighbors []int32
	Weights   []float64
}

// FromEdges builds the graph of n nodes with the given undirected edges.
// Duplicate pairs ({u,v} given more than once, in either orientation) are
// merged by summing their weights; self loops (U == V) are dropped, since
// the similarity graphs Lockstep builds never link an account to itself.
// FromEdges panics if an endpoint is outside [0, n). It costs
// O(n + m log d) time for m edges and maximum degree d, and the memory of
// the result plus O(n).
func FromEdges(n int, edges []Edge) *Graph {
	deg := make([]int64, n+1)
	for i, e := range edges {
		if e.U < 0 || int(e.U) >= n || e.V < 0 || int(e.V) >= n {
			panic(fmt.Sprintf("csr: edge %d {%d, %d} has an endpoint outside [0, %d)", i, e.U, e.V, n))
		}
		if e.U == e.V {
			continue
		}
		deg[e.U+1]++
		deg[e.V+1]++
	}
	for u := 1; u <= n; u++ {
		deg[u] += deg[u-1]
	}
	total := deg[n]
	nbr := make([]int32, total)
	wt := make([]float64, total)
	// next[u] is where u's next entry goes; it reuses deg[0:n] shifted by
	// one so that no second offsets array is allocated.
	next := make([]int64, n)
	copy(next, deg[:n])
	for _, e := range edges {
		if e.U == e.V {
			continue
		}
		p := next[e.U]
		nbr[p], wt[p] = e.V, e.W
		next[e.U]++
		p = next[e.V]
		nbr[p], wt[p] = e.U, e.W
		next[e.V]++
	}
	next = nil
	// Sort each row and merge duplicates, compacting the arrays in place:
	// out is the write position, always at or before the row being read.
	offsets := deg
	var out int64
	start := offsets[0]
	for u := 0; u < n; u++ {
		end := offsets[u+1]
		sortRow(nbr[start:end], wt[start:end])
		offsets[u] = out
		for p := start; p < end; p++ {
			if p > start && nbr[p] == nbr[p-1] {
				wt[out-1] += wt[p]
				continue
			}
			nbr[out], wt[out] = nbr[p], wt[p]
			out++
		}
		start = end
	}
	offsets[n] = out
	if out < total/4*3 {
		// Many duplicates: give the memory back.
		nbr = slices.Clone(nbr[:out])
		wt = slices.Clone(wt[:out])
	}
	return &Graph{Offsets: offsets, Neighbors: nbr[:out:out], Weights: wt[:out:out]}
}

// sortRow sorts a row's neighbours by id, keeping weights aligned. Rows
// are short in sparse graphs, so insertion sort handles most of them.
func sortRow(nbr []int32, wt []float64) {
	if len(nbr) <= 24 {
		for i := 1; i < len(nbr); i++ {
			v, w := nbr[i], wt[i]
			j := i
			for ; j > 0 && nbr[j-1] > v; j-- {
				nbr[j], wt[j] = nbr[j-1], wt[j-1]
			}
			nbr[j], wt[j] = v, w
		}
		return
	}
	if slices.IsSorted(nbr) {
		return
	}
	idx := make([]int32, len(nbr))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return int(nbr[a]) - int(nbr[b]) })
	n2 := make([]int32, len(nbr))
	w2 := make([]float64, len(nbr))
	for i, j := range idx {
		n2[i], w2[i] = nbr[j], wt[j]
	}
	copy(nbr, n2)
	copy(wt, w2)
}

// Nodes returns the number of nodes.
func (g *Graph) Nodes() int {
	if len(g.Offsets) == 0 {
		return 0
	}
	return len(g.Offsets) - 1
}

// Edges returns the number of undirected edges (each counted once).
func (g *Graph) Edges() int { return len(g.Neighbors) / 2 }

// Degree returns the number of neighbours of u.
func (g *Graph) Degree(u int32) int { return int(g.Offsets[u+1] - g.Offsets[u]) }

// Strength returns the weighted degree of u: the sum of the weights of its
// edges.
func (g *Graph) Strength(u int32) float64 {
	var s float64
	for _, w := range g.Weights[g.Offsets[u]:g.Offsets[u+1]] {
		s += w
	}
	return s
}

// TotalWeight returns the sum of the edge weights, each undirected edge
// counted once (m in the modularity formula). It costs O(m).
func (g *Graph) TotalWeight() float64 {
	var s float64
	for _, w := range g.Weights {
		s += w
	}
	return s / 2
}

// Row returns u's neighbours and their edge weights as slices of the
// graph's arrays; callers must not modify them.
func (g *Graph) Row(u int32) ([]int32, []float64) {
	a, b := g.Offsets[u], g.Offsets[u+1]
	return g.Neighbors[a:b], g.Weights[a:b]
}

// Adjacent iterates over u's neighbours in increasing id order, yielding
// each neighbour with the weight of the edge to it.
func (g *Graph) Adjacent(u int32) iter.Seq2[int32, float64] {
	return func(yield func(int32, float64) bool) {
		for p := g.Offsets[u]; p < g.Offsets[u+1]; p++ {
			if !yield(g.Neighbors[p], g.Weights[p]) {
				return
			}
		}
	}
}

// EdgeList returns the undirected edges with U < V in row order, the
// inverse of FromEdges.
func (g *Graph) EdgeList() []Edge {
	out := make([]Edge, 0, g.Edges())
	for u := range int32(g.Nodes()) {
		for v, w := range g.Adjacent(u) {
			if u < v {
				out = append(out, Edge{U: u, V: v, W: w})
			}
		}
	}
	return out
}
