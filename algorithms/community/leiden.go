package community

import (
	"math"
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

const (
	// leidenTheta is the randomness θ of the refinement phase: a node
	// joins a refined community with probability ∝ exp(ΔH/θ), with ΔH in
	// units of the component's mean edge weight (so the choice does not
	// depend on how weights are scaled). 0.01 is the paper's value; with gains of
	// a fraction of an edge it is nearly greedy.
	leidenTheta = 0.01
	// leidenMaxIterations bounds the outer iterations of Leiden and
	// Louvain; each starts from the previous partition and they stop early
	// once modularity gains less than leidenMinGain. Two is the default of
	// leidenalg and igraph: on 200,000-node LFR-style graphs the second
	// iteration gains about 0.003 in Q, a third about 0.00005 for the
	// price of a whole iteration.
	leidenMaxIterations = 2
	leidenMinGain       = 1e-7
)

// Leiden partitions g by the Leiden algorithm (Traag, Waltman & van Eck,
// "From Louvain to Leiden: guaranteeing well-connected communities",
// Scientific Reports 9, 2019) at the given resolution:
//
//  1. fast local moving: nodes are taken from a queue (initially all, in
//     random order) and moved to the neighbouring community of largest
//     modularity gain; when a node moves, its neighbours outside its new
//     community rejoin the queue;
//  2. refinement: inside each community, starting from singletons, a node
//     that is still alone and well connected to its community merges into
//     a well-connected refined community of non-negative gain, chosen at
//     random with probability ∝ exp(ΔH/θ); every refined community is
//     thus connected;
//  3. aggregation: the refined communities become the nodes of the next
//     level, which starts from the unrefined partition.
//
// A level where every node stays alone ends an iteration; a second
// iteration starts from the first's partition (on nodes renumbered
// community by community, for cache locality) unless the first gained
// nothing. Every community of the result is connected. It runs on each
// connected component as Run does, with the component's random source
// derived from seed. It costs O(m) time per level and O(n + m) memory.
func Leiden(g *csr.Graph, resolution float64, seed uint64) Partition {
	return partition(g, "leiden", resolution, seed, 0)
}

// leiden is Leiden on one component.
func leiden(c *wgraph, resolution float64, rnd *rand.Rand) []int32 {
	// θ's scale: the component's mean edge weight.
	meanW := c.ownK / float64(len(c.adj))
	return iterate(c, resolution, true, func(work *wgraph, init []int32) ([]int32, bool) {
		return leidenIteration(work, resolution, meanW, init, rnd)
	})
}

// iterate runs one iteration of an algorithm after another on the
// component base, each from the previous partition, while modularity
// gains at least leidenMinGain of the component's share of the graph's
// weight (at most leidenMaxIterations), and returns the best partition's
// labels, dense in order of first node. An iteration returns labels of
// the nodes of base and whether its communities are known to be
// connected; with split set, those of an iteration that cannot say so
// are split (see splitDisconnected).
func iterate(base *wgraph, resolution float64, split bool, iteration func(work *wgraph, init []int32) ([]int32, bool)) []int32 {
	n := base.n()
	work := base    // the graph iterations run on
	var pos []int32 // node of base -> node of work; nil while they are the same
	identity := make([]int32, n)
	for u := range identity {
		identity[u] = int32(u)
	}
	// Gains are compared in units of the component's own weight, so that
	// a small component converges as fully as a large one.
	minGain := leidenMinGain * base.ownK / base.twoM
	q := base.modularity(identity, resolution)
	var init []int32 // in work's numbering
	var best []int32
	for it := range leidenMaxIterations {
		next, connected := iteration(work, init)
		if pos != nil {
			back := make([]int32, n)
			for u, p := range pos {
				back[u] = next[p]
			}
			next = back
		}
		if split && !connected {
			splitDisconnected(base, next)
		} else {
			renumber(next)
		}
		nq := base.modularity(next, resolution)
		if nq >= q {
			best = next
		}
		if nq < q+minGain {
			break
		}
		q = nq
		if it == 0 {
			// Later iterations mostly move nodes within and between the
			// communities found: numbering nodes community by community
			// keeps those moves in cache.
			work, pos = permuteByLabels(work, next)
		}
		init = make([]int32, n)
		for u, p := range pos {
			init[p] = next[u]
		}
	}
	if best == nil {
		return identity
	}
	// Dense in order of first node already: renumber and
	// splitDisconnected number them so.
	return best
}

// permuteByLabels returns a copy of g with nodes renumbered in order of
// their label (dense, below n), stable by id, and each node's new id.
// It costs O(n + m) time and the memory of g.
func permuteByLabels(g *wgraph, labels []int32) (*wgraph, []int32) {
	n := g.n()
	start := make([]int32, n+1)
	for _, c := range labels {
		start[c+1]++
	}
	for c := 1; c <= n; c++ {
		start[c] += start[c-1]
	}
	pos := make([]int32, n)
	order := make([]int32, n)
	for u, c := range labels {
		pos[u] = start[c]
		order[start[c]] = int32(u)
		start[c]++
	}
	out := &wgraph{
		off:  make([]int64, n+1),
		adj:  make([]int32, len(g.adj)),
		w:    make([]float64, len(g.w)),
		k:    make([]float64, n),
		twoM: g.twoM,
		ownK: g.ownK,
	}
	if g.self != nil {
		out.self = make([]float64, n)
	}
	var p int64
	for i, u := range order {
		for q := g.off[u]; q < g.off[u+1]; q++ {
			out.adj[p] = pos[g.adj[q]]
			out.w[p] = g.w[q]
			p++
		}
		out.off[i+1] = p
		out.k[i] = g.k[u]
		if g.self != nil {
			out.self[i] = g.self[u]
		}
	}
	return out, pos
}

// leidenIteration runs one Leiden iteration on base from the partition
// init (singletons when nil) and returns the labels of the original nodes.
func leidenIteration(base *wgraph, res, meanW float64, init []int32, rnd *rand.Rand) (labels []int32, connected bool) {
	n := base.n()
	mapping := make([]int32, n) // original node -> node of the current level
	for u := range mapping {
		mapping[u] = int32(u)
	}
	wg := base
	for {
		m := newMover(wg, res, init)
		moveNodesFast(m, rnd)
		if m.count == wg.n() {
			break
		}
		refined := refine(m, meanW, rnd)
		k := renumber(refined)
		coarse := m.comm
		renumber(coarse)
		if k == wg.n() {
			// Refinement merged nothing, so aggregating would not shrink
			// the graph: stop here with the unrefined partition. Its
			// communities may be disconnected; the caller splits them.
			for u, v := range mapping {
				mapping[u] = m.comm[v]
			}
			return mapping, false
		}
		// Every refined community lies inside one community of the
		// unrefined partition, which becomes the next level's start.
		nextInit := groupByCoarse(refined, k, coarse)
		for u, v := range mapping {
			mapping[u] = refined[v]
		}
		wg = aggregate(wg, refined, k)
		init = nextInit
	}
	// Every node of the last level is its own community, and each is a
	// refined community of the level before: connected.
	return mapping, true
}

// groupByCoarse renumbers the refined communities (0..k-1) so that those
// inside one coarse community get consecutive ids, and returns the coarse
// community of each. The next level's nodes then sit next to their
// community's other nodes in memory, which is what makes its local moving
// cache-friendly.
func groupByCoarse(refined []int32, k int, coarse []int32) []int32 {
	coarseOf := make([]int32, k)
	for v, r := range refined {
		coarseOf[r] = coarse[v]
	}
	start := make([]int32, len(refined)+1)
	for _, c := range coarseOf {
		start[c+1]++
	}
	for c := 1; c < len(start); c++ {
		start[c] += start[c-1]
	}
	newID := make([]int32, k)
	init := make([]int32, k)
	for r, c := range coarseOf {
		newID[r] = start[c]
		init[start[c]] = c
		start[c]++
	}
	for v, r := range refined {
		refined[v] = newID[r]
	}
	return init
}

// moveNodesFast is Leiden's local moving phase: a queue visits every node
// once in random order and again whenever a neighbour moves away from it.
func moveNodesFast(m *mover, rnd *rand.Rand) {
	n := m.g.n()
	queue := shuffled(n, rnd) // circular buffer holding up to n nodes
	inQueue := make([]bool, n)
	for i := range inQueue {
		inQueue[i] = true
	}
	head, size := 0, n
	g := m.g
	for size > 0 {
		v := queue[head]
		head++
		if head == n {
			head = 0
		}
		size--
		inQueue[v] = false
		c, _, moved := m.best(v)
		if !moved {
			continue
		}
		for p := g.off[v]; p < g.off[v+1]; p++ {
			u := g.adj[p]
			if !inQueue[u] && m.comm[u] != c {
				inQueue[u] = true
				tail := head + size
				if tail >= n {
					tail -= n
				}
				queue[tail] = u
				size++
			}
		}
	}
}

// refine is Leiden's refinement phase. Within each community S of m's
// partition it starts from singletons and visits the nodes in random
// order; a node v still alone whose edges to the rest of S satisfy
// E(v, S−v) ≥ γ·k_v·(K_S − k_v)/2m may merge into a refined community T
// of S with E(T, S−T) ≥ γ·K_T·(K_S − K_T)/2m and non-negative gain,
// chosen with probability ∝ exp(ΔH/θ) (staying alone has ΔH = 0). A node
// only joins a community it has an edge to, so refined communities are
// connected. It returns the refined community of each node (ids are node
// ids, below n).
func refine(m *mover, meanW float64, rnd *rand.Rand) []int32 {
	g := m.g
	n := g.n()
	comm := m.comm
	// Nodes grouped by community, in random order within each.
	start, order := byGroup(comm, n, shuffled(n, rnd))

	// ext[x]: weight from x to the rest of its community; first per node,
	// then maintained per refined community.
	refined := make([]int32, n)
	rTot := make([]float64, n)
	rExt := make([]float64, n)
	rSize := make([]int32, n)
	extV := make([]float64, n)
	for v := range int32(n) {
		refined[v] = v
		rTot[v] = g.k[v]
		rSize[v] = 1
		c := comm[v]
		var e float64
		for p := g.off[v]; p < g.off[v+1]; p++ {
			if comm[g.adj[p]] == c {
				e += g.w[p]
			}
		}
		extV[v] = e
		rExt[v] = e
	}

	scale := m.res / g.twoM
	inv := 1 / (leidenTheta * meanW)
	acc, seen := m.acc, m.seen // zero and false between uses
	var list []int32
	var probs []float64
	var cand []int32
	for c := range int32(n) {
		members := order[start[c]:start[c+1]]
		if len(members) < 2 {
			continue
		}
		kS := m.tot[c]
		for _, v := range members {
			if refined[v] != v || rSize[v] != 1 {
				continue // no longer alone
			}
			kv := g.k[v]
			if extV[v] < scale*kv*(kS-kv) {
				continue // not well connected to its community
			}
			list = list[:0]
			for p := g.off[v]; p < g.off[v+1]; p++ {
				u := g.adj[p]
				if comm[u] != c {
					continue
				}
				r := refined[u]
				if !seen[r] {
					seen[r] = true
					list = append(list, r)
				}
				acc[r] += g.w[p]
			}
			// Candidates: well-connected refined communities of
			// non-negative gain, plus staying alone (gain 0).
			probs = probs[:0]
			maxGain := 0.0
			cand = cand[:0]
			for _, r := range list {
				if rExt[r] < scale*rTot[r]*(kS-rTot[r]) {
					continue
				}
				gain := acc[r] - scale*kv*rTot[r]
				if gain < 0 {
					continue
				}
				cand = append(cand, r)
				probs = append(probs, gain)
				maxGain = max(maxGain, gain)
			}
			chosen := v
			if len(cand) > 0 {
				total := math.Exp(-maxGain * inv) // staying alone
				for i, gain := range probs {
					probs[i] = math.Exp((gain - maxGain) * inv)
					total += probs[i]
				}
				x := rnd.Float64() * total
				for i, p := range probs {
					x -= p
					if x < 0 {
						chosen = cand[i]
						break
					}
				}
			}
			if chosen != v {
				refined[v] = chosen
				rTot[chosen] += kv
				rExt[chosen] += extV[v] - 2*acc[chosen]
				rSize[chosen]++
				rSize[v] = 0
			}
			for _, r := range list {
				acc[r] = 0
				seen[r] = false
			}
		}
	}
	return refined
}

// splitDisconnected gives each connected piece of a community of g its
// own label (0..count-1 by smallest node), in place, and returns count.
// Splitting a community with no edges between its pieces never lowers
// modularity. Leiden's communities are connected by construction; this
// guards the one path (refinement that merges nothing) where that is not
// proven, and costs O(n + m).
func splitDisconnected(g *wgraph, labels []int32) int {
	pieces, count := componentsWithin(g.off, g.adj, labels)
	copy(labels, pieces)
	return count
}
