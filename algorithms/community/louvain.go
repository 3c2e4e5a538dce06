package community

import (
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// Louvain partitions g by the Louvain method (Blondel et al. 2008) at the
// given resolution: passes over the nodes in random order move each node
// to the neighbouring community of largest modularity gain until a pass
// moves nothing, then communities are collapsed into nodes and the process
// repeats on the smaller graph until nothing moves. Like leidenalg's
// optimiser without refinement, the whole procedure is then repeated from
// its own result while modularity gains at least 1e-7 (at most 10 times),
// which recovers moves that early aggregation locked in.
// Louvain communities can be internally disconnected; Leiden's cannot.
// It costs O(m) time per pass and O(n + m) memory; rnd fixes the order.
func Louvain(g *csr.Graph, resolution float64, rnd *rand.Rand) Partition {
	return iterate(g, resolution, false, func(base *wgraph, init []int32) []int32 {
		return louvainIteration(base, resolution, init, rnd)
	})
}

// louvainIteration runs the multi-level Louvain method on base from the
// partition init (singletons when nil) and returns the labels of the
// original nodes.
func louvainIteration(base *wgraph, res float64, init []int32, rnd *rand.Rand) []int32 {
	mapping := make([]int32, base.n()) // original node -> node of the current level
	for u := range mapping {
		mapping[u] = int32(u)
	}
	wg := base
	for {
		m := newMover(wg, res, init)
		init = nil
		moved := false
		order := shuffled(wg.n(), rnd)
		for {
			passMoved := false
			for _, v := range order {
				if _, _, ok := m.best(v); ok {
					passMoved = true
				}
			}
			if !passMoved {
				break
			}
			moved = true
			rnd.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		group := m.comm
		k := renumber(group)
		for u, v := range mapping {
			mapping[u] = group[v]
		}
		if !moved || k == wg.n() {
			return mapping
		}
		wg = aggregate(wg, group, k)
	}
}
