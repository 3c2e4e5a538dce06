package community

import (
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// wgraph is the working graph of Louvain and Leiden levels: a CSR graph
// plus a self-loop weight per node, which is where aggregation keeps the
// weight of the edges inside a collapsed community. Rows hold no self
// entries and need not be sorted.
type wgraph struct {
	off  []int64
	adj  []int32
	w    []float64
	self []float64 // weight of each node's self loop, each internal edge once; nil means none
	k    []float64 // strength: Σ row weights + 2·self
	twoM float64   // Σ k, twice the total edge weight
}

// fromCSR wraps g without copying its arrays.
func fromCSR(g *csr.Graph) *wgraph {
	n := g.Nodes()
	wg := &wgraph{off: g.Offsets, adj: g.Neighbors, w: g.Weights, k: make([]float64, n)}
	for u := range n {
		var s float64
		for _, w := range g.Weights[g.Offsets[u]:g.Offsets[u+1]] {
			s += w
		}
		wg.k[u] = s
		wg.twoM += s
	}
	return wg
}

func (g *wgraph) n() int { return len(g.k) }

// aggregate collapses the nodes of g into groups 0..ngroups-1: the weight
// between two groups is the sum of the weights between their members, and
// a group's self loop holds the weight inside it. Strengths and twoM are
// preserved, so modularity on the aggregate equals modularity of the
// corresponding partition of g. It costs O(n + m) time and at most the
// memory of g.
func aggregate(g *wgraph, group []int32, ngroups int) *wgraph {
	start, order := byGroup(group, ngroups, nil)

	out := &wgraph{
		off:  make([]int64, ngroups+1),
		adj:  make([]int32, 0, len(g.adj)/2),
		w:    make([]float64, 0, len(g.adj)/2),
		self: make([]float64, ngroups),
		k:    make([]float64, ngroups),
		twoM: g.twoM,
	}
	acc := make([]float64, ngroups)
	seen := make([]bool, ngroups)
	var list []int32
	for c := range int32(ngroups) {
		var self, k float64
		for _, v := range order[start[c]:start[c+1]] {
			k += g.k[v]
			if g.self != nil {
				self += g.self[v]
			}
			adj, wt := g.adj[g.off[v]:g.off[v+1]], g.w[g.off[v]:g.off[v+1]]
			wt = wt[:len(adj)]
			for i, u := range adj {
				cu := group[u]
				if cu == c {
					// Seen from both ends, so half each time.
					self += wt[i] / 2
					continue
				}
				if !seen[cu] {
					seen[cu] = true
					list = append(list, cu)
				}
				acc[cu] += wt[i]
			}
		}
		for _, cu := range list {
			out.adj = append(out.adj, cu)
			out.w = append(out.w, acc[cu])
			acc[cu] = 0
			seen[cu] = false
		}
		list = list[:0]
		out.off[c+1] = int64(len(out.adj))
		out.self[c] = self
		out.k[c] = k
	}
	return out
}

// shuffled returns 0..n-1 in random order.
func shuffled(n int, rnd *rand.Rand) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	rnd.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// renumber maps the ids in ids (each below len(ids)) to 0..count-1 in
// order of first appearance, in place, and returns count.
func renumber(ids []int32) int { return dense(ids) }

// byGroup is a counting sort of nodes by group: the nodes of group c are
// order[start[c]:start[c+1]], in the order visit lists them (nil: by id).
// visit, when given, lists every node once. It costs O(n + ngroups).
func byGroup(group []int32, ngroups int, visit []int32) (start, order []int32) {
	start = make([]int32, ngroups+1)
	for _, c := range group {
		start[c+1]++
	}
	for c := range ngroups {
		start[c+1] += start[c]
	}
	order = make([]int32, len(group))
	pos := make([]int32, ngroups)
	copy(pos, start[:ngroups])
	for i := range len(group) {
		v := int32(i)
		if visit != nil {
			v = visit[i]
		}
		c := group[v]
		order[pos[c]] = v
		pos[c]++
	}
	return start, order
}
