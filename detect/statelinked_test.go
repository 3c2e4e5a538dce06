package detect

import (
	"context"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
)

// TestWorldWatchListsFlagStateNetworks: "possibly state-linked" fires on
// the planted state-flavoured enumeration networks of a generated world
// (`lockstep demo`'s) and on no network made mostly of anything else, both
// with the watch lists the world writes beside itself and with detection's
// own defaults (empty watch lists), where it rests on behaviour alone: a
// working week kept in one time zone with a Friday weekend, hosting
// concentrated in one AS. Every reason names its source (configuration or
// behaviour), the defaults give only behavioural ones, and behaviour
// alone never gives more confidence than behaviour and watch lists.
// Either way every state-flavoured enumeration network fires.
// State-flavoured multi-country rings log in from proxies in many
// countries, so the watch lists see only part of their logins.
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
	owner := func(n scoring.Network) *generate.Network { return ownerOf(n, planted) }
	stateNetworks, mustFire := 0, 0 // mustFire: with the watch lists
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

	confidence := map[string]map[string]float64{} // run, planted network -> confidence
	for _, tt := range []struct {
		name string
		p    Params
	}{{"defaults", DefaultParams()}, {"world's watch lists", withLists}} {
		confidence[tt.name] = map[string]float64{}
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
				comp := map[string]int{}
				for _, m := range n.Members {
					if m.Role != scoring.RoleVictim {
						if p := planted[m.ID]; p != nil {
							comp[p.ID]++
						} else {
							comp["organic"]++
						}
					}
				}
				t.Logf("%s: %s (%s, %d members %v of %d planted): state-linked %v, confidence %.2f: %v", tt.name, o.ID, o.Kind, n.Size, comp, len(o.Members), n.StateLinked, n.StateConfidence, n.StateReasons)
			}
			for _, r := range n.StateReasons {
				if r.Source != scoring.SourceBehaviour && (r.Source != scoring.SourceConfiguration || tt.name == "defaults") {
					t.Errorf("%s: reason %q has source %q", tt.name, r.Text, r.Source)
				}
			}
			if n.StateLinked {
				if o == nil || !o.StateLinked {
					t.Errorf("%s: a network not mostly state-flavoured is state-linked (confidence %.2f, reasons %v)", tt.name, n.StateConfidence, n.StateReasons)
					continue
				}
				confidence[tt.name][o.ID] = n.StateConfidence
				found[o.ID] = true
				if o.Kind == generate.KindEnumeration {
					fired++
				}
				if len(n.StateReasons) == 0 {
					t.Errorf("%s: state-linked network %s has no reasons", tt.name, o.ID)
				}
			}
		}
		switch {
		case fired != mustFire:
			t.Errorf("%s: %d of %d state-flavoured enumeration networks shown as possibly state-linked", tt.name, fired, mustFire)
		case reasoned != stateNetworks:
			t.Errorf("%s: %d of %d state-flavoured networks with reasons", tt.name, reasoned, stateNetworks)
		}
		t.Logf("%s: %d of %d planted state-flavoured networks state-linked", tt.name, len(found), stateNetworks)
	}
	for id, c := range confidence["defaults"] {
		if lists, ok := confidence["world's watch lists"][id]; ok && c > lists {
			t.Errorf("%s: confidence %.2f from behaviour alone, %.2f with watch lists: behaviour alone must say less", id, c, lists)
		}
	}
}

// ownerOf returns the planted network holding most of n's members, if any.
func ownerOf(n scoring.Network, planted map[string]*generate.Network) *generate.Network {
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
