package community

import (
	"math/rand/v2"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// Leiden finds communities maximising modularity at the given resolution
// with the Leiden algorithm; every community is connected.
// TEMPORARY: returns connected components until the implementation lands.
func Leiden(g *csr.Graph, resolution float64, rnd *rand.Rand) Partition {
	p := ConnectedComponents(g)
	p.Modularity = Modularity(g, p.Labels, resolution)
	return p
}

// Louvain finds communities maximising modularity with the Louvain method.
// TEMPORARY: returns connected components until the implementation lands.
func Louvain(g *csr.Graph, resolution float64, rnd *rand.Rand) Partition {
	return Leiden(g, resolution, rnd)
}

// LabelPropagation finds communities by weighted asynchronous label
// propagation. TEMPORARY: returns connected components until the
// implementation lands.
func LabelPropagation(g *csr.Graph, rnd *rand.Rand) Partition {
	return ConnectedComponents(g)
}
