package detect

import (
	"context"
	"testing"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// routedWorld is small: the test proves the routing path, not quality.
const routedWorld = 1500

// TestThroughRoutingScheme runs the whole pipeline through neo4j://, as
// against a cluster: migrate, ingest, detect (the projection read and the
// write-back), then the API's reads. Every write must reach the writer and
// every read may go to a reader; the single test server refuses a write in
// a read-mode transaction, so a write on a read path fails here.
func TestThroughRoutingScheme(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a world into Neo4j")
	}
	st := storetest.NewRouted(t)
	if got := st.URI(); len(got) < 8 || got[:8] != "neo4j://" {
		t.Fatalf("store URI %q, want the neo4j:// scheme", got)
	}
	ctx := context.Background()
	// The premise: a write sent down a read path fails on this server, so
	// every store method below that passes took the right path.
	if _, err := st.Query(ctx, "CREATE (:RoutingProbe) RETURN 1 AS ok", nil); err == nil {
		t.Fatal("a write through the read path succeeded: the test server does not enforce read routing")
	}
	loadWorld(t, st, routedWorld, 3) // migrates, then ingests
	res, err := Run(ctx, st, DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Networks) == 0 {
		t.Fatalf("run %s wrote no networks on a %d-account world", res.RunID, routedWorld)
	}
	latest, err := st.LatestRunID(ctx)
	if err != nil || latest != res.RunID {
		t.Fatalf("latest run %q (%v), want %q", latest, err, res.RunID)
	}
	page, err := st.Networks(ctx, store.NetworkQuery{RunID: res.RunID, OrderField: store.OrderScore, Direction: store.Desc}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Edges) == 0 || page.Edges[0].Node.Score != res.Networks[0].Score {
		t.Fatalf("first page of networks %+v, want the run's best score %v first", page.Edges, res.Networks[0].Score)
	}
	view, err := st.NetworkView(ctx, res.Networks[0].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Members) == 0 {
		t.Fatalf("network %s: no members read back", res.Networks[0].ID)
	}
	acct, err := st.Account(ctx, view.Members[0].Account.ID)
	if err != nil || acct.ID != view.Members[0].Account.ID {
		t.Fatalf("account %s read back as %q (%v)", view.Members[0].Account.ID, acct.ID, err)
	}
	checkReadPath(t, st, res, store.ReadProcedure)
}

// TestCypherFallbackRecorded: on a server without Lockstep's procedures
// detection reads through plain Cypher and finds networks, and the run
// records the CYPHER path, which the API's runs report.
func TestCypherFallbackRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second Neo4j and loads a world into it")
	}
	st := storetest.NewPlain(t)
	ctx := context.Background()
	if err := st.ReadProjectionVia(ctx, store.ProjectionPacked, &lineSink{refs: map[int64]string{}}, nil); err == nil {
		t.Fatal("the packed read succeeded: the plain server has the procedure")
	}
	loadWorld(t, st, routedWorld, 3)
	res, err := Run(ctx, st, DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Networks) == 0 {
		t.Fatalf("run %s wrote no networks through the Cypher read", res.RunID)
	}
	checkReadPath(t, st, res, store.ReadCypher)
}

// checkReadPath: the store's one run is res, read the way want says.
func checkReadPath(t *testing.T, st *store.Store, res *Result, want store.ReadPath) {
	t.Helper()
	runs, err := st.DetectionRuns(context.Background(), 10)
	if err != nil || len(runs) != 1 || runs[0].NetworkCount != len(res.Networks) {
		t.Fatalf("runs %+v (%v), want one with %d networks", runs, err, len(res.Networks))
	}
	if runs[0].ReadPath == nil || *runs[0].ReadPath != want {
		t.Errorf("run %s recorded read path %v, want %s", res.RunID, runs[0].ReadPath, want)
	}
}
