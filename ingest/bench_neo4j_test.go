package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// loadCSVRun times the LOAD CSV baseline of path (LoadCSVBaseline) and
// the Neo4j CPU it took.
func loadCSVRun(ctx context.Context, s *store.Store, path string) (time.Duration, float64, error) {
	jvm0 := jvmCPU()
	d, _, err := LoadCSVBaseline(ctx, s, []string{path}, Options{HMACKey: testKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return d, jvmCPU() - jvm0, err
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
