package scoring

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
)

// mergedRings builds two sweeping rings of 10 accounts on datacenter
// addresses, each linked inside by its sweep of one block and to the
// other only by a device one member of each also used: one community. The
// first works stateDays, 09:00-17:00 at UTC+04:00; the second Monday to
// Friday, 09:00-17:00 UTC. Days count from Monday 0 of the week after t0,
// over two weeks. With sweeper, a lone enumerator on its own address and
// phone sweeps 4,000 numbers of the first ring's block on the second
// Monday to Wednesday, in the first ring's working hours: twice the
// ring's lookups, linked to it by the block alone.
func mergedRings(t *testing.T, stateDays []int, sweeper bool) *projection.Bipartite {
	t.Helper()
	rnd := rand.New(rand.NewPCG(3, 19))
	bl := projection.NewBuilder(40)
	monday := int64(t0 - t0%86400 + 86400)
	ring := func(name string, asn uint32, block string, days []int, fromUTC int64) {
		for i := range 3 {
			bl.IP(fmt.Sprintf("%s-ip%d", name, i), asn, "Example Hosting", "NL", "datacenter")
		}
		var when []int64
		for week := range 2 {
			for _, d := range days {
				when = append(when, monday+int64(7*week+d)*86400+fromUTC*3600)
			}
		}
		for i := range 10 {
			id := fmt.Sprintf("%s%02d", name, i)
			bl.Account(id, monday-3*86400, "US")
			for j := range 2 {
				bl.Edge(projection.IP, id, fmt.Sprintf("%s-ip%d", name, (i+j)%3), when[0], when[len(when)-1], 10, 0)
			}
			if i == 0 {
				bl.Edge(projection.Device, id, "bridge", when[0], when[len(when)-1], 2, 0)
			}
		}
		for n, off := range rnd.Perm(2000) {
			key := fmt.Sprintf("%s-k%d", name, off)
			bl.Target(key, block, int64(off))
			at := when[rnd.IntN(len(when))] + rnd.Int64N(8*3600)
			bl.Edge(projection.Target, fmt.Sprintf("%s%02d", name, n%10), key, at, at, 1, 0)
		}
	}
	ring("state", 64510, "+7926555", stateDays, 5)
	ring("plain", 64511, "+7926556", []int{0, 1, 2, 3, 4}, 9)
	if sweeper {
		bl.IP("sweeper-ip", 64512, "Other Hosting", "NL", "datacenter")
		bl.Account("sweeper", monday-3*86400, "US")
		for off := 2000; off < 6000; off++ {
			key := fmt.Sprintf("sweeper-k%d", off)
			bl.Target(key, "+7926555", int64(off))
			at := monday + int64(7+(off-2000)/1334)*86400 + 5*3600 + rnd.Int64N(8*3600)
			bl.Edge(projection.Target, "sweeper", key, at, at, 1, 0)
		}
		bl.Edge(projection.IP, "sweeper", "sweeper-ip", monday+7*86400, monday+10*86400, 30, 0)
		bl.Edge(projection.Device, "sweeper", "sweeper-phone", monday+7*86400, monday+10*86400, 30, 0)
	}
	return bl.Finish()
}

// TestRingStateInsideMergedNetwork: a ring keeping a Friday weekend merged
// with one working Monday to Friday shows no foreign week as a whole (the
// partner fills Friday); the indicator must find the ring inside and rest
// on its 10 members, and must not fire when both rings keep the
// Saturday-Sunday week. A lone sweeper of the ring's block stays in the
// ring's Leiden part (its only neighbours) and its weekday lookups hide
// the ring's weekend there; the ring shares addresses and it does not, so
// the indicator must still rest on the ring's 10 members alone.
func TestRingStateInsideMergedNetwork(t *testing.T) {
	for _, c := range []struct {
		name      string
		stateDays []int
		sweeper   bool
		want      bool
	}{
		{"friday weekend", []int{0, 1, 2, 3, 5, 6}, false, true},
		{"saturday-sunday weekend", []int{0, 1, 2, 3, 4}, false, false},
		{"friday weekend and a lone sweeper", []int{0, 1, 2, 3, 5, 6}, true, true},
		{"saturday-sunday weekend and a lone sweeper", []int{0, 1, 2, 3, 4}, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			nws := networks(t, mergedRings(t, c.stateDays, c.sweeper), cfg, nil)
			nw, size := find(nws, "state00"), 20
			if c.sweeper {
				size++
				if find(nws, "sweeper") != nw {
					t.Fatalf("the sweeper is not in the rings' network")
				}
			}
			if nw == nil || nw != find(nws, "plain00") || nw.Size != size {
				t.Fatalf("the two rings are not one network of %d: %d networks", size, len(nws))
			}
			if nw.Score < cfg.Threshold {
				t.Fatalf("merged network scored %.3f, below the threshold", nw.Score)
			}
			t.Logf("state-linked %v, confidence %.2f, resting on %v: %v", nw.StateLinked, nw.StateConfidence, nw.StateMembers, nw.StateReasons)
			if !c.want {
				if nw.StateLinked || len(nw.StateMembers) > 0 {
					t.Errorf("state-linked (confidence %.2f, resting on %v): %v", nw.StateConfidence, nw.StateMembers, nw.StateReasons)
				}
				return
			}
			var want []string
			for i := range 10 {
				want = append(want, fmt.Sprintf("state%02d", i))
			}
			got := slices.Sorted(slices.Values(nw.StateMembers))
			if !nw.StateLinked || !slices.Equal(got, want) {
				t.Fatalf("state-linked %v resting on %v, want the state ring %v", nw.StateLinked, got, want)
			}
			if nw.StateConfidence < 0.5 || len(nw.StateReasons) == 0 {
				t.Errorf("confidence %.2f with %d reasons", nw.StateConfidence, len(nw.StateReasons))
			}
			for _, r := range nw.StateReasons {
				if !strings.HasPrefix(r.Text, fmt.Sprintf("in a ring of 10 of the %d members", size)) || r.Source != SourceBehaviour {
					t.Errorf("reason %q (%s) does not say it rests on the ring's 10 members, from behaviour", r.Text, r.Source)
				}
			}
			if !strings.Contains(nw.StateReasons[0].Text, "UTC+04:00 with a Friday weekend") {
				t.Errorf("first reason %q does not name the ring's week", nw.StateReasons[0].Text)
			}
		})
	}
}
