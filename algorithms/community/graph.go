package community

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// wgraph is the working graph of one component on every level of Louvain
// and Leiden: a CSR graph plus a self-loop weight per node, which is where
// aggregation keeps the weight of the edges inside a collapsed community.
// Rows hold no self entries and need not be sorted.
type wgraph struct {
	off  []int64
	adj  []int32
	w    []float64
	self []float64 // weight of each node's self loop, each internal edge once; nil means none
	k    []float64 // strength: Σ row weights + 2·self
	twoM float64   // twice the total edge weight of the whole graph: the null model's 2m
	ownK float64   // Σ k, the component's share of twoM: the scale of its gains
}

// fromComponent returns the working graph of the connected component of g
// whose nodes are given in increasing order, numbered by their position
// there, with the whole graph's twoM. It panics if a neighbour of a node
// is not in nodes. It costs O(e log s) for e row entries and s nodes.
func fromComponent(g *csr.Graph, nodes []int32, twoM float64) *wgraph {
	var entries int64
	for _, u := range nodes {
		entries += g.Offsets[u+1] - g.Offsets[u]
	}
	c := &wgraph{
		off:  make([]int64, len(nodes)+1),
		adj:  make([]int32, 0, entries),
		w:    make([]float64, 0, entries),
		k:    make([]float64, len(nodes)),
		twoM: twoM,
	}
	for i, u := range nodes {
		nbr, wt := g.Row(u)
		from := 0 // rows are sorted, so each neighbour lies after the last
		var k float64
		for j, v := range nbr {
			l, ok := slices.BinarySearch(nodes[from:], v)
			if !ok {
				panic(fmt.Sprintf("community: node %d's neighbour %d is not in its component", u, v))
			}
			from += l
			c.adj = append(c.adj, int32(from))
			c.w = append(c.w, wt[j])
			k += wt[j]
			from++
		}
		c.off[i+1] = int64(len(c.adj))
		c.k[i] = k
		c.ownK += k
	}
	if c.ownK > 0 && !(twoM > 0) {
		panic(fmt.Sprintf("community: twoM %v for a component of weight %v", twoM, c.ownK))
	}
	return c
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
		ownK: g.ownK,
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

// modularity returns the share of Newman's Q that the nodes of g
// contribute at resolution res: the whole graph's Q when g is the whole
// graph, and in any case what changes when g's partition changes. It
// costs O(n + m).
func (g *wgraph) modularity(labels []int32, res float64) float64 {
	tot := make([]float64, g.n())
	var in float64
	for u := range g.n() {
		c := labels[u]
		tot[c] += g.k[u]
		if g.self != nil {
			in += 2 * g.self[u]
		}
		for p := g.off[u]; p < g.off[u+1]; p++ {
			if labels[g.adj[p]] == c {
				in += g.w[p]
			}
		}
	}
	var sq float64
	for _, t := range tot {
		sq += t * t
	}
	return in/g.twoM - res*sq/(g.twoM*g.twoM)
}
