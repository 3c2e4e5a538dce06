package detect

import (
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/store"
)

func net(score float64, ids ...string) scoring.Network {
	n := scoring.Network{Score: score, Size: len(ids)}
	for _, id := range ids {
		n.Members = append(n.Members, scoring.Member{ID: id, Role: scoring.RoleCore})
	}
	// A victim shared with everything must not count as overlap.
	n.Members = append(n.Members, scoring.Member{ID: "victim", Role: scoring.RoleVictim})
	return n
}

func TestIdentify(t *testing.T) {
	prev := []store.PreviousNetwork{
		{ID: "r1-n1", Key: "k-old", Members: []string{"a", "b", "c", "d"}},
		{ID: "r1-n2", Key: "r1-n2", Members: []string{"x", "y", "z", "victim"}},
	}
	cases := []struct {
		name      string
		nets      []scoring.Network
		wantKey   []string
		wantPrede []string
	}{
		{"same members keep the key", []scoring.Network{net(0.9, "a", "b", "c", "d")}, []string{"k-old"}, []string{"r1-n1"}},
		{"half overlap is enough", []scoring.Network{net(0.9, "a", "b", "c", "e")}, []string{"k-old"}, []string{"r1-n1"}},
		{"less than half is new", []scoring.Network{net(0.9, "a", "b", "e", "f", "g")}, []string{"run-n0001"}, []string{""}},
		{"each predecessor claimed once, best score first", []scoring.Network{net(0.9, "a", "b", "c"), net(0.8, "a", "b", "c", "d")},
			[]string{"k-old", "run-n0002"}, []string{"r1-n1", ""}},
		{"victims do not make identity", []scoring.Network{net(0.9, "q", "r")}, []string{"run-n0001"}, []string{""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := identify("run", c.nets, prev, 0.5)
			for i, n := range got {
				if n.Key != c.wantKey[i] || n.PredecessorID != c.wantPrede[i] {
					t.Errorf("network %d: key %q predecessor %q, want %q %q", i, n.Key, n.PredecessorID, c.wantKey[i], c.wantPrede[i])
				}
			}
		})
	}
}

func TestWithoutAllowlisted(t *testing.T) {
	nets := []scoring.Network{net(0.9, "a", "b", "c"), net(0.8, "d")}
	got := withoutAllowlisted(nets, map[string]bool{"b": true, "d": true, "victim": true})
	if len(got) != 1 || got[0].Size != 2 || len(got[0].Members) != 3 {
		t.Fatalf("got %+v, want the first network with a, c and its victim", got)
	}
	for _, m := range got[0].Members {
		if m.ID == "b" {
			t.Error("allowlisted member kept")
		}
	}
}
