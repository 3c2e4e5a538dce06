package scoring

import (
	"fmt"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
)

// friendsAtAParty: 12 accounts made within an hour on one venue's two IPs,
// each looking up the same 40 numbers within minutes of the others, on two
// evenings. matched says whether those numbers belong to accounts (the
// friends' contacts) or to nobody (a ring's sweep).
func friendsAtAParty(t *testing.T, matched bool) *Network {
	t.Helper()
	bl := projection.NewBuilder(16)
	for i := range 12 {
		id := fmt.Sprintf("friend%02d", i)
		bl.Account(id, t0+int64(i)*60, "US")
		bl.Edge(projection.IP, id, fmt.Sprintf("192.0.2.%d", i%2), t0, t0+2*86400, 20, 0)
		bl.Edge(projection.Device, id, fmt.Sprintf("phone-of-%d", i/2), t0, t0+2*86400, 20, 0)
		bl.Edge(projection.Device, id, fmt.Sprintf("phone-of-%d", (i+1)%12/2), t0, t0+2*86400, 20, 0)
		for n := range 40 {
			key := fmt.Sprintf("contact%02d", n)
			bl.Target(key, "+1650555", int64(n*97))
			at := t0 + int64(n%2)*86400 + int64(n)*30 + int64(i)*10 // two evenings, seconds apart
			hits := 0
			if matched {
				hits = 1
				bl.Match(key, fmt.Sprintf("person%02d", n))
			}
			bl.Edge(projection.Target, id, key, at, at, 1, hits)
		}
	}
	nws := networks(t, bl.Finish(), DefaultConfig(), nil)
	nw := find(nws, "friend00")
	if nw == nil || nw.Size != 12 {
		t.Fatalf("matched %v: the 12 accounts are not one network (%d networks)", matched, len(nws))
	}
	return nw
}

func lockstepStrength(nw *Network) float64 {
	for _, s := range nw.Signals {
		if s.Name == SigLockstep {
			return s.Strength
		}
	}
	return 0
}

// TestLockstepCountsOnlyNumbersThatMatchedNobody: friends who look each
// other's numbers up at once are contacts, not a ring in lockstep (the 1M
// world flagged such groups); the same timing over numbers that matched
// nobody is lockstep.
func TestLockstepCountsOnlyNumbersThatMatchedNobody(t *testing.T) {
	friends, ring := friendsAtAParty(t, true), friendsAtAParty(t, false)
	if s := lockstepStrength(friends); s != 0 {
		t.Errorf("friends looking up their contacts together: lockstep strength %.3f, want 0", s)
	}
	if s := lockstepStrength(ring); s <= 0 {
		t.Errorf("the same timing over numbers that matched nobody: lockstep strength %.3f, want > 0", s)
	}
}
