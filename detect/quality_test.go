package detect

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
)

var testKey = []byte("quality-test-key-0123456789")

// qualitySeeds are the worlds every quality test runs on; QUALITY_SEEDS
// (comma-separated) replaces them.
func qualitySeeds(t *testing.T) []uint64 {
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("QUALITY_SEEDS"); s != "" {
		seeds = nil
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("QUALITY_SEEDS: %v", err)
			}
			seeds = append(seeds, v)
		}
	}
	return seeds
}

// envInt reads a test's size knob from the environment: an integer in
// name, else def.
func envInt(tb testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return n
}

// qualityAccounts is the world size of the in-memory quality test:
// QUALITY_ACCOUNTS, default 10,000.
func qualityAccounts(t *testing.T) int { return envInt(t, "QUALITY_ACCOUNTS", 10000) }

// memoryWorld generates a world and builds its bipartite graph in memory.
func memoryWorld(t testing.TB, accounts int, seed uint64) (*MemoryBuilder, *generate.Truth) {
	t.Helper()
	mb := NewMemoryBuilder(testKey)
	truth, err := generate.Stream(generate.DefaultConfig(accounts, seed), func(r *events.Record) error { return mb.Add(r) })
	if err != nil {
		t.Fatal(err)
	}
	return mb, truth
}

// flaggedOf returns the members (not victims) of networks scored at or
// above threshold: the accounts issue 3 counts as flagged.
func flaggedOf(nets []scoring.Network, threshold float64) map[string]bool {
	out := map[string]bool{}
	for _, n := range nets {
		if n.Score < threshold {
			continue
		}
		for _, m := range n.Members {
			if m.Role != scoring.RoleVictim {
				out[m.ID] = true
			}
		}
	}
	return out
}

// checkQuality applies issue 3's bar and logs the figures.
func checkQuality(t *testing.T, label string, truth *generate.Truth, nets []scoring.Network, threshold float64) {
	t.Helper()
	flagged := flaggedOf(nets, threshold)
	sc := truth.Evaluate(flagged)
	t.Logf("%s: flagged %d, precision %.4f, recall %.4f, hard-case accounts flagged %d %v", label, sc.Flagged, sc.Precision, sc.Recall, sc.HardCaseHits, sc.HardCaseByKind)
	minPrecision := 0.98
	for _, k := range sc.ByKind {
		if k.Kind == generate.KindCamouflage {
			minPrecision = min(minPrecision, 0.95)
		}
	}
	if sc.Precision < minPrecision {
		t.Errorf("%s: precision %.4f below %.2f", label, sc.Precision, minPrecision)
	}
	for _, k := range sc.ByKind {
		want := 0.95
		if k.Kind == generate.KindCamouflage {
			want = 0.80
		}
		t.Logf("%s: %-12s recall %.4f (%d of %d)", label, k.Kind, k.Recall, k.Found, k.Planted)
		if k.Planted > 0 && k.Recall < want {
			t.Errorf("%s: %s recall %.4f below %.2f", label, k.Kind, k.Recall, want)
		}
	}
	// Hard cases: no organic hard-case account in a flagged network. A
	// planted member's account is never a hard case (truth lists organic
	// accounts only), so any hit is a false positive of a hard case.
	if sc.HardCaseHits > 0 {
		t.Errorf("%s: %d organic hard-case accounts flagged: %v", label, sc.HardCaseHits, sc.HardCaseByKind)
	}
}

func TestQualityInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates worlds")
	}
	for _, seed := range qualitySeeds(t) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			mb, truth := memoryWorld(t, qualityAccounts(t), seed)
			b := mb.Finish()
			p := DefaultParams()
			an, err := Analyze(context.Background(), b, p, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("graph: %d accounts, %d edges kept, %d communities, Q %.3f, %d networks written; hubs %v; %v",
				an.Stats.Accounts, an.Stats.Projection.EdgesKept, an.Stats.Communities, an.Stats.Modularity, len(an.Networks), an.Stats.Projection.HubsDropped, an.Stats.Seconds)
			checkQuality(t, fmt.Sprintf("seed %d", seed), truth, an.Networks, p.Scoring.Threshold)
			if testing.Verbose() {
				debugNetworks(t, truth, an.Networks)
			}
		})
	}
}

// debugNetworks logs each written network with its planted composition.
func debugNetworks(t *testing.T, truth *generate.Truth, nets []scoring.Network) {
	planted := truth.Planted()
	hard := map[string]string{}
	for _, h := range truth.HardCases {
		for _, a := range h.Accounts {
			hard[a] = h.Kind
		}
	}
	for i, n := range nets {
		comp := map[string]int{}
		for _, m := range n.Members {
			if m.Role == scoring.RoleVictim {
				continue
			}
			if p := planted[m.ID]; p != nil {
				comp[p.ID]++
			} else if h := hard[m.ID]; h != "" {
				comp["hard:"+h]++
			} else {
				comp["organic"]++
			}
		}
		var sig []string
		for _, s := range n.Signals {
			if s.Strength > 0 {
				sig = append(sig, fmt.Sprintf("%s=%.2f", s.Name, s.Strength))
			}
		}
		pure := len(comp) == 1 && comp["organic"] == 0
		for k := range comp {
			pure = pure && !strings.HasPrefix(k, "hard:")
		}
		if !pure || i < 3 {
			t.Logf("net %d size %d score %.3f %v | %s", i, n.Size, n.Score, comp, strings.Join(sig, " "))
		}
		if i < 3 {
			t.Logf("   %s", n.Evidence[0])
		}
	}
	// Planted networks that were missed or split.
	found := map[string]int{}
	for _, n := range nets {
		if n.Score < 0.5 {
			continue
		}
		for _, m := range n.Members {
			if p := planted[m.ID]; p != nil && m.Role != scoring.RoleVictim {
				found[p.ID]++
			}
		}
	}
	for _, pn := range truth.Networks {
		if found[pn.ID] < len(pn.Members) {
			t.Logf("planted %s (%s, %d members): %d flagged", pn.ID, pn.Kind, len(pn.Members), found[pn.ID])
		}
	}
}
