package detect

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// loadWorld generates a world into a temporary directory and ingests it
// into st the way `lockstep generate` and `lockstep ingest` do.
func loadWorld(t *testing.T, st *store.Store, accounts int, seed uint64) *generate.Truth {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	truth, err := generate.ToDir(generate.DefaultConfig(accounts, seed), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Run(ctx, st, []string{filepath.Join(dir, "events.ndjson")}, ingest.Options{
		HMACKey: testKey, StateDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected > 0 {
		t.Fatalf("ingest rejected %d generated records", sum.Rejected)
	}
	t.Logf("ingested %d records in %s", sum.Records, sum.Elapsed.Round(time.Millisecond))
	return truth
}

// flaggedInStore reads the flagged accounts of a run back from Neo4j: the
// non-victim members of its networks scored at or above threshold.
func flaggedInStore(t *testing.T, st *store.Store, runID string, threshold float64) map[string]bool {
	t.Helper()
	recs, err := st.Query(context.Background(), `MATCH (n:Network {runId: $run})<-[m:MEMBER_OF]-(a:Account)
WHERE n.score >= $threshold AND m.role <> 'victim' RETURN DISTINCT a.id`, map[string]any{"run": runID, "threshold": threshold})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range recs {
		out[r.Values[0].(string)] = true
	}
	return out
}

// TestQualityThroughNeo4j is issue 3's quality bar end to end: generate,
// ingest into the managed Neo4j, detect with default parameters, and
// check what was written against truth.json, over several seeds.
func TestQualityThroughNeo4j(t *testing.T) {
	if testing.Short() {
		t.Skip("loads worlds into Neo4j")
	}
	for _, seed := range qualitySeeds(t) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			st := storetest.New(t)
			truth := loadWorld(t, st, 10000, seed)
			p := DefaultParams()
			var stages []string
			res, err := Run(context.Background(), st, p, func(stage string, done, total int) {
				if len(stages) == 0 || stages[len(stages)-1] != stage {
					stages = append(stages, stage)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("run %s: %d networks written, %d flagged; seconds %v; stages %v", res.RunID, res.Stats.Written, res.Stats.Flagged, res.Stats.Seconds, stages)
			flagged := flaggedInStore(t, st, res.RunID, p.Scoring.Threshold)
			sc := truth.Evaluate(flagged)
			if sc.Flagged != len(flaggedOf(netsOf(res), p.Scoring.Threshold)) {
				t.Errorf("store holds %d flagged accounts, the result %d", sc.Flagged, len(flaggedOf(netsOf(res), p.Scoring.Threshold)))
			}
			checkQuality(t, fmt.Sprintf("seed %d via Neo4j", seed), truth, netsOf(res), p.Scoring.Threshold)
			for i, n := range res.Networks[:min(3, len(res.Networks))] {
				t.Logf("top %d: score %.3f size %d: %s", i+1, n.Score, n.Size, n.Evidence[0])
			}
		})
	}
}

// TestIdentityAcrossRuns: running detection twice on the same data gives
// every network of the second run a predecessor in the first, with the
// same key, and both runs stay queryable.
func TestIdentityAcrossRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a world into Neo4j")
	}
	st := storetest.New(t)
	loadWorld(t, st, 3000, 11)
	ctx := context.Background()
	first, err := Run(ctx, st, DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Run(ctx, st, DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Networks) == 0 || len(second.Networks) != len(first.Networks) {
		t.Fatalf("runs wrote %d and %d networks", len(first.Networks), len(second.Networks))
	}
	if second.Stats.PreviousRunID != first.RunID {
		t.Errorf("second run's previous run is %q, want %q", second.Stats.PreviousRunID, first.RunID)
	}
	keys := map[string]string{}
	for _, n := range first.Networks {
		keys[n.ID] = n.Key
	}
	for _, n := range second.Networks {
		if n.PredecessorID == "" || keys[n.PredecessorID] != n.Key {
			t.Errorf("network %s: predecessor %q, key %q; want a first-run network with the same key", n.ID, n.PredecessorID, n.Key)
		}
	}
	for _, run := range []string{first.RunID, second.RunID} {
		c, err := st.CountNetworks(ctx, store.NetworkQuery{RunID: run})
		if err != nil || c != len(first.Networks) {
			t.Errorf("run %s: %d networks stored (%v), want %d", run, c, err, len(first.Networks))
		}
	}
}

// TestFailedRunKeepsEarlierRuns cancels a run midway: it is marked
// failed, and the earlier run's networks are untouched.
func TestFailedRunKeepsEarlierRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a world into Neo4j")
	}
	st := storetest.New(t)
	loadWorld(t, st, 2000, 12)
	ctx := context.Background()
	good, err := Run(ctx, st, DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	_, err = Run(cctx, st, DefaultParams(), func(stage string, done, total int) {
		if stage == "score" {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("cancelled run succeeded")
	}
	recs, err := st.Query(ctx, `MATCH (r:DetectionRun) RETURN r.status AS s, count(*) AS n ORDER BY s`, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range recs {
		got[r.Values[0].(string)] = r.Values[1].(int64)
	}
	if got[store.RunStatusFailed] != 1 || got[store.RunStatusFinished] != 1 {
		t.Errorf("run statuses %v, want one finished and one failed", got)
	}
	latest, err := st.LatestRunID(ctx)
	if err != nil || latest != good.RunID {
		t.Errorf("latest run %q (%v), want the good one %q", latest, err, good.RunID)
	}
	c, err := st.CountNetworks(ctx, store.NetworkQuery{RunID: good.RunID})
	if err != nil || c != len(good.Networks) {
		t.Errorf("good run has %d networks (%v), want %d", c, err, len(good.Networks))
	}
}

func netsOf(r *Result) []scoring.Network {
	out := make([]scoring.Network, len(r.Networks))
	for i, n := range r.Networks {
		out[i] = n.Network
	}
	return out
}
