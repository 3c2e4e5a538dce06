package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/benchrun"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestBench runs `lockstep bench --json` on the smallest world against the
// test server and checks the report has every row, each with a positive
// figure and a positive baseline measured in the run, or a reason it was
// skipped, and the memory figures. It asserts no timing.
func TestBench(t *testing.T) {
	storetest.New(t) // an empty, migrated database
	uri, user, password := storetest.Server(t)
	t.Setenv("LOCKSTEP_HOME", t.TempDir())
	t.Setenv("NEO4J_URI", uri)
	t.Setenv("NEO4J_USER", user)
	t.Setenv("NEO4J_PASSWORD", password)
	t.Setenv("LOCKSTEP_HMAC_KEY", "bench-test-hmac-key-0123456789abcdef")
	var out strings.Builder
	rootCmd.SetArgs([]string{"bench", "--accounts", "1000", "--api-duration", "1s", "--clients", "4", "--json"})
	rootCmd.SetOut(&out)
	rootCmd.SetErr(new(strings.Builder))
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var rep benchrun.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	want := map[string]bool{ // name: skipped
		"ingest (transactional, batched UNWIND)":         false,
		"detect: full run":                               false,
		"detect: read":                                   false,
		"detect: communities (leiden)":                   false,
		"detect: incremental run, 1% increment":          true,
		"API: account(id) with IPs and devices":          false,
		"API: network(id) with 100 members and evidence": false,
		"API: account(id) against @neo4j/graphql":        true,
	}
	for _, r := range rep.Rows {
		skipped, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected row %q", r.Name)
			continue
		}
		delete(want, r.Name)
		switch {
		case skipped && r.Skipped == "":
			t.Errorf("%s: measured, want skipped with a reason", r.Name)
		case !skipped && r.Skipped != "":
			t.Errorf("%s: skipped (%s)", r.Name, r.Skipped)
		case !skipped && (r.Figure <= 0 || r.BaselineFigure <= 0 || r.Speedup <= 0 || r.Baseline == "" || r.Unit == ""):
			t.Errorf("%s: figure %g %s, baseline %q %g, speedup %g: want all positive and named", r.Name, r.Figure, r.Unit, r.Baseline, r.BaselineFigure, r.Speedup)
		}
	}
	for name := range want {
		t.Errorf("row %q missing", name)
	}
	m := rep.Memory
	if rep.Records <= 0 || m.Accounts != 1000 || m.Nodes <= m.Accounts || m.Relationships <= 0 || m.ReadHeapBytes <= 0 || m.SimilarityEdges <= 0 || m.SimilarityHeapBytes <= 0 || m.DetectPeakRSSMiB <= 0 {
		t.Errorf("report %+v: want records and every memory figure positive", rep)
	}

	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ingest (transactional", "skipped: `lockstep detect --incremental`", "B a relationship"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, table.String())
		}
	}
}
