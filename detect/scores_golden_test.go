package detect

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from the current code")

// TestScoresUnchanged holds detection's numbers on a generated world to a
// golden file: every network's score, signals (value, strength,
// contribution), state-linked indicator and member roles and scores. A
// refactor of scoring or projection must leave it as it is; a change meant
// to move scores rewrites it with -update and says why in its commit.
// Evidence and signal details are sentences (their wording may change on
// its own), so they are left out; the facts they are written from are in
// the signal values.
func TestScoresUnchanged(t *testing.T) {
	mb, _ := memoryWorld(t, 3000, 11)
	b := mb.Finish()
	// Some confirmed accounts, so seeded proximity is measured too.
	var seeds []int32
	for a := 0; a < b.NumAccounts(); a += 97 {
		seeds = append(seeds, int32(a))
	}
	an, err := Analyze(context.Background(), b, DefaultParams(), seeds, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for i, n := range an.Networks {
		fmt.Fprintf(&got, "network %d: community %d size %d score %.9g state %v %.9g %d reasons\n",
			i, n.Community, n.Size, n.Score, n.StateLinked, n.StateConfidence, len(n.StateReasons))
		for _, s := range n.Signals {
			fmt.Fprintf(&got, "  %s value %.9g strength %.9g weight %.9g contribution %.9g\n", s.Name, s.Value, s.Strength, s.Weight, s.Contribution)
		}
		members := sha256.New()
		for _, m := range n.Members {
			fmt.Fprintf(members, "%s %s %.9g\n", m.ID, m.Role, m.Score)
		}
		fmt.Fprintf(&got, "  %d members %x\n", len(n.Members), members.Sum(nil)[:8])
	}
	path := filepath.Join("testdata", "scores.golden")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestScoresUnchanged -update writes it)", err)
	}
	if got.String() != string(want) {
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("scores differ from %s at line %d:\n got %q\nwant %q", path, i+1, g, w)
			}
		}
	}
}
