package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/store"
)

// dumpGraph lists every node (labels and all properties), every
// relationship (type, both ends by their key, all properties) and every
// batch marker (id and properties but the time it was written), one line
// each, sorted. Values print with their Go type, so a DateTime stored with
// another zone, an int stored as a float or a missing property all show.
func dumpGraph(t *testing.T, s *store.Store) []string {
	t.Helper()
	ctx := testCtx(t)
	var lines []string
	props := func(v any) string {
		m, _ := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		for _, k := range keys {
			val := m[k]
			if tm, ok := val.(time.Time); ok {
				_, off := tm.Zone()
				val = fmt.Sprintf("%s[%s%+d]", tm.UTC().Format(time.RFC3339Nano), tm.Location(), off)
			}
			fmt.Fprintf(&b, "%s=%T:%v ", k, m[k], val)
		}
		return b.String()
	}
	for _, q := range []string{
		"MATCH (n) WHERE NOT n:IngestBatch RETURN 'node', labels(n), properties(n)",
		`MATCH (a)-[r]->(b) RETURN type(r), [labels(a)[0], coalesce(a.id, a.addr, a.key), labels(b)[0], coalesce(b.id, b.addr, b.key)], properties(r)`,
		"MATCH (n:IngestBatch) RETURN 'marker', [n.id], properties(n {.*, at: null})",
	} {
		recs, err := s.Query(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			lines = append(lines, fmt.Sprintf("%v %v %s", r.Values[0], r.Values[1], props(r.Values[2])))
		}
	}
	slices.Sort(lines)
	return lines
}

// sameGraph fails the test with the first lines that differ.
func sameGraph(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var diff []string
	gs, ws := map[string]bool{}, map[string]bool{}
	for _, l := range got {
		gs[l] = true
	}
	for _, l := range want {
		ws[l] = true
	}
	for _, l := range got {
		if !ws[l] && len(diff) < 8 {
			diff = append(diff, "+ "+l)
		}
	}
	for _, l := range want {
		if !gs[l] && len(diff) < 16 {
			diff = append(diff, "- "+l)
		}
	}
	t.Errorf("%s: %d lines, want %d; first differences (+ got, - want):\n%s", what, len(got), len(want), strings.Join(diff, "\n"))
}

// reversed writes the lines of path in reverse order: the same events
// again (so every edge merges into an existing one, counts add up) with
// times going backwards across chunks (so first moves earlier as well as
// last later) and account records last (properties set on nodes that
// exist).
func reversed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	slices.Reverse(lines)
	out := filepath.Join(t.TempDir(), "reversed.ndjson")
	if err := os.WriteFile(out, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPackedEqualsCypher loads the same inputs through the Cypher
// statements and through the packed procedure into empty graphs and
// compares every node, relationship, property and marker; then re-loads
// through the packed path (and, with the chunk markers gone, through both
// paths) and checks nothing changes.
func TestPackedEqualsCypher(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	packed, err := s.IngestVia(ctx, store.IngestPacked)
	if err != nil {
		t.Fatalf("the managed test server must have the procedure: %v", err)
	}
	cypher, err := s.IngestVia(ctx, store.IngestCypher)
	if err != nil {
		t.Fatal(err)
	}
	if !packed.Packed() || cypher.Packed() {
		t.Fatalf("paths: packed %v, cypher %v", packed.Packed(), cypher.Packed())
	}

	world := writeWorld(t, generate.Config{Accounts: 1000, Seed: 5})
	// smallWorld adds what a generated world lacks: an IPv4-mapped IPv6
	// address, fractional seconds, a lookup matched to an account that has
	// no record, an e-mail target.
	small := writeFile(t, "small.ndjson", smallWorld+
		`{"kind":"login","account":"a1","time":"2024-02-01T10:00:00.123456789Z","ip":"192.0.2.1","device":"d1"}`+"\n")
	inputs := []string{world, reversed(t, world), small}
	opts := func() Options {
		o := testOptions(t)
		o.ChunkLines, o.TxRows = 4000, 700
		return o
	}

	load := func(sink Sink) []string {
		t.Helper()
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		sum, err := Run(ctx, sink, inputs, opts())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Edges == 0 || sum.Stored == 0 {
			t.Fatalf("nothing loaded: %s", sum)
		}
		return dumpGraph(t, s)
	}
	viaCypher := load(cypher)
	viaPacked := load(packed)
	t.Logf("%d nodes, relationships and markers", len(viaCypher))
	sameGraph(t, "packed load against Cypher load", viaPacked, viaCypher)

	// Re-loads through the packed path: chunk markers skip everything.
	if _, err := Run(ctx, packed, inputs, opts()); err != nil {
		t.Fatal(err)
	}
	sameGraph(t, "packed re-load", dumpGraph(t, s), viaCypher)
	// Without the chunk markers the nodes are merged again and every edge
	// sub-batch meets its marker, on either path.
	for _, sink := range []*store.IngestWriter{packed, cypher} {
		if err := s.Write(ctx, "MATCH (b:IngestBatch) WHERE NOT b.id CONTAINS '/' DELETE b", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(ctx, sink, inputs, opts()); err != nil {
			t.Fatal(err)
		}
		sameGraph(t, fmt.Sprintf("re-load without chunk markers (packed %v)", sink.Packed()), dumpGraph(t, s), viaCypher)
	}
}

// TestPackedEdgeCases writes rows the loader never produces but the
// store accepts (edges whose ends are missing, empty optional fields, a
// stored property that a row leaves empty, a batch applied twice) through
// both paths and compares the graphs.
func TestPackedEdgeCases(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	at := time.Date(2024, 5, 1, 12, 0, 0, 500, time.UTC)
	yes, no := true, false
	phone := store.TargetRow{Masked: "+1 415 ***-**01", Kind: "phone", Region: "US", Block: "+1415555", Offset: 1}
	email := store.TargetRow{Masked: "c***@example.org", Kind: "email", Block: "example.org", Offset: -1}
	steps := []struct {
		name string
		run  func(w *store.IngestWriter) error
	}{
		{"accounts", func(w *store.IngestWriter) error {
			return w.MergeAccounts(ctx, []store.AccountRow{
				{ID: "a1", Handle: "alice", CreatedAt: at.Add(-time.Hour), Country: "US", Verified: &yes},
				{ID: "a2", Verified: &no}, {ID: "a3"}, {ID: "ünï"}})
		}},
		{"accounts keep what rows leave empty", func(w *store.IngestWriter) error {
			return w.MergeAccounts(ctx, []store.AccountRow{{ID: "a1", Country: "DE"}, {ID: "a2", Handle: "bob"}})
		}},
		{"ips", func(w *store.IngestWriter) error {
			return w.MergeIPs(ctx, []store.IPRow{{Addr: "192.0.2.1", ASN: 64500, ASOrg: "Ex", Country: "US", Kind: "mobile"}, {Addr: "2001:db8::1"}})
		}},
		{"ips keep kind", func(w *store.IngestWriter) error {
			return w.MergeIPs(ctx, []store.IPRow{{Addr: "192.0.2.1", ASN: 64501}, {Addr: "2001:db8::1", Kind: "vpn"}})
		}},
		{"devices", func(w *store.IngestWriter) error {
			return w.MergeDevices(ctx, []store.DeviceRow{{ID: "d1", OS: "ios"}, {ID: "d2", Client: "web"}, {ID: "d1", Client: "app"}})
		}},
		{"targets", func(w *store.IngestWriter) error {
			return w.MergeTargets(ctx, []store.TargetRow{{Key: "k0", Masked: "m", Kind: "phone", Block: "+1", Offset: 7}})
		}},
		{"used ip, one end missing", func(w *store.IngestWriter) error {
			return w.WriteEdges(ctx, "b/ip/0", store.RelUsedIP, []store.EdgeRow{
				{From: "a1", To: "192.0.2.1", First: at, Last: at.Add(time.Hour), Count: 3},
				{From: "nobody", To: "192.0.2.1", First: at, Last: at, Count: 1},
				{From: "a2", To: "198.51.100.9", First: at, Last: at, Count: 1}})
		}},
		{"used ip again: widens and adds", func(w *store.IngestWriter) error {
			return w.WriteEdges(ctx, "b/ip/1", store.RelUsedIP, []store.EdgeRow{
				{From: "a1", To: "192.0.2.1", First: at.Add(-time.Minute), Last: at.Add(30 * time.Minute), Count: 2},
				{From: "a2", To: "2001:db8::1", First: at, Last: at, Count: 1}})
		}},
		{"used ip batch applied twice", func(w *store.IngestWriter) error {
			err := w.WriteEdges(ctx, "b/ip/1", store.RelUsedIP, []store.EdgeRow{{From: "a1", To: "192.0.2.1", First: at, Last: at, Count: 100}})
			if err != store.ErrBatchDone {
				return fmt.Errorf("second application: err %v, want ErrBatchDone", err)
			}
			return nil
		}},
		{"used device", func(w *store.IngestWriter) error {
			return w.WriteEdges(ctx, "b/dev/0", store.RelUsedDevice, []store.EdgeRow{
				{From: "a1", To: "d1", First: at, Last: at, Count: 1}, {From: "a3", To: "nodevice", First: at, Last: at, Count: 1}})
		}},
		{"looked up, missing account, target merged once", func(w *store.IngestWriter) error {
			return w.WriteEdges(ctx, "b/lu/0", store.RelLookedUp, []store.EdgeRow{
				{From: "a1", To: "k1", First: at, Last: at, Count: 2, Hits: 1, Target: &phone},
				{From: "a2", To: "k1", First: at, Last: at, Count: 1, Target: &phone},
				{From: "ghost", To: "k9", First: at, Last: at, Count: 1, Target: &phone},
				{From: "a2", To: "k2", First: at, Last: at.Add(time.Second), Count: 4, Target: &email},
				{From: "a3", To: "k0", First: at, Last: at, Count: 1, Target: &email}})
		}},
		{"looked up again", func(w *store.IngestWriter) error {
			return w.WriteEdges(ctx, "b/lu/1", store.RelLookedUp, []store.EdgeRow{
				{From: "a1", To: "k1", First: at.Add(time.Hour), Last: at.Add(2 * time.Hour), Count: 1, Hits: 1, Target: &email}})
		}},
		{"empty sub-batch still leaves its marker", func(w *store.IngestWriter) error {
			return w.WriteEdges(ctx, "b/lu/2", store.RelLookedUp, nil)
		}},
		{"matched, missing ends", func(w *store.IngestWriter) error {
			return w.MergeMatched(ctx, []store.MatchRow{{Target: "k1", Account: "a3"}, {Target: "k1", Account: "nobody"}, {Target: "k404", Account: "a1"}, {Target: "k1", Account: "a3"}})
		}},
	}
	var want []string
	for _, via := range []string{store.IngestCypher, store.IngestPacked} {
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		w, err := s.IngestVia(ctx, via)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range steps {
			if err := st.run(w); err != nil {
				t.Fatalf("%s: %s: %v", via, st.name, err)
			}
		}
		got := dumpGraph(t, s)
		if want == nil {
			want = got
			continue
		}
		sameGraph(t, "packed against Cypher", got, want)
	}
	t.Logf("graph:\n%s", strings.Join(want, "\n"))
}

// TestPackedMalformed sends the procedure data that is cut short or
// names strings past its end: each call fails with an error naming the
// byte, and nothing of it (marker included) is committed.
func TestPackedMalformed(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	for _, tc := range []struct {
		kind string
		data []byte
	}{
		{"accounts", []byte{1, 2, 'a'}},        // id cut short
		{"accounts", []byte{0, 1, 'a', 1}},     // second row: flags, then nothing
		{"ips", []byte{1, 1, 'x', 0x80}},       // asn varint cut short
		{"USED_IP", []byte{1, 'a', 1, 'b'}},    // no times
		{"LOOKED_UP", []byte{1, 'a', 99, 'b'}}, // string past the end
		{"MATCHED", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"nonsense", []byte{}},
	} {
		err := s.Write(ctx, "CALL lockstep.ingest(1, $batch, $kind, $data) YIELD done RETURN done",
			map[string]any{"batch": "bad/" + tc.kind, "kind": tc.kind, "data": tc.data})
		if err == nil || !strings.Contains(err.Error(), "lockstep.ingest") {
			t.Errorf("%s %x: err %v, want an error from lockstep.ingest", tc.kind, tc.data, err)
		}
	}
	if err := s.Write(ctx, "CALL lockstep.ingest(0, '', 'accounts', $data) YIELD done RETURN done", map[string]any{"data": []byte{}}); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("other format: err %v, want a format error", err)
	}
	if n := countRows(t, s, "MATCH (n) RETURN count(n) AS n"); n != 0 {
		t.Errorf("%d nodes after failed calls, want 0", n)
	}
}

// writeWorld writes a generated world as NDJSON to a temporary file and
// returns its path.
func writeWorld(t testing.TB, cfg generate.Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	if _, err := generate.WriteNDJSON(cfg, bw); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}
