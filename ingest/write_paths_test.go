package ingest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestReloadChangesNothing loads inputs that merge into existing nodes and
// edges (the same events reversed, a few odd ones) into an empty graph,
// then loads them again: once with the chunk markers (every chunk is
// skipped) and once without them (nodes are merged again and every edge
// sub-batch meets its marker); the graph must not change, and every
// relationship's count must add up to the events read.
func TestReloadChangesNothing(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	world := ingesttest.World(t, generate.Config{Accounts: 1000, Seed: 5})
	// smallWorld adds what a generated world lacks: an IPv4-mapped IPv6
	// address, fractional seconds, a lookup matched to an account that has
	// no record, an e-mail target.
	small := writeFile(t, "small.ndjson", smallWorld+
		`{"kind":"login","account":"a1","time":"2024-02-01T10:00:00.123456789Z","ip":"192.0.2.1","device":"d1"}`+"\n")
	inputs := []string{world, ingesttest.Reversed(t, world), small}
	opts := func() Options {
		o := testOptions(t)
		o.ChunkLines, o.TxRows = 4000, 700
		return o
	}

	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, s, inputs, opts())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Edges == 0 || sum.Stored == 0 {
		t.Fatalf("nothing loaded: %s", sum)
	}
	first := storetest.DumpGraph(t, s)
	t.Logf("%d nodes, relationships and markers", len(first))

	if _, err := Run(ctx, s, inputs, opts()); err != nil {
		t.Fatal(err)
	}
	storetest.SameGraph(t, "re-load", storetest.DumpGraph(t, s), first)
	if err := s.DeleteChunkMarkers(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, s, inputs, opts()); err != nil {
		t.Fatal(err)
	}
	storetest.SameGraph(t, "re-load without chunk markers", storetest.DumpGraph(t, s), first)
}

// TestWriteEdgeCases writes rows the loader never produces but the store
// accepts (edges whose ends are missing, empty optional fields, a stored
// property that a row leaves empty, a batch applied twice) and checks
// what each leaves in the graph.
func TestWriteEdgeCases(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	at := time.Date(2024, 5, 1, 12, 0, 0, 500, time.UTC)
	yes, no := true, false
	phone := store.TargetRow{Masked: "+1 415 ***-**01", Kind: "phone", Region: "US", Block: "+1415555", Offset: 1}
	email := store.TargetRow{Masked: "c***@example.org", Kind: "email", Block: "example.org", Offset: -1}
	steps := []struct {
		name string
		run  func(w *store.Store) error
	}{
		{"accounts", func(w *store.Store) error {
			return w.MergeAccounts(ctx, []store.AccountRow{
				{ID: "a1", Handle: "alice", CreatedAt: at.Add(-time.Hour), Country: "US", Verified: &yes},
				{ID: "a2", Verified: &no}, {ID: "a3"}, {ID: "ünï"}})
		}},
		{"accounts keep what rows leave empty", func(w *store.Store) error {
			return w.MergeAccounts(ctx, []store.AccountRow{{ID: "a1", Country: "DE"}, {ID: "a2", Handle: "bob"}})
		}},
		{"ips", func(w *store.Store) error {
			return w.MergeIPs(ctx, []store.IPRow{{Addr: "192.0.2.1", ASN: 64500, ASOrg: "Ex", Country: "US", Kind: "mobile"}, {Addr: "2001:db8::1"}})
		}},
		{"ips keep kind", func(w *store.Store) error {
			return w.MergeIPs(ctx, []store.IPRow{{Addr: "192.0.2.1", ASN: 64501}, {Addr: "2001:db8::1", Kind: "vpn"}})
		}},
		{"devices", func(w *store.Store) error {
			return w.MergeDevices(ctx, []store.DeviceRow{{ID: "d1", OS: "ios"}, {ID: "d2", Client: "web"}, {ID: "d1", Client: "app"}})
		}},
		{"targets", func(w *store.Store) error {
			return w.MergeTargets(ctx, []store.TargetRow{{Key: "k0", Masked: "m", Kind: "phone", Block: "+1", Offset: 7}})
		}},
		{"used ip, one end missing", func(w *store.Store) error {
			return w.WriteEdges(ctx, "b/ip/0", store.RelUsedIP, []store.EdgeRow{
				{From: "a1", To: "192.0.2.1", First: at, Last: at.Add(time.Hour), Count: 3},
				{From: "nobody", To: "192.0.2.1", First: at, Last: at, Count: 1},
				{From: "a2", To: "198.51.100.9", First: at, Last: at, Count: 1}})
		}},
		{"used ip again: widens and adds", func(w *store.Store) error {
			return w.WriteEdges(ctx, "b/ip/1", store.RelUsedIP, []store.EdgeRow{
				{From: "a1", To: "192.0.2.1", First: at.Add(-time.Minute), Last: at.Add(30 * time.Minute), Count: 2},
				{From: "a2", To: "2001:db8::1", First: at, Last: at, Count: 1}})
		}},
		{"used ip batch applied twice", func(w *store.Store) error {
			err := w.WriteEdges(ctx, "b/ip/1", store.RelUsedIP, []store.EdgeRow{{From: "a1", To: "192.0.2.1", First: at, Last: at, Count: 100}})
			if err != store.ErrBatchDone {
				return fmt.Errorf("second application: err %v, want ErrBatchDone", err)
			}
			return nil
		}},
		{"used device", func(w *store.Store) error {
			return w.WriteEdges(ctx, "b/dev/0", store.RelUsedDevice, []store.EdgeRow{
				{From: "a1", To: "d1", First: at, Last: at, Count: 1}, {From: "a3", To: "nodevice", First: at, Last: at, Count: 1}})
		}},
		{"looked up, missing account, target merged once", func(w *store.Store) error {
			return w.WriteEdges(ctx, "b/lu/0", store.RelLookedUp, []store.EdgeRow{
				{From: "a1", To: "k1", First: at, Last: at, Count: 2, Hits: 1, Target: &phone},
				{From: "a2", To: "k1", First: at, Last: at, Count: 1, Target: &phone},
				{From: "ghost", To: "k9", First: at, Last: at, Count: 1, Target: &phone},
				{From: "a2", To: "k2", First: at, Last: at.Add(time.Second), Count: 4, Target: &email},
				{From: "a3", To: "k0", First: at, Last: at, Count: 1, Target: &email}})
		}},
		{"looked up again", func(w *store.Store) error {
			return w.WriteEdges(ctx, "b/lu/1", store.RelLookedUp, []store.EdgeRow{
				{From: "a1", To: "k1", First: at.Add(time.Hour), Last: at.Add(2 * time.Hour), Count: 1, Hits: 1, Target: &email}})
		}},
		{"empty sub-batch still leaves its marker", func(w *store.Store) error {
			return w.WriteEdges(ctx, "b/lu/2", store.RelLookedUp, nil)
		}},
		{"matched, missing ends", func(w *store.Store) error {
			return w.MergeMatched(ctx, []store.MatchRow{{Target: "k1", Account: "a3"}, {Target: "k1", Account: "nobody"}, {Target: "k404", Account: "a1"}, {Target: "k1", Account: "a3"}})
		}},
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.run(s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	got := storetest.DumpGraph(t, s)
	// The lines below follow from the steps by the merge rules of
	// store/ingest.go: properties a row leaves empty are kept, edges widen
	// first/last and add counts and hits, a Target's properties come from
	// the row that created it, and a row whose end is missing is skipped.
	at0 := func(d time.Duration) string {
		return "time.Time:" + at.Add(d).UTC().Format(time.RFC3339Nano) + "[Offset+0]"
	}
	for _, want := range []string{
		"node [Account] country=string:DE createdAt=" + at0(-time.Hour) + " handle=string:alice id=string:a1 status=string:active verified=bool:true ",
		"node [Account] handle=string:bob id=string:a2 status=string:active verified=bool:false ",
		"node [IP] addr=string:192.0.2.1 asn=int64:64501 asnOrg=string:Ex country=string:US kind=string:mobile ",
		"node [IP] addr=string:2001:db8::1 kind=string:vpn ",
		"node [Device] client=string:app id=string:d1 os=string:ios ",
		"USED_IP [Account a1 IP 192.0.2.1] count=int64:5 first=" + at0(-time.Minute) + " last=" + at0(time.Hour) + " ",
		"USED_IP [Account a2 IP 2001:db8::1] count=int64:1 first=" + at0(0) + " last=" + at0(0) + " ",
		"USED_DEVICE [Account a1 Device d1] count=int64:1 first=" + at0(0) + " last=" + at0(0) + " ",
		"LOOKED_UP [Account a1 Target k1] count=int64:3 first=" + at0(0) + " hits=int64:2 last=" + at0(2*time.Hour) + " ",
		"node [Target] block=string:+1415555 key=string:k1 kind=string:phone masked=string:+1 415 ***-**01 offset=int64:1 region=string:US ",
		"node [Target] block=string:+1 key=string:k0 kind=string:phone masked=string:m offset=int64:7 ",
		"MATCHED [Target k1 Account a3]",
		"marker [b/lu/2]",
	} {
		if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("missing %q", want)
		}
	}
	for _, l := range got {
		for _, absent := range []string{"nobody", "ghost", "198.51.100.9", "nodevice", "k404", "k9", "count=int64:100"} {
			if strings.Contains(l, absent) {
				t.Errorf("line %q: a row with a missing end or a repeated batch left %q", l, absent)
			}
		}
	}
	if t.Failed() {
		t.Logf("graph:\n%s", strings.Join(got, "\n"))
	}
}
