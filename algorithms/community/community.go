// Package community finds communities in csr graphs: connected components,
// Louvain, Leiden (Traag, Waltman & van Eck 2019) and label propagation,
// and measures partitions with Newman's modularity.
//
// Communities never span connected components, and each component is
// clustered on its own, with a random source seeded from the caller's
// seed and the component's smallest node: a run repeats exactly for a
// seed, a component's communities do not change when other components
// do (as long as the graph's total weight does not), and components run
// in parallel. Every algorithm returns labels that are dense (0..Count-1)
// and numbered in order of each community's smallest node id,
// so that equal partitions always carry equal labels. Memory is linear in
// the number of edges.
//
// gonum's graph/community is the reference the tests check against: its
// Q for modularity and its Modularize (Louvain) for quality.
package community

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/internal/parallel"
)

// Partition is an assignment of every node to a community.
type Partition struct {
	// Labels[u] is u's community, in 0..Count-1, numbered by smallest
	// member node id.
	Labels []int32
	// Count is the number of communities.
	Count int
	// Modularity is Newman's Q of the partition at the resolution the
	// algorithm ran with (for ConnectedComponents and LabelPropagation,
	// resolution 1).
	Modularity float64
}

// Members returns the node ids of each community, in label order with
// ids increasing within each community. It costs O(n).
func (p Partition) Members() [][]int32 {
	sizes := make([]int, p.Count)
	for _, c := range p.Labels {
		sizes[c]++
	}
	flat := make([]int32, len(p.Labels))
	out := make([][]int32, p.Count)
	off := 0
	for c, s := range sizes {
		out[c] = flat[off : off : off+s]
		off += s
	}
	for u, c := range p.Labels {
		out[c] = append(out[c], int32(u))
	}
	return out
}

// Algorithms lists the names Run accepts, the default first.
var Algorithms = []string{"leiden", "louvain", "lpa", "wcc"}

// clusterers maps each name in Algorithms to what it runs on one
// component, given the component's working graph, the resolution and the
// component's random source; it returns the component's labels, dense in
// order of first node. wcc's is nil: a component is one community.
var clusterers = map[string]func(c *wgraph, resolution float64, rnd *rand.Rand) []int32{
	"leiden":  leiden,
	"louvain": louvain,
	"lpa":     func(c *wgraph, _ float64, rnd *rand.Rand) []int32 { return labelPropagation(c, rnd) },
	"wcc":     nil,
}

// Run runs the named algorithm ("leiden", "louvain", "lpa" or "wcc") on g
// at the given resolution (used by leiden and louvain only) with the given
// seed. Communities never span connected components, so Run clusters
// each component on its own, with the whole graph's 2m, on GOMAXPROCS
// goroutines, and joins them (wcc returns
// ConnectedComponents, the same partition at less cost): a component's
// communities depend on that component, the resolution, the seed and the
// graph's total weight, never on the rest of g or on scheduling. Isolated
// nodes are their own communities at no cost. An unknown name is an
// error.
func Run(g *csr.Graph, algorithm string, resolution float64, seed uint64) (Partition, error) {
	if _, ok := clusterers[algorithm]; !ok {
		return Partition{}, fmt.Errorf("community: unknown algorithm %q (want one of %v)", algorithm, Algorithms)
	}
	return partition(g, algorithm, resolution, seed, 0), nil
}

// partition is Run for a known algorithm on the given number of workers
// (0: GOMAXPROCS). Components are handed out largest first, so that the
// largest does not start last; each writes only its own slot of labels.
func partition(g *csr.Graph, algorithm string, resolution float64, seed uint64, workers int) Partition {
	if clusterers[algorithm] == nil {
		// Every component is one community: the components are the
		// partition, without the round trip through combine.
		return ConnectedComponents(g)
	}
	compOf, ncomp := componentsWithin(g.Offsets, g.Neighbors, nil)
	comps := Partition{Labels: compOf, Count: ncomp}.Members()
	var big []int // components of more than one node
	for c, nodes := range comps {
		if len(nodes) > 1 {
			big = append(big, c)
		}
	}
	slices.SortStableFunc(big, func(a, b int) int { return len(comps[b]) - len(comps[a]) })
	labels := make([][]int32, len(comps))
	twoM := 2 * g.TotalWeight()
	parallel.ForEach(len(big), workers, func() func(int) {
		return func(i int) {
			c := big[i]
			labels[c] = clusterComponent(g, comps[c], algorithm, resolution, seed, twoM)
		}
	})
	if algorithm == "lpa" {
		resolution = 1
	}
	return combine(g, comps, labels, resolution)
}

// combine returns the partition of g whose communities inside the
// component comps[i] are given by labels[i], any ids in
// 0..len(comps[i])-1 (nil for a component of one node): comps must be
// every component of g, as ConnectedComponents(g).Members() lists them.
// Labels are numbered by smallest member across g, and Modularity is at
// the given resolution. It panics if a component's labels do not match
// its length or leave that range. It costs O(n + m).
func combine(g *csr.Graph, comps [][]int32, labels [][]int32, resolution float64) Partition {
	// raw[u] is the smallest member of u's community until dense numbers
	// the communities.
	raw := make([]int32, g.Nodes())
	var first []int32 // smallest member of each community of a component; -1: none yet
	for i, nodes := range comps {
		ls := labels[i]
		if ls == nil && len(nodes) == 1 {
			raw[nodes[0]] = nodes[0]
			continue
		}
		if len(ls) != len(nodes) {
			panic(fmt.Sprintf("community: combine: %d labels for the %d nodes of the component of node %d", len(ls), len(nodes), nodes[0]))
		}
		first = slices.Grow(first[:0], len(nodes))[:len(nodes)]
		for c := range first {
			first[c] = -1
		}
		for j, c := range ls {
			if first[c] < 0 {
				first[c] = nodes[j]
			}
			raw[nodes[j]] = first[c]
		}
	}
	count := dense(raw)
	return Partition{Labels: raw, Count: count, Modularity: Modularity(g, raw, resolution)}
}

// clusterComponent partitions one connected component of g as Run does
// inside it: nodes are the component's ids in increasing order, and twoM
// is 2·g.TotalWeight(), the whole graph's 2m in modularity's null model;
// with the algorithm (a known one), resolution and seed they are all the
// result depends on. The random source is seeded from the seed and the
// smallest node, so that no component consumes another's random numbers.
// It returns labels[i] for nodes[i], dense in order of each community's
// smallest member, and panics if a neighbour of a node is not in nodes or
// twoM is not positive while the component has edges.
func clusterComponent(g *csr.Graph, nodes []int32, algorithm string, resolution float64, seed uint64, twoM float64) []int32 {
	cluster := clusterers[algorithm]
	if cluster == nil || len(nodes) < 2 {
		return make([]int32, len(nodes))
	}
	c := fromComponent(g, nodes, twoM)
	if c.ownK == 0 {
		// No weight to optimise: every node stays alone.
		labels := make([]int32, len(nodes))
		for i := range labels {
			labels[i] = int32(i)
		}
		return labels
	}
	return cluster(c, resolution, componentRand(seed, nodes[0]))
}

// componentRand returns the random source of the component whose smallest
// node is first: a PCG generator (runs repeat across platforms and Go
// releases) whose second word mixes first's bits by SplitMix64's
// finaliser, a bijection, so that neighbouring ids start unrelated
// streams. It maps 0 to 0, so the component of node 0 (all of a connected
// graph) draws the stream a whole-graph run drew for the same seed.
func componentRand(seed uint64, first int32) *rand.Rand {
	z := uint64(first)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^z^z>>31))
}

// dense renumbers arbitrary community ids (each in 0..len(raw)-1) so that
// they are 0..count-1 in order of each community's smallest node, in
// place, and returns the count.
func dense(raw []int32) int {
	remap := make([]int32, len(raw))
	for i := range remap {
		remap[i] = -1
	}
	var next int32
	for u, c := range raw {
		if remap[c] < 0 {
			remap[c] = next
			next++
		}
		raw[u] = remap[c]
	}
	return int(next)
}
