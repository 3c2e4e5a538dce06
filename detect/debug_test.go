package detect

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
)

func TestDebugCrossEdges(t *testing.T) {
	if !testing.Verbose() {
		t.Skip()
	}
	mb, truth := memoryWorld(t, 10000, 1)
	b := mb.Finish()
	pr := projection.Project(b, DefaultParams().Projection)
	planted := truth.Planted()
	hard := map[string]string{}
	for _, h := range truth.HardCases {
		for _, a := range h.Accounts {
			hard[a] = h.Kind
		}
	}
	shown := 0
	for _, e := range pr.Graph.EdgeList() {
		x, y := b.Accounts.Key(e.U), b.Accounts.Key(e.V)
		px, py := planted[x] != nil, planted[y] != nil
		if px == py || shown > 40 {
			continue
		}
		shown++
		desc := fmt.Sprintf("%s(%v) - %s(%v) w=%.2f:", x, name(planted[x] != nil, hard[x]), y, name(planted[y] != nil, hard[y]), e.W)
		for _, k := range []projection.Kind{projection.IP, projection.Device, projection.Target} {
			ex := map[int32]bool{}
			for _, ed := range b.AccountEdges(k, e.U) {
				ex[ed.Resource] = true
			}
			n := 0
			for _, ed := range b.AccountEdges(k, e.V) {
				if ex[ed.Resource] {
					n++
					if k != projection.Target {
						desc += fmt.Sprintf(" %s %s(k=%d,%s)", k, b.Keys[k][ed.Resource], b.ResourceDegree(k, ed.Resource), kindOf(b, k, ed.Resource))
					}
				}
			}
			if k == projection.Target && n > 0 {
				desc += fmt.Sprintf(" %d shared targets", n)
			}
		}
		t.Log(desc)
	}
}

func name(p bool, h string) string {
	if p {
		return "planted"
	}
	if h != "" {
		return h
	}
	return "organic"
}

func kindOf(b *projection.Bipartite, k projection.Kind, r int32) string {
	if k == projection.IP {
		return b.IPKind[r]
	}
	return ""
}

func TestDebugBlockCounts(t *testing.T) {
	if !testing.Verbose() {
		t.Skip()
	}
	mb, truth := memoryWorld(t, 10000, 1)
	b := mb.Finish()
	planted := truth.Planted()
	hist := map[string]map[int]int{}
	for a := range int32(b.NumAccounts()) {
		cnt := map[int32]int{}
		for _, e := range b.AccountEdges(projection.Target, a) {
			if blk := b.TargetBlock[e.Resource]; blk >= 0 {
				cnt[blk]++
			}
		}
		mx := 0
		for _, c := range cnt {
			mx = max(mx, c)
		}
		kind := "organic"
		if p := planted[b.Accounts.Key(a)]; p != nil {
			kind = p.Kind
		}
		if hist[kind] == nil {
			hist[kind] = map[int]int{}
		}
		bucket := mx
		if mx > 10 {
			bucket = mx / 10 * 10
		}
		hist[kind][bucket]++
	}
	for k, h := range hist {
		t.Logf("%s: max lookups in one block: %v", k, h)
	}
	t.Logf("blocks %d, number blocks %v", b.Blocks.Len(), truth.Params.NumberBlocks)
}

func TestDebugBlockHits(t *testing.T) {
	if !testing.Verbose() {
		t.Skip()
	}
	mb, truth := memoryWorld(t, 10000, 1)
	b := mb.Finish()
	planted := truth.Planted()
	hist := map[string]map[int]int{}
	for a := range int32(b.NumAccounts()) {
		cnt := map[int32]int{}
		hits := map[int32]int{}
		for _, e := range b.AccountEdges(projection.Target, a) {
			if blk := b.TargetBlock[e.Resource]; blk >= 0 {
				cnt[blk]++
				if e.Hits > 0 {
					hits[blk]++
				}
			}
		}
		kind := "organic"
		if p := planted[b.Accounts.Key(a)]; p != nil {
			kind = p.Kind
		}
		if hist[kind] == nil {
			hist[kind] = map[int]int{}
		}
		for blk, c := range cnt {
			if c >= 10 {
				hist[kind][int(100*float64(hits[blk])/float64(c))/5*5]++
				if kind == "organic" && hits[blk]*10 <= c {
					t.Logf("organic %s: %d lookups in block, %d hits, total lookups %d", b.Accounts.Key(a), c, hits[blk], len(b.AccountEdges(projection.Target, a)))
				}
			}
		}
	}
	for k, h := range hist {
		t.Logf("%s: hit%% in swept blocks: %v", k, h)
	}
}

func TestDebugMissed(t *testing.T) {
	if !testing.Verbose() || os.Getenv("DEBUG_MISSED") == "" {
		t.Skip()
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
