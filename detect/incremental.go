package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
)

// Update is Analyze(ctx, b, p, seeds, progress) for a caller holding prev,
// the analysis of an earlier state of the same world: b must keep every
// dense id of prev.Bipartite (new accounts and resources after them), as
// a builder fed the earlier events first does. It projects again only the
// similarity rows that a difference can reach (projection.Reproject),
// clusters the graph as Analyze does, and scores again only the
// communities that changed or have a member whose data, neighbourhood or
// seed rank changed; every other community's network is carried over.
// The networks equal Analyze's (TestUpdateEqualsAnalyze); Stats'
// projection PairsSeen and Scored count this run's work only.
func Update(ctx context.Context, prev *Analysis, b *projection.Bipartite, p Params, seeds []int32, progress Progress) (*Analysis, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if !sameParams(prev.params, p) {
		return nil, errors.New("detect: an incremental run needs the earlier run's parameters; run a full detection")
	}
	st := Stats{Accounts: b.NumAccounts(), Edges: map[string]int{}, Seconds: map[string]float64{}, CPUSeconds: map[string]float64{}, Seeds: len(seeds)}
	for k := range projection.NumKinds {
		st.Edges[k.String()] = len(b.Edges[k])
	}
	var pr projection.Result
	var ch *projection.Change
	if err := stage(ctx, &st, progress, "project", func() (err error) {
		pr, ch, err = projection.Reproject(prev.Bipartite, *prev.Graph, b, p.Projection)
		st.Projection = pr.Stats
		return err
	}); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	var part community.Partition
	if err := stage(ctx, &st, progress, "communities", func() (err error) {
		part, err = community.Run(pr.Graph, p.Algorithm, p.Resolution, p.Seed)
		st.Communities, st.Modularity = part.Count, part.Modularity
		return err
	}); err != nil {
		return nil, err
	}
	an := &Analysis{Bipartite: b, Graph: &pr, Partition: part, Stats: st, params: p, seeds: seeds}
	_ = stage(ctx, &an.Stats, progress, "score", func() error {
		an.ppr = scoring.SeedRank(pr.Graph, seeds)
		dirty := dirtyCommunities(prev, an, ch)
		fresh := scoreNetworks(scoring.Input{B: b, G: pr.Graph, Labels: part.Labels, Count: part.Count, Seeds: seeds, PPR: an.ppr, Only: dirty, MinScore: p.MinWriteScore}, p)
		nets := fresh
		smallest := smallestMembers(prev.Partition)
		for _, n := range prev.Networks {
			// A clean community is one of the earlier run's, under the
			// label of its smallest member now.
			if c := part.Labels[smallest[n.Community]]; !dirty[c] {
				n.Community = c
				nets = append(nets, n)
			}
		}
		scoring.Sort(nets)
		an.Networks = nets
		an.Stats.count(nets, p)
		an.Stats.Scored = len(fresh)
		return nil
	})
	return an, nil
}

// dirtyCommunities marks the communities of next to score again: those
// that are not a community of prev member for member, and those with a
// member whose own data, resources, similarity row, seed status or seed
// rank changed.
func dirtyCommunities(prev, next *Analysis, ch *projection.Change) []bool {
	labels, old := next.Partition.Labels, prev.Partition.Labels
	wasSeed, isSeed := make(map[int32]bool, len(prev.seeds)), make(map[int32]bool, len(next.seeds))
	for _, s := range prev.seeds {
		wasSeed[s] = true
	}
	for _, s := range next.seeds {
		isSeed[s] = true
	}
	dirty := make([]bool, next.Partition.Count)
	// first[c] is the earlier label of community c's smallest member;
	// size counts the members that share it.
	first := make([]int32, next.Partition.Count)
	for i := range first {
		first[i] = -1
	}
	oldSize := make([]int32, prev.Partition.Count)
	for _, c := range old {
		oldSize[c]++
	}
	size := make([]int32, next.Partition.Count)
	for u, c := range labels {
		size[c]++
		switch {
		case u >= len(old):
			dirty[c] = true
			continue
		case first[c] < 0:
			first[c] = old[u]
		case first[c] != old[u]:
			dirty[c] = true
		}
		if ch.Accounts[u] || ch.Touched[u] || ch.Adjacency[u] || wasSeed[int32(u)] != isSeed[int32(u)] || rank(prev.ppr, u) != rank(next.ppr, u) {
			dirty[c] = true
		}
	}
	for c, f := range first {
		if f >= 0 && oldSize[f] != size[c] {
			dirty[c] = true
		}
	}
	return dirty
}

// smallestMembers returns each community's smallest member.
func smallestMembers(part community.Partition) []int32 {
	out := make([]int32, part.Count)
	for i := range out {
		out[i] = -1
	}
	for u, c := range part.Labels {
		if out[c] < 0 {
			out[c] = int32(u)
		}
	}
	return out
}

func rank(ppr []float64, u int) float64 {
	if ppr == nil {
		return 0
	}
	return ppr[u]
}

// sameParams reports whether two runs' parameters are the same as their
// JSON says (Workers, which does not change a result, is not in it).
func sameParams(x, y Params) bool {
	jx, ex := json.Marshal(x)
	jy, ey := json.Marshal(y)
	return ex == nil && ey == nil && bytes.Equal(jx, jy)
}
