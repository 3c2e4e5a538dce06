package community

// mover holds a partition of a wgraph and moves single nodes between
// communities to increase modularity; Louvain's and Leiden's local moving
// phases are both built on best.
type mover struct {
	g     *wgraph
	res   float64   // resolution γ
	comm  []int32   // community of each node; ids in 0..n-1
	tot   []float64 // Σ strength of each community
	size  []int32   // nodes in each community
	empty []int32   // ids of empty communities, for moves to a new community
	count int       // non-empty communities

	// Scratch for the weights from one node to its neighbouring
	// communities: list[i] has weight lw[i]. acc is zero and seen false
	// outside neighbourWeights.
	acc  []float64
	seen []bool
	list []int32
	lw   []float64
}

// smallRow is the degree up to which neighbourWeights searches its short
// list of communities instead of indexing the n-sized scratch arrays:
// sparse rows touch few communities, and the list stays in cache where
// acc and seen, at a million nodes, do not.
const smallRow = 24

// neighbourWeights fills list and lw with v's own community (first, even
// when v has no edge into it) and every community of its neighbours, with
// the weight of v's edges into each.
func (m *mover) neighbourWeights(v int32) {
	g := m.g
	comm := m.comm
	lo, hi := g.off[v], g.off[v+1]
	adj, wt := g.adj[lo:hi], g.w[lo:hi]
	wt = wt[:len(adj)]
	list := append(m.list[:0], comm[v])
	lw := append(m.lw[:0], 0)
	if len(adj) <= smallRow {
	next:
		for i, u := range adj {
			c := comm[u]
			for j, x := range list {
				if x == c {
					lw[j] += wt[i]
					continue next
				}
			}
			list = append(list, c)
			lw = append(lw, wt[i])
		}
		m.list, m.lw = list, lw
		return
	}
	acc, seen := m.acc, m.seen
	seen[list[0]] = true
	for i, u := range adj {
		c := comm[u]
		if !seen[c] {
			seen[c] = true
			list = append(list, c)
			lw = append(lw, 0)
		}
		acc[c] += wt[i]
	}
	for i, c := range list {
		lw[i] = acc[c]
		acc[c] = 0
		seen[c] = false
	}
	m.list, m.lw = list, lw
}

// newMover starts from the partition init (ids below n), or from
// singletons when init is nil.
func newMover(g *wgraph, res float64, init []int32) *mover {
	n := g.n()
	m := &mover{
		g: g, res: res,
		comm: make([]int32, n), tot: make([]float64, n), size: make([]int32, n),
		acc: make([]float64, n), seen: make([]bool, n),
	}
	for v := range n {
		c := int32(v)
		if init != nil {
			c = init[v]
		}
		m.comm[v] = c
		m.tot[c] += g.k[v]
		m.size[c]++
	}
	for c := range int32(n) {
		if m.size[c] == 0 {
			m.empty = append(m.empty, c)
		} else {
			m.count++
		}
	}
	return m
}

// best moves v to the community that gains the most modularity (staying
// when nothing gains more, so moves strictly improve and local moving
// terminates) and returns the new community, the improvement in weight
// units (ΔQ = 2·improvement/2m) and whether v moved. The gain
// of putting v into community c is w(v,c) − γ·k_v·tot_c/2m, in weight
// units; a move to an empty community gains 0.
func (m *mover) best(v int32) (int32, float64, bool) {
	g := m.g
	cv := m.comm[v]
	kv := g.k[v]
	m.neighbourWeights(v)
	scale := m.res * kv / g.twoM
	m.tot[cv] -= kv
	bestC := cv
	ownGain := m.lw[0] - scale*m.tot[cv]
	bestGain := ownGain
	for i, c := range m.list[1:] {
		if gain := m.lw[i+1] - scale*m.tot[c]; gain > bestGain {
			bestC, bestGain = c, gain
		}
	}
	if bestGain < 0 && m.size[cv] > 1 && len(m.empty) > 0 {
		// v is better off alone than anywhere it has edges to.
		bestC, bestGain = m.empty[len(m.empty)-1], 0
		m.empty = m.empty[:len(m.empty)-1]
		m.count++
	}
	m.tot[bestC] += kv
	if bestC == cv {
		return cv, 0, false
	}
	m.comm[v] = bestC
	m.size[cv]--
	m.size[bestC]++
	if m.size[cv] == 0 {
		m.empty = append(m.empty, cv)
		m.count--
	}
	return bestC, bestGain - ownGain, true
}
