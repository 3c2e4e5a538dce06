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
// other only by a device one member of each also used: one community. The first works stateDays, 09:00-17:00 at UTC+04:00; the
// second Monday to Friday, 09:00-17:00 UTC. Days count from Monday 0 of
// the week after t0, over two weeks.
func mergedRings(t *testing.T, stateDays []int) *projection.Bipartite {
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
	return bl.Finish()
}

// TestRingStateInsideMergedNetwork: a ring keeping a Friday weekend merged
// with one working Monday to Friday shows no foreign week as a whole (the
// partner fills Friday); the indicator must find the ring inside and rest
// on its 10 members, and must not fire when both rings keep the
// Saturday-Sunday week.
func TestRingStateInsideMergedNetwork(t *testing.T) {
	for _, c := range []struct {
		name      string
		stateDays []int
		want      bool
	}{
		{"friday weekend", []int{0, 1, 2, 3, 5, 6}, true},
		{"saturday-sunday weekend", []int{0, 1, 2, 3, 4}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			nws := networks(t, mergedRings(t, c.stateDays), cfg, nil)
			nw := find(nws, "state00")
			if nw == nil || nw != find(nws, "plain00") || nw.Size != 20 {
				t.Fatalf("the two rings are not one network of 20: %d networks", len(nws))
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
				if !strings.HasPrefix(r.Text, "in a ring of 10 of the 20 members") || r.Source != SourceBehaviour {
					t.Errorf("reason %q (%s) does not say it rests on the ring's 10 members, from behaviour", r.Text, r.Source)
				}
			}
			if !strings.Contains(nw.StateReasons[0].Text, "UTC+04:00 with a Friday weekend") {
				t.Errorf("first reason %q does not name the ring's week", nw.StateReasons[0].Text)
			}
		})
	}
}
