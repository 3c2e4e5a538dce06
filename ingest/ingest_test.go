package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func testOptions(t *testing.T) Options {
	return Options{
		HMACKey:    testKey,
		StateDir:   t.TempDir(),
		ChunkLines: 7, // several chunks and sub-batches even in small files
		TxRows:     3,
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func prepared(t *testing.T) *store.Store {
	s := storetest.New(t)
	if err := s.Migrate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, name, content string) string {
	return ingesttest.WriteFile(t, name, content)
}

const smallWorld = ingesttest.SmallWorld

func TestLoadSmallWorld(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	path := writeFile(t, "events.ndjson", smallWorld)
	sum, err := Run(ctx, s, []string{path}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 11 || sum.Stored != 11 || sum.Rejected != 0 {
		t.Errorf("summary %+v", sum)
	}
	checks := []struct {
		name, cypher string
		want         any
	}{
		{"accounts", "MATCH (a:Account) RETURN count(a)", int64(3)},
		{"a1 props", "MATCH (a:Account {id:'a1'}) RETURN a.handle + '/' + a.country + '/' + toString(a.verified) + '/' + toString(a.createdAt) + '/' + a.status", "alice/US/true/2024-01-01T00:00:00Z/active"},
		{"a3 bare", "MATCH (a:Account {id:'a3'}) RETURN a.handle IS NULL AND a.status = 'active'", true},
		{"ips", "MATCH (i:IP) RETURN collect(i.addr) ORDER BY 1", nil},
		{"ipv4 props", "MATCH (i:IP {addr:'192.0.2.1'}) RETURN i.asn + '/' + i.asnOrg + '/' + i.country + '/' + i.kind", "64500/Example/US/residential"},
		{"ipv6 unknown kind", "MATCH (i:IP {addr:'2001:db8::1'}) RETURN i.kind", "unknown"},
		{"used ip a1", "MATCH (:Account {id:'a1'})-[r:USED_IP]->(:IP {addr:'192.0.2.1'}) RETURN toString(r.first) + ' ' + toString(r.last) + ' ' + toString(r.count)", "2024-03-01T09:00:00Z 2024-03-01T11:00:00Z 3"},
		{"used device", "MATCH (:Account)-[r:USED_DEVICE]->(:Device {id:'d1'}) RETURN sum(r.count)", int64(4)},
		{"device props", "MATCH (d:Device {id:'d1'}) RETURN d.os + '/' + d.client", "ios/app"},
		{"looked up same number twice", "MATCH (:Account {id:'a2'})-[r:LOOKED_UP]->(t:Target {block:'+1415555', offset:2323}) RETURN toString(r.count) + '/' + toString(r.hits) + '/' + t.masked + '/' + t.region + '/' + t.kind", "2/1/+1 415-555-23xx/US/phone"},
		{"targets", "MATCH (t:Target) RETURN count(t)", int64(3)},
		{"email target", "MATCH (t:Target {kind:'email'}) RETURN t.masked + '/' + t.block + '/' + toString(t.offset)", "c***@example.org/example.org/-1"},
		{"matched", "MATCH (t:Target)-[:MATCHED]->(a:Account) RETURN count(*)", int64(2)},
		{"no raw number anywhere", "MATCH (n) WHERE any(k IN keys(n) WHERE toString(n[k]) CONTAINS '5552323' OR toString(n[k]) CONTAINS 'carol') RETURN count(n)", int64(0)},
	}
	for _, c := range checks {
		if c.want == nil {
			continue
		}
		recs, err := s.Query(ctx, c.cypher, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(recs) != 1 || fmt.Sprint(recs[0].Values[0]) != fmt.Sprint(c.want) {
			var got any
			if len(recs) > 0 {
				got = recs[0].Values[0]
			}
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}

	// Loading again changes nothing, with or without the checkpoint.
	before := storetest.Snapshot(t, s)
	for _, resume := range []bool{false, true} {
		opts := testOptions(t)
		opts.Resume = resume
		sum, err := Run(ctx, s, []string{path}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Stored != 0 || sum.Skipped != 11 {
			t.Errorf("re-load (resume=%v) summary %+v, want everything skipped", resume, sum)
		}
		if after := storetest.Snapshot(t, s); after != before {
			t.Errorf("re-load (resume=%v) changed the graph:\n before %s\n after  %s", resume, before, after)
		}
	}
}

// TestReloadAfterLostMarkers deletes the chunk markers (as if the process
// died after the edges of a chunk but before its marker) and loads again:
// the edge sub-batch markers must still keep counts from doubling.
func TestReloadAfterLostChunkMarkers(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	path := writeFile(t, "events.ndjson", smallWorld)
	if _, err := Run(ctx, s, []string{path}, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	before := storetest.Snapshot(t, s)
	if err := s.Write(ctx, "MATCH (b:IngestBatch) WHERE NOT b.id CONTAINS '/' DELETE b", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, s, []string{path}, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	if after := storetest.Snapshot(t, s); after != before {
		t.Errorf("graph changed:\n before %s\n after  %s", before, after)
	}
}

// TestCSVEqualsNDJSON loads the same records as CSV files and as NDJSON
// into empty graphs: both give the same graph.
func TestCSVEqualsNDJSON(t *testing.T) {
	ctx := testCtx(t)
	s := prepared(t)
	if _, err := Run(ctx, s, []string{writeFile(t, "events.ndjson", smallWorld)}, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	want := storetest.Snapshot(t, s)

	s = prepared(t)
	dir := t.TempDir()
	files := map[string]string{
		"accounts.csv": "id,handle,created_at,country,verified\na1,alice,2024-01-01T00:00:00Z,US,true\r\na2,bob,,IR,\n",
		"logins.csv": "account,time,ip,ip_asn,ip_as_org,ip_country,ip_kind,device,device_os,device_client\n" +
			"a1,2024-03-01T10:00:00Z,192.0.2.1,64500,Example,US,residential,d1,ios,app\n" +
			"a1,2024-03-01T09:00:00Z,192.0.2.1,,,,,d1,,\n" +
			"a1,1709290800,::ffff:192.0.2.1,,,,,d1,,\n" +
			"a2,2024-03-02T10:00:00Z,2001:db8::1,,,,,d1,,\n" +
			"a2,2024-03-03T10:00:00Z,2001:db8::1,,,,,,,",
		"lookups.csv": "account,time,target,target_kind,region,matched\n" +
			"a2,2024-03-02T10:01:00Z,+1 415 555 2323,,,a1\n" +
			"a2,2024-03-02T10:02:00Z,(415) 555-2323,,US,\n" +
			"a2,2024-03-02T10:03:00Z,+14155552324,phone,,\n" +
			"a1,2024-03-02T10:04:00Z,\"Carol@Example.org\",email,,a3\n",
	}
	var paths []string
	for _, name := range []string{"accounts.csv", "logins.csv", "lookups.csv"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(files[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sum, err := Run(ctx, s, paths, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 11 || sum.Rejected != 0 {
		t.Errorf("summary %+v", sum)
	}
	if got := storetest.Snapshot(t, s); got != want {
		t.Errorf("CSV graph differs from NDJSON graph:\n csv    %s\n ndjson %s", got, want)
	}
}

func readRejects(t *testing.T, path string) []Reject {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Reject
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r Reject
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("rejects line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func TestBadInputs(t *testing.T) {
	good := `{"kind":"login","account":"a1","time":1709290800,"ip":"192.0.2.1"}` + "\n"
	tests := []struct {
		name, file, content string
		stored              int64
		rejects             []Reject // File is filled in; Reason is matched as a substring
	}{
		{"empty file", "empty.ndjson", "", 0, nil},
		{"only blank lines", "blank.ndjson", "\n\n  \n", 0, nil},
		{"binary file", "data.ndjson", "\x00\x01\x02PK\x03\x04garbage\x00", 0, []Reject{{Line: 1, Reason: "binary data"}}},
		{"not utf-8", "latin1.csv", "id,handle,created_at,country,verified\na1,J\xfcrgen,,DE,\n", 0, []Reject{{Line: 2, Field: "handle", Reason: "not UTF-8"}}},
		{"binary without nul", "random.csv", strings.Repeat("\xff\xfe\x80", 100), 0, []Reject{{Line: 1, Reason: "binary data (not UTF-8)"}}},
		{"truncated last line", "trunc.ndjson", good + `{"kind":"login","account":"a1","ti`, 1, []Reject{{Line: 2, Reason: "truncated last line"}}},
		{"last line without newline is fine", "nonl.ndjson", good + strings.TrimSuffix(good, "\n"), 2, nil},
		{"wrong csv header", "logins.csv", "account,when,ip\na1,1,192.0.2.1\n", 0, []Reject{{Line: 1, Field: "header", Reason: "names no record kind"}}},
		{"unknown kind", "k.ndjson", good + `{"kind":"logout","account":"a1","time":1709290800}` + "\n" + good, 2, []Reject{{Line: 2, Field: "kind", Reason: "unknown kind"}}},
		{"bad time", "t.ndjson", `{"kind":"login","account":"a1","time":"yesterday","ip":"192.0.2.1"}` + "\n" + good, 1, []Reject{{Line: 1, Field: "time", Reason: "neither RFC 3339"}}},
		{"bad ip", "ip.csv", "account,time,ip,ip_asn,ip_as_org,ip_country,ip_kind,device,device_os,device_client\na1,1709290800,192.0.2.1,,,,,,,\na1,1709290800,192.0.2.256,,,,,,,\n", 1, []Reject{{Line: 3, Field: "ip", Reason: "not an IPv4"}}},
		{"bad phone", "p.ndjson", good + `{"kind":"lookup","account":"a1","time":1709290800,"target":"+999 555 0199 11"}` + "\n", 1, []Reject{{Line: 2, Field: "target", Reason: "does not parse"}}},
		{"number no plan allows is stored", "u.ndjson", good + `{"kind":"lookup","account":"a1","time":1709290800,"target":"+1 099 555 0199"}` + "\n", 2, nil},
		{"missing required field", "m.ndjson", `{"kind":"lookup","account":"a1","target":"+14155552323"}` + "\n" + good, 1, []Reject{{Line: 1, Field: "time", Reason: "missing"}}},
		{"csv row with too few fields", "l.csv", "account,time,target,target_kind,region,matched\na1,1709290800,+14155552323\n", 0, []Reject{{Line: 2, Reason: "has 3 fields"}}},
		{"csv quoted newline is two bad lines", "q.csv", "id,handle,created_at,country,verified\na1,\"two\nlines\",,US,\na2,x,,XX,\n", 0, []Reject{{Line: 2, Field: "handle", Reason: "unbalanced quote"}, {Line: 3, Field: "id", Reason: "a quote inside an unquoted field"}, {Line: 4, Field: "country", Reason: "not an ISO 3166"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := prepared(t)
			ctx := testCtx(t)
			path := writeFile(t, tt.file, tt.content)
			sum, err := Run(ctx, s, []string{path}, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Stored != tt.stored || sum.Rejected != int64(len(tt.rejects)) {
				t.Errorf("stored %d rejected %d, want %d and %d", sum.Stored, sum.Rejected, tt.stored, len(tt.rejects))
			}
			if len(tt.rejects) == 0 {
				if _, err := os.Stat(path + ".rejects.ndjson"); err == nil {
					t.Error("rejects file written without rejects")
				}
				return
			}
			got := readRejects(t, path+".rejects.ndjson")
			if len(got) != len(tt.rejects) {
				t.Fatalf("rejects %+v, want %+v", got, tt.rejects)
			}
			for i, want := range tt.rejects {
				g := got[i]
				if g.File != path || g.Line != want.Line || g.Field != want.Field || !strings.Contains(g.Reason, want.Reason) {
					t.Errorf("reject %d = %+v, want line %d field %q reason ~%q", i, g, want.Line, want.Field, want.Reason)
				}
				if strings.Contains(g.Reason, "0199") {
					t.Errorf("reject leaks the phone number: %q", g.Reason)
				}
			}
			if n := countRows(t, s, "MATCH (:Account)-[r]->() RETURN sum(r.count) AS n"); n != tt.stored {
				t.Errorf("graph holds %d events, want %d", n, tt.stored)
			}
		})
	}
}

func countRows(t *testing.T, s *store.Store, cypher string) int64 {
	t.Helper()
	recs, err := s.Query(testCtx(t), cypher, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := recs[0].Values[0].(int64)
	return n
}

func TestStrict(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, `{"kind":"login","account":"a%d","time":1709290800,"ip":"192.0.2.1"}`+"\n", i)
	}
	b.WriteString(`{"kind":"login","account":"bad","time":1709290800,"ip":"nope"}` + "\n")
	b.WriteString(`{"kind":"login","account":"late","time":1709290800,"ip":"192.0.2.1"}` + "\n")
	opts := testOptions(t) // chunks of 7 lines: lines 1-7 form chunk 0, the bad line 11 is in chunk 1
	opts.Strict = true
	path := writeFile(t, "events.ndjson", b.String())
	sum, err := Run(ctx, s, []string{path}, opts)
	if !errors.Is(err, ErrStrict) || !strings.Contains(err.Error(), `events.ndjson:11: field "ip"`) {
		t.Fatalf("err = %v, want ErrStrict naming line 11", err)
	}
	if sum.Rejected != 1 {
		t.Errorf("rejected %d", sum.Rejected)
	}
	if n := countRows(t, s, "MATCH (:Account)-[r:USED_IP]->() RETURN sum(r.count) AS n"); n != 7 {
		t.Errorf("graph holds %d logins, want the 7 of the first chunk only", n)
	}
}

func TestStdin(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	opts := testOptions(t)
	opts.Stdin = strings.NewReader(smallWorld + `{"kind":"nope"}` + "\n")
	sum, err := Run(ctx, s, []string{"-"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stored != 11 || sum.Rejected != 1 || len(sum.Rejects) != 1 || !strings.HasPrefix(sum.Rejects[0], filepath.Join(opts.StateDir, "rejects")) {
		t.Errorf("summary %+v", sum)
	}
	if r := readRejects(t, sum.Rejects[0]); len(r) != 1 || r[0].File != "stdin" || r[0].Line != 13 {
		t.Errorf("rejects %+v", r)
	}
}
