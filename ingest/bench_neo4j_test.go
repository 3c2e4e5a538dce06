package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// BenchmarkIngest loads LOCKSTEP_BENCH_INPUT (default: a synthetic file)
// into Neo4j several ways and reports records/s of each and our ratios:
//
//   - ours: ingest.Run, the whole pipeline end to end (batched UNWIND
//     Cypher through the driver's managed write transactions);
//   - loadcsv: Neo4j's own LOAD CSV (CALL IN TRANSACTIONS OF 10000 ROWS) of
//     exactly the node and edge rows our aggregation produces, read from
//     CSV files written beforehand (that writing is not timed);
//   - per-event: one MERGE transaction per raw event, on the first
//     LOCKSTEP_BENCH_PER_EVENT (default 2000) events, extrapolated;
//
// The bulk first load has its own benchmark (bulkload.BenchmarkLoad).
//
// LOCKSTEP_BENCH_BASELINES=0 skips the two baselines. With NEO4J_URI unset
// it uses the storetest server (1 GiB heap); for the recorded figures point
// NEO4J_URI at `lockstep neo4j start` (BENCHMARKS.md).
func BenchmarkIngest(b *testing.B) {
	path, _ := benchInput(b)
	ctx := context.Background()
	opts := Options{HMACKey: testKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: b.TempDir()}
	if w, err := strconv.Atoi(os.Getenv("LOCKSTEP_BENCH_WRITERS")); err == nil {
		opts.Writers = w
	}
	baselines := os.Getenv("LOCKSTEP_BENCH_BASELINES") != "0"
	s := storetest.New(b)
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sinks := []*store.Store{s}
	// Warm up: Neo4j compiles query plans and JIT-compiles hot paths on
	// first use; run every loader on a prefix first so none pays that
	// inside its timing.
	warm := filepath.Join(b.TempDir(), "warm.ndjson")
	if err := copyLines(path, warm, 50000); err != nil {
		b.Fatal(err)
	}
	for _, w := range sinks {
		if err := s.Clear(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := Run(ctx, w, []string{warm}, Options{HMACKey: testKey, Log: opts.Log}); err != nil {
			b.Fatal(err)
		}
	}
	if baselines {
		if _, _, err := loadCSVRun(ctx, s, warm); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		var ours []benchResult
		for i, w := range sinks {
			if err := s.Clear(ctx); err != nil {
				b.Fatal(err)
			}
			var before syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &before)
			jvm0 := jvmCPU()
			load0 := loadAvg()
			start := time.Now()
			sum, err := Run(ctx, w, []string{path}, opts)
			if err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			jvm := jvmCPU() - jvm0
			var after syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &after)
			goCPU := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			r := benchResult{via: "ours", rate: float64(sum.Records) / took.Seconds(), neo4j: jvm, records: sum.Records}
			ours = append(ours, r)
			b.Logf("ours (%s): %s", r.via, sum)
			b.Logf("ours (%s): load average %s before, %s after; Go CPU %s, max RSS so far %d MiB; Neo4j CPU %.1f s (%.1f µs/record), busy %.0f%% of one core",
				r.via, load0, loadAvg(), goCPU.Round(time.Millisecond), after.Maxrss>>10, jvm, jvm*1e6/float64(sum.Records), 100*jvm/took.Seconds())
			b.ReportMetric(r.rate, r.via+"-records/s")
			if jvm > 0 {
				b.ReportMetric(jvm*1e6/float64(sum.Records), r.via+"-neo4j-µs/record")
			}
			if i == 0 {
				b.ReportMetric(float64(after.Maxrss>>10), "MiB-maxrss")
			}
		}
		if !baselines || len(ours) == 0 {
			continue
		}

		// LOAD CSV of the same rows.
		loadCSV, jvmLoad, err := loadCSVRun(ctx, s, path)
		if err != nil {
			b.Fatal(err)
		}
		loadRate := float64(ours[0].records) / loadCSV.Seconds()

		// One transaction per event.
		if err := s.Clear(ctx); err != nil {
			b.Fatal(err)
		}
		n := 2000
		if v, err := strconv.Atoi(os.Getenv("LOCKSTEP_BENCH_PER_EVENT")); err == nil && v > 0 {
			n = v
		}
		jvm0 := jvmCPU()
		perEvent, done := perEventLoad(b, s, path, n)
		jvmPer := jvmCPU() - jvm0
		perRate := float64(done) / perEvent.Seconds()
		b.Logf("per-event: %d events in %s; load average %s", done, perEvent.Round(time.Millisecond), loadAvg())

		b.ReportMetric(loadRate, "loadcsv-records/s")
		b.ReportMetric(perRate, "per-event-records/s")
		for _, r := range ours {
			b.ReportMetric(r.rate/loadRate, r.via+"-x-loadcsv")
			b.ReportMetric(r.rate/perRate, r.via+"-x-per-event")
		}
		if jvmLoad > 0 {
			// Neo4j CPU per record: what the rates would be on an idle
			// machine does not show in wall time on a shared one.
			b.Logf("Neo4j CPU: loadcsv %.1fs (%.1f µs/record), per-event %.1fs (%.0f µs/record)",
				jvmLoad, jvmLoad*1e6/float64(ours[0].records), jvmPer, jvmPer*1e6/float64(done))
			b.ReportMetric(jvmLoad*1e6/float64(ours[0].records), "loadcsv-neo4j-µs/record")
			b.ReportMetric(jvmPer*1e6/float64(done), "per-event-neo4j-µs/record")
		}
	}
}

// benchResult is one run of ours.
type benchResult struct {
	via         string
	rate, neo4j float64
	records     int64
}

// loadAvg is the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// loadCSVRun writes the rows our aggregation makes of path as CSV files
// (not timed), empties the graph and times LOAD CSV of them.
func loadCSVRun(ctx context.Context, s *store.Store, path string) (time.Duration, float64, error) {
	dir, err := os.MkdirTemp("", "lockstep-bench-csv-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	cs := newCSVSink(dir)
	if _, err := Run(ctx, cs, []string{path}, Options{HMACKey: testKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		return 0, 0, err
	}
	if err := cs.close(); err != nil {
		return 0, 0, err
	}
	if err := s.Clear(ctx); err != nil {
		return 0, 0, err
	}
	jvm0 := jvmCPU()
	start := time.Now()
	for _, st := range loadCSVStatements {
		if err := s.RunAutoCommit(ctx, st.cypher, map[string]any{"url": "file://" + filepath.Join(dir, st.file)}); err != nil {
			return 0, 0, fmt.Errorf("LOAD CSV %s: %w", st.file, err)
		}
	}
	d := time.Since(start)
	slog.Info("loadcsv", "rows", cs.rows, "took", d.Round(time.Millisecond))
	return d, jvmCPU() - jvm0, nil
}

// jvmCPU is the CPU time (user + system, seconds) of the Neo4j process
// LOCKSTEP_BENCH_NEO4J_PID, or 0 when unset.
func jvmCPU() float64 {
	return procCPU(os.Getenv("LOCKSTEP_BENCH_NEO4J_PID"))
}

// procCPU is the CPU time (user + system, seconds) of process pid, or 0.
func procCPU(pid string) float64 {
	if pid == "" {
		return 0
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	// After the command name: state is field 0, utime 11, stime 12 (clock ticks).
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

func copyLines(from, to string, n int) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	for i := 0; i < n; i++ {
		line, err := r.ReadBytes('\n')
		w.Write(line)
		if err != nil {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// csvSink captures the rows a load would write, as CSV files for LOAD CSV.
type csvSink struct {
	mu    sync.Mutex
	dir   string
	files map[string]*csvOut
	rows  int64
}

type csvOut struct {
	f *os.File
	b *bufio.Writer
	w *csv.Writer
}

func newCSVSink(dir string) *csvSink { return &csvSink{dir: dir, files: map[string]*csvOut{}} }

func (c *csvSink) write(name string, header []string, rows [][]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.files[name]
	if o == nil {
		f, err := os.Create(filepath.Join(c.dir, name))
		if err != nil {
			return err
		}
		o = &csvOut{f: f, b: bufio.NewWriterSize(f, 1<<20)}
		o.w = csv.NewWriter(o.b)
		o.w.Write(header)
		c.files[name] = o
	}
	c.rows += int64(len(rows))
	return o.w.WriteAll(rows)
}

func (c *csvSink) close() error {
	// Every file LOAD CSV reads must exist, with its header at least.
	for _, st := range loadCSVStatements {
		if c.files[st.file] == nil {
			if err := c.write(st.file, st.header, nil); err != nil {
				return err
			}
		}
	}
	for _, o := range c.files {
		o.w.Flush()
		if err := o.b.Flush(); err != nil {
			return err
		}
		if err := o.f.Close(); err != nil {
			return err
		}
	}
	return nil
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *csvSink) MergeAccounts(_ context.Context, rows []store.AccountRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		v := ""
		if r.Verified != nil {
			v = strconv.FormatBool(*r.Verified)
		}
		out[i] = []string{r.ID, r.Handle, ts(r.CreatedAt), r.Country, v}
	}
	return c.write("accounts.csv", loadCSVStatements[0].header, out)
}

func (c *csvSink) MergeIPs(_ context.Context, rows []store.IPRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		asn := ""
		if r.ASN != 0 {
			asn = strconv.FormatUint(uint64(r.ASN), 10)
		}
		out[i] = []string{r.Addr, asn, r.ASOrg, r.Country, r.Kind}
	}
	return c.write("ips.csv", loadCSVStatements[1].header, out)
}

func (c *csvSink) MergeDevices(_ context.Context, rows []store.DeviceRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r.ID, r.OS, r.Client}
	}
	return c.write("devices.csv", loadCSVStatements[2].header, out)
}

func (c *csvSink) MergeTargets(context.Context, []store.TargetRow) error { return nil }

func (c *csvSink) MergeMatched(_ context.Context, rows []store.MatchRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r.Target, r.Account}
	}
	return c.write("matched.csv", loadCSVStatements[6].header, out)
}

func (c *csvSink) WriteEdges(_ context.Context, _, rel string, rows []store.EdgeRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		row := []string{r.From, r.To, ts(r.First), ts(r.Last), strconv.FormatInt(r.Count, 10), strconv.FormatInt(r.Hits, 10)}
		if t := r.Target; t != nil {
			row = append(row, t.Masked, t.Kind, t.Region, t.Block, strconv.Itoa(t.Offset))
		}
		out[i] = row
	}
	switch rel {
	case store.RelLookedUp:
		return c.write("looked_up.csv", loadCSVStatements[3].header, out)
	case store.RelUsedIP:
		return c.write("used_ip.csv", loadCSVStatements[4].header, out)
	}
	return c.write("used_device.csv", loadCSVStatements[5].header, out)
}

func (c *csvSink) IngestBatches(context.Context, string) (map[string]bool, error) {
	return nil, nil
}
func (c *csvSink) MarkIngestBatch(context.Context, string, map[string]any) error { return nil }

// loadCSVStatements mirror store/ingest.go's statements (same MERGE rule),
// without the batch markers, which LOAD CSV has no place for.
var loadCSVStatements = []struct {
	file   string
	header []string
	cypher string
}{
	{"accounts.csv", []string{"id", "handle", "createdAt", "country", "verified"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MERGE (a:Account {id: row.id}) ON CREATE SET a.status = 'active'
  SET a.handle = coalesce(row.handle, a.handle), a.createdAt = coalesce(datetime(row.createdAt), a.createdAt),
      a.country = coalesce(row.country, a.country), a.verified = coalesce(toBoolean(row.verified), a.verified)
} IN TRANSACTIONS OF 10000 ROWS`},
	{"ips.csv", []string{"addr", "asn", "asnOrg", "country", "kind"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MERGE (i:IP {addr: row.addr})
  SET i.asn = coalesce(toInteger(row.asn), i.asn), i.asnOrg = coalesce(row.asnOrg, i.asnOrg),
      i.country = coalesce(row.country, i.country), i.kind = coalesce(row.kind, i.kind, 'unknown')
} IN TRANSACTIONS OF 10000 ROWS`},
	{"devices.csv", []string{"id", "os", "client"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MERGE (d:Device {id: row.id}) SET d.os = coalesce(row.os, d.os), d.client = coalesce(row.client, d.client)
} IN TRANSACTIONS OF 10000 ROWS`},
	{"looked_up.csv", []string{"from", "to", "first", "last", "count", "hits", "masked", "kind", "region", "block", "offset"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MATCH (a:Account {id: row.from})
  MERGE (b:Target {key: row.to})
    ON CREATE SET b.masked = row.masked, b.kind = row.kind, b.region = row.region, b.block = row.block, b.offset = toInteger(row.offset)
  WITH a, b, row, datetime(row.first) AS first, datetime(row.last) AS last, toInteger(row.count) AS count, toInteger(row.hits) AS hits
  MERGE (a)-[r:LOOKED_UP]->(b)
    ON CREATE SET r.first = first, r.last = last, r.count = count, r.hits = hits
    ON MATCH SET r.first = CASE WHEN first < r.first THEN first ELSE r.first END,
                 r.last = CASE WHEN last > r.last THEN last ELSE r.last END,
                 r.count = r.count + count, r.hits = r.hits + hits
} IN TRANSACTIONS OF 10000 ROWS`},
	{"used_ip.csv", []string{"from", "to", "first", "last", "count", "hits"}, edgeLoadCSV("IP", "addr", "USED_IP")},
	{"used_device.csv", []string{"from", "to", "first", "last", "count", "hits"}, edgeLoadCSV("Device", "id", "USED_DEVICE")},
	{"matched.csv", []string{"target", "account"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MATCH (t:Target {key: row.target}) MATCH (a:Account {id: row.account}) MERGE (t)-[:MATCHED]->(a)
} IN TRANSACTIONS OF 10000 ROWS`},
}

func edgeLoadCSV(label, key, rel string) string {
	return `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MATCH (a:Account {id: row.from}) MATCH (b:` + label + ` {` + key + `: row.to})
  WITH a, b, datetime(row.first) AS first, datetime(row.last) AS last, toInteger(row.count) AS count
  MERGE (a)-[r:` + rel + `]->(b)
    ON CREATE SET r.first = first, r.last = last, r.count = count
    ON MATCH SET r.first = CASE WHEN first < r.first THEN first ELSE r.first END,
                 r.last = CASE WHEN last > r.last THEN last ELSE r.last END,
                 r.count = r.count + count
} IN TRANSACTIONS OF 10000 ROWS`
}

// perEventLoad writes the first n login and lookup events of path, each in
// its own transaction (MERGE the nodes, MERGE the edge, add one to its
// count), the way a naive loader would.
func perEventLoad(b *testing.B, s *store.Store, path string, n int) (time.Duration, int) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	p := newParser()
	var evs []event
	for sc.Scan() && len(evs) < n {
		ev, fe := p.parseNDJSON(string(sc.Bytes()))
		if fe == nil && ev.kind != kindAccount {
			evs = append(evs, ev)
		}
	}
	ctx := context.Background()
	start := time.Now()
	for _, ev := range evs {
		var err error
		t := ev.at.In(time.FixedZone("Offset", 0))
		switch ev.kind {
		case kindLogin:
			err = s.Write(ctx, `
MERGE (a:Account {id: $account}) ON CREATE SET a.status = 'active'
MERGE (i:IP {addr: $ip}) SET i.asn = $asn, i.asnOrg = $asOrg, i.country = $country, i.kind = coalesce($kind, i.kind, 'unknown')
MERGE (a)-[r:USED_IP]->(i)
  ON CREATE SET r.first = $t, r.last = $t, r.count = 1
  ON MATCH SET r.first = CASE WHEN $t < r.first THEN $t ELSE r.first END, r.last = CASE WHEN $t > r.last THEN $t ELSE r.last END, r.count = r.count + 1
WITH a
MERGE (d:Device {id: $device}) SET d.os = $os, d.client = $client
MERGE (a)-[u:USED_DEVICE]->(d)
  ON CREATE SET u.first = $t, u.last = $t, u.count = 1
  ON MATCH SET u.first = CASE WHEN $t < u.first THEN $t ELSE u.first END, u.last = CASE WHEN $t > u.last THEN $t ELSE u.last END, u.count = u.count + 1`,
				map[string]any{"account": ev.account, "ip": ev.ip.String(), "asn": int64(ev.asn), "asOrg": ev.asOrg, "country": ev.ipCountry,
					"kind": ev.ipKind, "device": ev.device, "os": ev.deviceOS, "client": ev.deviceClnt, "t": t})
		case kindLookup:
			err = s.Write(ctx, `
MERGE (a:Account {id: $account}) ON CREATE SET a.status = 'active'
MERGE (b:Target {key: $key}) ON CREATE SET b.masked = $masked, b.kind = $kind, b.region = $region, b.block = $block, b.offset = $offset
MERGE (a)-[r:LOOKED_UP]->(b)
  ON CREATE SET r.first = $t, r.last = $t, r.count = 1, r.hits = $hit
  ON MATCH SET r.first = CASE WHEN $t < r.first THEN $t ELSE r.first END, r.last = CASE WHEN $t > r.last THEN $t ELSE r.last END,
               r.count = r.count + 1, r.hits = r.hits + $hit`,
				map[string]any{"account": ev.account, "key": ev.target.Key, "masked": ev.target.Masked, "kind": ev.target.Kind,
					"region": ev.target.Region, "block": ev.target.Block, "offset": int64(ev.target.Offset), "t": t, "hit": map[bool]int64{true: 1}[ev.matched]})
		}
		if err != nil {
			b.Fatal(fmt.Errorf("per-event write: %w", err))
		}
	}
	return time.Since(start), len(evs)
}
