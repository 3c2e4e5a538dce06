package detect

import (
	"context"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
)

// TestWorldWatchListsFlagStateNetworks: with the watch lists a generated
// world writes beside itself (what `lockstep demo` uses), "possibly
// state-linked" fires on the planted state-flavoured enumeration networks
// and on no network made mostly of anything else, and every state-flavoured
// network shows reasons; with detection's own defaults (empty watch lists)
// the same world shows it nowhere, which is why the demo needs the file.
// State-flavoured multi-country rings log in from proxies in many
// countries, so the lists see only part of their logins and they may stay
// under the indicator's bar (firing on behaviour alone is issue 19's).
func TestWorldWatchListsFlagStateNetworks(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a world")
	}
	cfg := generate.DefaultConfig(20000, 1) // `lockstep demo`'s world
	mb := NewMemoryBuilder(testKey)
	truth, err := generate.Stream(cfg, func(r *events.Record) error { return mb.Add(r) })
	if err != nil {
		t.Fatal(err)
	}
	raw, err := generate.WatchListsYAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	withLists, err := ParseParams(raw)
	if err != nil {
		t.Fatalf("the world's watch lists do not parse as detection config: %v\n%s", err, raw)
	}
	b := mb.Finish()
	planted := truth.Planted()
	// owner is the planted network holding most of n's members, if any.
	owner := func(n scoring.Network) *generate.Network {
		count := map[*generate.Network]int{}
		members := 0
		for _, m := range n.Members {
			if m.Role == scoring.RoleVictim {
				continue
			}
			members++
			if p := planted[m.ID]; p != nil {
				count[p]++
			}
		}
		for p, c := range count {
			if 2*c > members {
				return p
			}
		}
		return nil
	}
	stateNetworks, mustFire := 0, 0
	for _, n := range truth.Networks {
		if n.StateLinked {
			stateNetworks++
			if n.Kind == generate.KindEnumeration {
				mustFire++
			}
		}
	}
	if mustFire == 0 {
		t.Fatal("the world plants no state-flavoured network: nothing to show")
	}

	for _, tt := range []struct {
		name  string
		p     Params
		fires bool
	}{{"defaults", DefaultParams(), false}, {"world's watch lists", withLists, true}} {
		an, err := Analyze(context.Background(), b, tt.p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		found, fired, reasoned := map[string]bool{}, 0, 0
		for _, n := range an.Networks {
			if n.Score < tt.p.Scoring.Threshold {
				continue
			}
			o := owner(n)
			if o != nil && o.StateLinked && len(n.StateReasons) > 0 {
				reasoned++
			}
			if n.StateLinked {
				if o == nil || !o.StateLinked {
					t.Errorf("%s: a network not mostly state-flavoured is state-linked (confidence %.2f, reasons %v)", tt.name, n.StateConfidence, n.StateReasons)
					continue
				}
				found[o.ID] = true
				if o.Kind == generate.KindEnumeration {
					fired++
				}
				if len(n.StateReasons) == 0 {
					t.Errorf("%s: state-linked network %s has no reasons", tt.name, o.ID)
				}
			}
		}
		if tt.fires && (fired != mustFire || reasoned != stateNetworks) {
			t.Errorf("%s: %d of %d state-flavoured enumeration networks shown as possibly state-linked, %d of %d state-flavoured networks with reasons",
				tt.name, fired, mustFire, reasoned, stateNetworks)
		}
		if !tt.fires && len(found) != 0 {
			t.Errorf("%s: %d networks state-linked with empty watch lists", tt.name, len(found))
		}
		t.Logf("%s: %d of %d planted state-flavoured networks state-linked", tt.name, len(found), stateNetworks)
	}
}
