// Package planted generates LFR-style benchmark graphs (Lancichinetti,
// Fortunato & Radicchi 2008) with a known planted partition, for testing
// and benchmarking community detection: power-law degrees, power-law
// community sizes, and a mixing parameter μ, the share of each node's
// edges that leave its community.
//
// It is LFR-like, not LFR: stubs are paired by a configuration model
// inside each community and across communities, and pairs that would be
// self loops, duplicates or (for external stubs) internal are dropped, so
// degrees and μ come out slightly below their targets.
package planted

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// Config describes a planted graph.
type Config struct {
	Nodes        int     // n
	AvgDegree    float64 // target mean degree
	MaxDegree    int     // largest degree
	DegreeExp    float64 // τ1, exponent of the degree distribution (LFR uses 2–3)
	MinCommunity int     // smallest community size
	MaxCommunity int     // largest community size
	CommunityExp float64 // τ2, exponent of the community size distribution (LFR uses 1–2)
	Mu           float64 // mixing parameter in [0, 1)
	Seed         uint64
}

// Standard returns the configuration used throughout the tests and
// benchmarks for n nodes: mean degree avgDeg, τ1 = 2.5, τ2 = 1.5,
// community sizes 20..max(100, n/100) and maximum degree 5·avgDeg.
func Standard(n int, avgDeg, mu float64, seed uint64) Config {
	return Config{
		Nodes: n, AvgDegree: avgDeg, MaxDegree: int(5 * avgDeg), DegreeExp: 2.5,
		MinCommunity: 20, MaxCommunity: max(100, n/100), CommunityExp: 1.5,
		Mu: mu, Seed: seed,
	}
}

// Generate builds the graph (all weights 1) and the planted community of
// every node, numbered 0..k-1. It panics on an impossible configuration.
func Generate(cfg Config) (*csr.Graph, []int32) {
	if cfg.Nodes < cfg.MinCommunity || cfg.MinCommunity < 2 || cfg.MaxCommunity < cfg.MinCommunity ||
		cfg.AvgDegree < 1 || float64(cfg.MaxDegree) < cfg.AvgDegree || cfg.Mu < 0 || cfg.Mu >= 1 {
		panic(fmt.Sprintf("planted: impossible configuration %+v", cfg))
	}
	rnd := rand.New(rand.NewPCG(cfg.Seed, 0x1f2e3d4c5b6a7988))
	n := cfg.Nodes

	// Degrees: power law on [kmin, kmax] with kmin chosen for the mean.
	kmax := float64(cfg.MaxDegree)
	lo, hi := 1.0, kmax
	for range 60 {
		mid := (lo + hi) / 2
		if powerMean(mid, kmax, cfg.DegreeExp) < cfg.AvgDegree {
			lo = mid
		} else {
			hi = mid
		}
	}
	deg := make([]int, n)
	for i := range deg {
		deg[i] = max(1, int(math.Round(powerSample(rnd, lo, kmax, cfg.DegreeExp))))
	}

	// Community sizes: power law, summing to n.
	var sizes []int
	sum := 0
	for sum < n {
		s := int(math.Round(powerSample(rnd, float64(cfg.MinCommunity), float64(cfg.MaxCommunity), cfg.CommunityExp)))
		sizes = append(sizes, s)
		sum += s
	}
	last := len(sizes) - 1
	sizes[last] -= sum - n
	if sizes[last] < cfg.MinCommunity && last > 0 {
		sizes[0] += sizes[last]
		sizes = sizes[:last]
	}

	// Assignment: nodes by decreasing degree, each to a random community
	// with room that can hold its internal degree (LFR's rule), else to
	// the largest with room, capping the internal degree.
	truth := make([]int32, n)
	free := slices.Clone(sizes)
	open := make([]int32, len(sizes))
	for c := range open {
		open[c] = int32(c)
	}
	byDeg := make([]int32, n)
	for i := range byDeg {
		byDeg[i] = int32(i)
	}
	rnd.Shuffle(n, func(i, j int) { byDeg[i], byDeg[j] = byDeg[j], byDeg[i] })
	slices.SortStableFunc(byDeg, func(a, b int32) int { return deg[b] - deg[a] })
	kin := make([]int, n)
	for _, v := range byDeg {
		want := int(math.Round((1 - cfg.Mu) * float64(deg[v])))
		pick := -1
		for range 30 {
			i := rnd.IntN(len(open))
			if sizes[open[i]] > want {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = 0
			for i, c := range open {
				if sizes[c] > sizes[open[pick]] {
					pick = i
				}
			}
		}
		c := open[pick]
		truth[v] = c
		kin[v] = min(want, sizes[c]-1)
		free[c]--
		if free[c] == 0 {
			open[pick] = open[len(open)-1]
			open = open[:len(open)-1]
		}
	}

	// Internal stubs paired within each community, external stubs across.
	members := make([][]int32, len(sizes))
	for v, c := range truth {
		members[c] = append(members[c], int32(v))
	}
	var edges []csr.Edge
	var stubs []int32
	for _, ms := range members {
		stubs = stubs[:0]
		for _, v := range ms {
			for range kin[v] {
				stubs = append(stubs, v)
			}
		}
		edges = pair(rnd, stubs, edges, nil, true)
	}
	stubs = stubs[:0]
	for v := range n {
		for range deg[v] - kin[v] {
			stubs = append(stubs, int32(v))
		}
	}
	edges = pair(rnd, stubs, edges, truth, false)
	g := csr.FromEdges(n, edges)
	for i := range g.Weights {
		g.Weights[i] = 1 // duplicate pairs merged: keep the graph simple
	}
	return g, truth
}

// pair shuffles stubs and joins them two by two. Pairs that would be a
// self loop, a duplicate (checked when dedupe is set, inside communities
// where duplicates are common) or, when truth is given, an internal edge
// go back into the pool and are reshuffled, for up to 20 rounds.
func pair(rnd *rand.Rand, stubs []int32, edges []csr.Edge, truth []int32, dedupe bool) []csr.Edge {
	var seen map[[2]int32]bool
	if dedupe {
		seen = make(map[[2]int32]bool, len(stubs)/2)
	}
	for round := 0; round < 20 && len(stubs) > 1; round++ {
		rnd.Shuffle(len(stubs), func(i, j int) { stubs[i], stubs[j] = stubs[j], stubs[i] })
		rest := stubs[:0]
		for i := 0; i+1 < len(stubs); i += 2 {
			u, v := min(stubs[i], stubs[i+1]), max(stubs[i], stubs[i+1])
			if u == v || (truth != nil && truth[u] == truth[v]) || (dedupe && seen[[2]int32{u, v}]) {
				rest = append(rest, u, v)
				continue
			}
			if dedupe {
				seen[[2]int32{u, v}] = true
			}
			edges = append(edges, csr.Edge{U: u, V: v, W: 1})
		}
		stubs = rest
	}
	return edges
}

// powerSample draws from the continuous power law x^-τ on [lo, hi].
func powerSample(rnd *rand.Rand, lo, hi, tau float64) float64 {
	a, b := math.Pow(lo, 1-tau), math.Pow(hi, 1-tau)
	return math.Pow(a+(b-a)*rnd.Float64(), 1/(1-tau))
}

// powerMean is the mean of the power law x^-τ on [lo, hi] (τ ≠ 1, 2).
func powerMean(lo, hi, tau float64) float64 {
	return (1 - tau) / (2 - tau) * (math.Pow(hi, 2-tau) - math.Pow(lo, 2-tau)) / (math.Pow(hi, 1-tau) - math.Pow(lo, 1-tau))
}
