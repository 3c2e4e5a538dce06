package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/loaders"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// TestDataloadersBoundQueries loads a page of 100 networks with their
// members, each member's account with its IPs and devices, and checks that
// the number of Cypher statements does not depend on the page size.
func TestDataloadersBoundQueries(t *testing.T) {
	// The count must measure how the loaders batch, not the scheduler: at
	// the production wait (1 ms) a busy CI machine, running the ingest
	// tests' Neo4j beside this one, delays some siblings past it and splits
	// a batch (CI saw 26 statements once). A longer wait keeps the batches
	// whole without changing what is counted.
	defer func(w time.Duration) { loaders.Wait = w }(loaders.Wait)
	loaders.Wait = 50 * time.Millisecond
	// A key check after its cache expired would count too.
	h := newHarness(t, server.Config{AuthCacheTTL: time.Hour})
	ctx := ctxT(t)
	var nets []store.NetworkRow
	for i := range 100 {
		var ms []store.MemberRow
		for j := range 5 {
			ms = append(ms, store.MemberRow{AccountID: fmt.Sprintf("a%02d", (i+j)%12+1), Score: 0.5, Role: "core"})
		}
		nets = append(nets, store.NetworkRow{ID: fmt.Sprintf("big%03d", i), Key: fmt.Sprintf("big%03d", i), Size: 5, Score: float64(i) / 100, Signals: "[]", Members: ms})
	}
	if err := h.st.StartRun(ctx, "run-3", mustTime("2026-03-02T00:00:00Z"), "{}"); err != nil {
		t.Fatal(err)
	}
	if err := h.st.WriteNetworks(ctx, "run-3", nets, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.st.FinishRun(ctx, "run-3", mustTime("2026-03-02T00:01:00Z"), "{}"); err != nil {
		t.Fatal(err)
	}
	// Count statements: a handler in front of the server's puts a counter
	// in each request's context.
	var last *int64
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, n := store.WithQueryCounter(r.Context())
		h.srv.Handler().ServeHTTP(w, r.WithContext(c))
		v := n.Load()
		last = &v
	}))
	defer counted.Close()
	h.ts.URL, counted.URL = counted.URL, h.ts.URL
	defer func() { h.ts.URL = counted.URL }()

	q := `query($n: Int) { networks(first: $n) { totalCount edges { node { id run { id } predecessor { id } reviewStatus
  members(first: 5) { totalCount edges { node { score account { id lookupCount memberships { network { id } }
    ips(first: 5) { ip { addr accountCount } } devices(first: 5) { device { id accountCount } } } } } } } } } }`
	counts := map[int]int64{}
	for _, n := range []int{1, 10, 100} {
		var got struct {
			Networks struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		h.ok(viewer, q, map[string]any{"n": n}, &got)
		if len(got.Networks.Edges) != n || got.Networks.TotalCount != 100 {
			t.Fatalf("first %d: %d networks of %d", n, len(got.Networks.Edges), got.Networks.TotalCount)
		}
		counts[n] = *last
	}
	t.Logf("Cypher statements for pages of 1, 10, 100 networks: %v", counts)
	// A root lookup is one statement, which also reads the first pages of
	// account's IPs and devices and of network's members when they are
	// selected (priming their loaders); each other list or count under it
	// is one more, however long the list.
	for _, c := range []struct {
		q    string
		vars map[string]any
		want int64
	}{
		{`{ account(id: "a01") { id ips { count } devices { count } } }`, nil, 1},
		{`query($n: Int) { account(id: "a01") { id ips(first: $n) { count } devices(first: 3) { count } } }`, map[string]any{"n": 2}, 1},
		{`{ account(id: "a01") { id lookupCount ips { count ip { accountCount } } devices { device { accountCount } } } }`, nil, 4},
		{`{ network(id: "big000") { id members(first: 100) { totalCount edges { node { account { id lookupCount } } } } } }`, nil, 2},
		// Two pages of one list: the root reads neither; the loader does.
		{`{ account(id: "a01") { id a: ips(first: 1) { count } b: ips(first: 2) { count } } }`, nil, 3},
		{`{ account(id: "a01") { id } }`, nil, 1},
	} {
		h.ok(viewer, c.q, c.vars, nil)
		if *last != c.want {
			t.Errorf("%s: %d statements, want %d", c.q, *last, c.want)
		}
	}
	// latest run, page, count, members, runs, predecessors, accounts'
	// lookup counts, IPs, devices, their account counts, memberships and
	// their networks: about 13 whatever the
	// page size. A batch may still split if the machine stalls a sibling
	// for longer than the wait, so leave room for that; one statement per
	// item would be over 1,500 for the page of 100 (500 member accounts).
	if counts[1] > 25 || counts[10] > 25 || counts[100] > 25 {
		t.Fatalf("statements per page = %v: must be bounded and independent of the page size", counts)
	}
}
