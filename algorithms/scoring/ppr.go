package scoring

import "github.com/lockstep-dev/lockstep/algorithms/csr"

// PersonalizedPageRank returns the stationary distribution of a random
// walk on g that restarts at the seeds (uniformly) with probability
// restart at each step, by power iteration (SybilRank-like seeded
// propagation). Mass that reaches a node without edges returns to the
// seeds. With no seeds it returns nil. It costs O(iterations · m).
func PersonalizedPageRank(g *csr.Graph, seeds []int32, restart float64, iterations int) []float64 {
	n := g.Nodes()
	if len(seeds) == 0 || n == 0 {
		return nil
	}
	strength := make([]float64, n)
	for u := range int32(n) {
		strength[u] = g.Strength(u)
	}
	base := 1 / float64(len(seeds))
	x := make([]float64, n)
	for _, s := range seeds {
		x[s] += base
	}
	y := make([]float64, n)
	for range iterations {
		clear(y)
		for u := range int32(n) {
			if x[u] == 0 {
				continue
			}
			if strength[u] == 0 {
				continue // dangling: its mass returns to the seeds below
			}
			share := (1 - restart) * x[u] / strength[u]
			nbr, wt := g.Row(u)
			for i, v := range nbr {
				y[v] += share * wt[i]
			}
		}
		var moved float64
		for _, v := range y {
			moved += v
		}
		back := 1 - moved // restart mass plus dangling mass
		for _, s := range seeds {
			y[s] += back * base
		}
		x, y = y, x
	}
	return x
}
