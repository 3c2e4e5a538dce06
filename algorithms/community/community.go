// Package community finds communities in csr graphs: connected components,
// Louvain, Leiden (Traag, Waltman & van Eck 2019) and label propagation,
// and measures partitions with Newman's modularity.
//
// Every algorithm takes its random source from the caller, so a run
// repeats exactly for a seed, and returns labels that are dense
// (0..Count-1) and numbered in order of each community's smallest node id,
// so that equal partitions always carry equal labels. Memory is linear in
// the number of edges.
//
// gonum's graph/community is the reference the tests check against: its
// Q for modularity and its Modularize (Louvain) for quality.
package community

import (
	"fmt"
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
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

// Run runs the named algorithm ("leiden", "louvain", "lpa" or "wcc") on g
// with a random source seeded by seed. The resolution is used by leiden
// and louvain only. An unknown name is an error.
func Run(g *csr.Graph, algorithm string, resolution float64, seed uint64) (Partition, error) {
	rnd := NewRand(seed)
	switch algorithm {
	case "leiden":
		return Leiden(g, resolution, rnd), nil
	case "louvain":
		return Louvain(g, resolution, rnd), nil
	case "lpa":
		return LabelPropagation(g, rnd), nil
	case "wcc":
		return ConnectedComponents(g), nil
	}
	return Partition{}, fmt.Errorf("community: unknown algorithm %q (want one of %v)", algorithm, Algorithms)
}

// NewRand returns the random source Run uses for seed: a PCG generator,
// so that runs repeat across platforms and Go releases.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
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

// finish turns raw community ids into a Partition with its modularity.
func finish(g *csr.Graph, raw []int32, resolution float64) Partition {
	count := dense(raw)
	return Partition{Labels: raw, Count: count, Modularity: Modularity(g, raw, resolution)}
}
