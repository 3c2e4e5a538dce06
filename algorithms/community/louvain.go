package community

import (
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// louvainMinGain is the modularity a local-moving pass must gain for
// Louvain to make another pass on the same level: without it, the last
// passes on a large graph move a handful of nodes each for nothing
// measurable and cost as much as the first.
const louvainMinGain = 1e-6

// louvainTail stops the passes of a level once a pass gains less than
// this share of what the level has gained so far: on large graphs the
// tail of passes that each shuffle a few nodes for 1e-5 is long, and the
// next iteration recovers what it leaves.
const louvainTail = 1e-3

// Louvain partitions g by the Louvain method (Blondel et al. 2008) at the
// given resolution: passes over the nodes in random order move each node
// to the neighbouring community of largest modularity gain until a pass
// gains less than 1e-6 or 0.1% of the level's gain so far, then
// communities are collapsed into nodes and the process repeats on the
// smaller graph until nothing moves. Like leidenalg's optimiser without
// refinement, the whole procedure is then repeated once from its own
// result, which recovers moves that early aggregation locked in.
// Louvain communities can be internally disconnected; Leiden's cannot.
// Gains are measured in units of each component's own weight. It runs on
// each connected component as Run does, with the component's random
// source derived from seed. It costs O(m) time per pass and O(n + m)
// memory.
func Louvain(g *csr.Graph, resolution float64, seed uint64) Partition {
	return partition(g, "louvain", resolution, seed, 0)
}

// louvain is Louvain on one component.
func louvain(c *wgraph, resolution float64, rnd *rand.Rand) []int32 {
	return iterate(c, resolution, false, func(work *wgraph, init []int32) ([]int32, bool) {
		return louvainIteration(work, resolution, init, rnd), false
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
		levelQ := 0.0 // modularity gained on this level so far
		for {
			passGain := 0.0
			for _, v := range order {
				if _, gain, ok := m.best(v); ok {
					moved = true
					passGain += gain
				}
			}
			passQ := 2 * passGain / wg.ownK
			levelQ += passQ
			if passQ < louvainMinGain || passQ < louvainTail*levelQ {
				break
			}
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
