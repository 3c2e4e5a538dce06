package bulkload

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
)

// BenchmarkLoad runs Load (`lockstep ingest --bulk`) of
// LOCKSTEP_BENCH_INPUT (default: a generated world of 20,000 accounts) into
// a fresh managed home of its own (under LOCKSTEP_BENCH_BULK_DIR, default
// the temp dir), end to end: parse, spill, merge, Neo4j's importer, server
// start and schema build, and logs where the time went. The runtime
// directory (Maven's classpath, the compiled launcher) is shared, so the
// timing is of a home whose first load this is, not of a machine's first
// Neo4j.
//
//	LOCKSTEP_BENCH_INPUT=W/events.ndjson go test ./bulkload/ -run XXX -bench BenchmarkLoad -benchtime 1x -v
func BenchmarkLoad(b *testing.B) {
	path := os.Getenv("LOCKSTEP_BENCH_INPUT")
	if path == "" {
		path = ingesttest.World(b, generate.Config{Accounts: 20000, Seed: 1})
	}
	opts := ingestOptions(b)
	ctx := context.Background()
	for b.Loop() {
		home, err := os.MkdirTemp(os.Getenv("LOCKSTEP_BENCH_BULK_DIR"), "lockstep-bench-bulk-")
		if err != nil {
			b.Fatal(err)
		}
		load0 := loadAvg()
		start := time.Now()
		sum, st, err := Load(ctx, []string{path}, opts, bulkOptions(home))
		took := time.Since(start)
		_ = managed.Stop(ctx, home)
		os.RemoveAll(home)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s", sum)
		b.Logf("%s", st)
		b.Logf("load average %s before, %s after", load0, loadAvg())
		b.ReportMetric(float64(sum.Records)/took.Seconds(), "bulk-records/s")
	}
}

// loadAvg is the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
