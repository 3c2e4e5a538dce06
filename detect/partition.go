package detect

import (
	"fmt"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
)

// ScorePartition is Analyze's scoring step on a partition found some other
// way (another algorithm, gonum's multiplex Louvain), so that partitions
// can be compared on the networks they yield rather than on modularity:
// it scores every community of part over b and the similarity graph g and
// keeps the networks at or above p.MinWriteScore, best first, exactly as
// Analyze does (TestScorePartitionMatchesAnalyze holds it to that).
// part must label every account of b with a community in 0..Count-1.
func ScorePartition(b *projection.Bipartite, g *csr.Graph, part community.Partition, p Params, seeds []int32) ([]scoring.Network, error) {
	n := b.NumAccounts()
	if g.Nodes() != n {
		return nil, fmt.Errorf("score partition: graph has %d nodes, bipartite graph %d accounts", g.Nodes(), n)
	}
	if len(part.Labels) != n {
		return nil, fmt.Errorf("score partition: %d labels for %d accounts", len(part.Labels), n)
	}
	for u, c := range part.Labels {
		if c < 0 || int(c) >= part.Count {
			return nil, fmt.Errorf("score partition: account %d has community %d, outside 0..%d", u, c, part.Count-1)
		}
	}
	return scoreNetworks(scoring.Input{B: b, G: g, Labels: part.Labels, Count: part.Count, Seeds: seeds, PPR: scoring.SeedRank(g, seeds), MinScore: p.MinWriteScore}, p), nil
}
