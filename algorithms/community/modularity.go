package community

import "github.com/lockstep-dev/lockstep/algorithms/csr"

// Modularity returns Newman's modularity of the partition given by labels
// at the given resolution γ:
//
//	Q = 1/(2m) Σ_ij [A_ij − γ k_i k_j / (2m)] δ(c_i, c_j)
//
// the same quantity as gonum's community.Q. Labels may be any
// non-negative int32 below len(labels). A graph without edges has Q = 0.
// Modularity panics if len(labels) != g.Nodes(). It costs O(n + m).
func Modularity(g *csr.Graph, labels []int32, resolution float64) float64 {
	n := g.Nodes()
	if len(labels) != n {
		panic("community: Modularity: len(labels) != g.Nodes()")
	}
	// g as a working graph of one piece holding all the weight, so that
	// Q has one formula (wgraph.modularity) for Run's parts and the whole.
	wg := &wgraph{off: g.Offsets, adj: g.Neighbors, w: g.Weights, k: make([]float64, n)}
	for u := range int32(n) {
		wg.k[u] = g.Strength(u)
		wg.twoM += wg.k[u]
	}
	if wg.twoM == 0 {
		return 0
	}
	wg.ownK = wg.twoM
	return wg.modularity(labels, resolution)
}
