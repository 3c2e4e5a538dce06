package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// evalFloors are the recalls detection reaches today on the world of
// TestEvalAdversarialWorld, a little below what was measured (recall 1.000
// unless noted): a change that loses a family fails here.
// Raise them as detection learns the evasions; issue 19 wants 0.90 for every
// evasion family and 0.98 for the ordinary kinds.
var evalFloors = map[string]float64{
	generate.KindEnumeration:         0.95,
	generate.KindMultiCountry:        0.95,
	generate.KindCamouflage:          0.90,
	generate.KindLockstep:            0.95,
	generate.KindThinSpread:          0.90,
	generate.KindHitCamouflage:       0.90,
	generate.KindSmallSweep:          0.90,
	generate.KindOneBurst:            0.90,
	generate.KindInvalidRange:        0.90,
	generate.KindMergedState:         0.90,
	generate.KindResidentialRotation: 0.90,
	generate.KindSlowDrip:            0.90,
}

// evalMinPrecision is the overall precision floor of the same world
// (measured 1.000).
const evalMinPrecision = 0.95

// TestEvalAdversarialWorld generates a small world with the evasion
// families, ingests it and runs detection the way the commands do, then runs
// `lockstep eval --json` against the store and holds every family's recall,
// the overall precision and the organic hard cases to their floors.
func TestEvalAdversarialWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a world into Neo4j")
	}
	ctx := context.Background()
	st := storetest.New(t)
	dir := t.TempDir()
	truth, err := generate.ToDir(generate.Config{Accounts: 4000, Seed: 3, Adversary: true}, dir)
	if err != nil {
		t.Fatal(err)
	}
	key := "eval-test-hmac-key-0123456789abcdef"
	sum, err := ingest.Run(ctx, st, []string{filepath.Join(dir, generate.EventsFile)}, ingest.Options{
		HMACKey: []byte(key), StateDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected > 0 {
		t.Fatalf("ingest rejected %d generated records", sum.Rejected)
	}
	if _, err := detect.Run(ctx, st, detect.DefaultParams(), nil); err != nil {
		t.Fatal(err)
	}

	uri, user, password := storetest.Server(t)
	t.Setenv("NEO4J_URI", uri)
	t.Setenv("NEO4J_USER", user)
	t.Setenv("NEO4J_PASSWORD", password)
	t.Setenv("LOCKSTEP_HOME", t.TempDir())
	t.Setenv("LOCKSTEP_HMAC_KEY", key)
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		rootCmd.SetOut(&out)
		rootCmd.SetErr(&errOut)
		rootCmd.SetArgs(append([]string{"eval", "--truth", filepath.Join(dir, generate.TruthFile)}, args...))
		defer func() { rootCmd.SetOut(nil); rootCmd.SetErr(nil); rootCmd.SetArgs(nil) }()
		if err := rootCmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("eval %v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	// The table first: cobra keeps flag values between runs of rootCmd.
	table := run()
	for _, k := range append(generate.PlantedKinds(), append(generate.AdversaryKinds(), generate.HardMarketingTeam, generate.HardUniversityClub)...) {
		if !strings.Contains(table, k) {
			t.Errorf("table lacks %s:\n%s", k, table)
		}
	}
	if !strings.Contains(table, "precision") || strings.HasPrefix(strings.TrimSpace(table), "{") {
		t.Errorf("not a table:\n%s", table)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(run("--json")), &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("run %s: %d networks, %d accounts flagged, precision %.4f, recall %.4f; state-linked %+v",
		rep.Run, rep.NetworksFlagged, rep.AccountsFlagged, rep.Precision, rep.Recall, rep.StateLinked)
	if len(rep.Families) != len(evalFloors) {
		t.Errorf("%d families reported, want %d", len(rep.Families), len(evalFloors))
	}
	for _, f := range rep.Families {
		t.Logf("%-22s recall %.4f (%d of %d), precision %.4f", f.Kind, f.Recall, f.Found, f.Planted, f.Precision)
		if f.Planted != truth.Stats.PlantedByKind[f.Kind] {
			t.Errorf("%s: %d planted, truth says %d", f.Kind, f.Planted, truth.Stats.PlantedByKind[f.Kind])
		}
		if f.Adversary != generate.IsAdversaryKind(f.Kind) {
			t.Errorf("%s: adversary %v", f.Kind, f.Adversary)
		}
		if f.Recall < evalFloors[f.Kind] {
			t.Errorf("%s: recall %.4f below its floor %.2f", f.Kind, f.Recall, evalFloors[f.Kind])
		}
	}
	if rep.Precision < evalMinPrecision {
		t.Errorf("precision %.4f below %.2f", rep.Precision, evalMinPrecision)
	}
	cases := map[string]int{}
	for _, h := range truth.HardCases {
		cases[h.Kind]++
	}
	for _, h := range rep.HardCases {
		if h.Cases != cases[h.Kind] || h.CasesFlagged > h.Cases {
			t.Errorf("%s: %d cases (%d flagged), truth has %d", h.Kind, h.Cases, h.CasesFlagged, cases[h.Kind])
		}
	}
	if len(rep.HardCases) != len(cases) {
		t.Errorf("%d kinds of hard case reported, truth has %d", len(rep.HardCases), len(cases))
	}
	for _, c := range rep.FalsePositives {
		t.Errorf("organic hard case %s (%s) flagged: %d accounts in %v", c.ID, c.Kind, c.Accounts, c.Networks)
	}
}
