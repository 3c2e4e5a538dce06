package community

import (
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// lpaMaxRounds bounds label propagation, which usually settles in a few
// rounds but may oscillate on ties in rare graphs.
const lpaMaxRounds = 100

// LabelPropagation partitions g by weighted asynchronous label propagation
// (Raghavan, Albert & Kumara 2007): every node starts with its own label;
// in each round the nodes, in a fresh random order, adopt the label of
// largest total edge weight among their neighbours, keeping their own on
// a tie and otherwise breaking ties at random. It stops after a round
// with no change, or after 100 rounds. It is fast (O(m) per round) but
// finds lower modularity than Leiden and can make a giant community.
// Modularity is reported at resolution 1. It runs on each connected
// component as Run does, with the component's random source derived from
// seed.
func LabelPropagation(g *csr.Graph, seed uint64) Partition {
	return partition(g, "lpa", 1, seed, 0)
}

// labelPropagation is LabelPropagation on one component; it returns
// labels dense in order of first node.
func labelPropagation(g *wgraph, rnd *rand.Rand) []int32 {
	n := g.n()
	labels := make([]int32, n)
	for u := range labels {
		labels[u] = int32(u)
	}
	acc := make([]float64, n)
	seen := make([]bool, n)
	var list, ties []int32
	order := shuffled(n, rnd)
	for range lpaMaxRounds {
		changed := false
		for _, v := range order {
			nbr, wt := g.adj[g.off[v]:g.off[v+1]], g.w[g.off[v]:g.off[v+1]]
			if len(nbr) == 0 {
				continue
			}
			list = list[:0]
			for i, u := range nbr {
				l := labels[u]
				if !seen[l] {
					seen[l] = true
					list = append(list, l)
				}
				acc[l] += wt[i]
			}
			bestW := -1.0
			ties = ties[:0]
			for _, l := range list {
				switch w := acc[l]; {
				case w > bestW:
					bestW = w
					ties = append(ties[:0], l)
				case w == bestW:
					ties = append(ties, l)
				}
			}
			own := labels[v]
			keep := false
			for _, l := range ties {
				if l == own {
					keep = true
					break
				}
			}
			if !keep {
				l := ties[0]
				if len(ties) > 1 {
					l = ties[rnd.IntN(len(ties))]
				}
				labels[v] = l
				changed = true
			}
			for _, l := range list {
				acc[l] = 0
				seen[l] = false
			}
		}
		if !changed {
			break
		}
		rnd.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	dense(labels)
	return labels
}
