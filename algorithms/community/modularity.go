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
	tot := make([]float64, n) // Σ strengths per community
	var in, twoM float64      // Σ A_ij within communities; Σ_ij A_ij
	for u := range int32(n) {
		cu := labels[u]
		nbr, wt := g.Row(u)
		for i, v := range nbr {
			w := wt[i]
			twoM += w
			tot[cu] += w
			if labels[v] == cu {
				in += w
			}
		}
	}
	if twoM == 0 {
		return 0
	}
	var sq float64
	for _, t := range tot {
		sq += t * t
	}
	return in/twoM - resolution*sq/(twoM*twoM)
}
