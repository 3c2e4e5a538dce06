package detect

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
)

// TestDebugMissed is a diagnostic, not a check: with DEBUG_MISSED=1 and
// -v it lists planted accounts the default detection misses on a 30,000-
// account world, with what links them (or not), to see why.
func TestDebugMissed(t *testing.T) {
	if !testing.Verbose() || os.Getenv("DEBUG_MISSED") == "" {
		t.Skip("diagnostic: set DEBUG_MISSED=1 and -v")
	}
	mb, truth := memoryWorld(t, 30000, 1)
	b := mb.Finish()
	p := DefaultParams()
	an, err := Analyze(context.Background(), b, p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	flagged := flaggedOf(an.Networks, 0.5)
	sizes := map[int32]int{}
	for _, l := range an.Partition.Labels {
		sizes[l]++
	}
	shown := 0
	for _, pn := range truth.Networks {
		for _, id := range pn.Members {
			if flagged[id] || shown > 25 {
				continue
			}
			shown++
			a, _ := b.Accounts.Lookup(id)
			blk := map[int32]int{}
			hits := 0
			for _, e := range b.AccountEdges(projection.Target, a) {
				blk[b.TargetBlock[e.Resource]]++
				hits += int(e.Hits)
			}
			var ips []string
			for _, e := range b.AccountEdges(projection.IP, a) {
				ips = append(ips, fmt.Sprintf("%s(k=%d,%s)", b.Keys[projection.IP][e.Resource], b.ResourceDegree(projection.IP, e.Resource), b.IPKind[e.Resource]))
			}
			var devs []string
			for _, e := range b.AccountEdges(projection.Device, a) {
				devs = append(devs, fmt.Sprintf("k=%d", b.ResourceDegree(projection.Device, e.Resource)))
			}
			t.Logf("%s %s: degree %d strength %.2f community size %d; lookups per block %v hits %d; ips %v; devices %v",
				pn.ID, id, an.Graph.Graph.Degree(a), an.Graph.Graph.Strength(a), sizes[an.Partition.Labels[a]], blk, hits, ips, devs)
		}
	}
}
