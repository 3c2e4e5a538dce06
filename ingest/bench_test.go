package ingest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store"
)

// nullSink accepts everything: it measures the Go side alone (read,
// validate, normalise, aggregate, build rows).
type nullSink struct{}

func (nullSink) MergeAccounts(context.Context, []store.AccountRow) error           { return nil }
func (nullSink) MergeIPs(context.Context, []store.IPRow) error                     { return nil }
func (nullSink) MergeDevices(context.Context, []store.DeviceRow) error             { return nil }
func (nullSink) MergeTargets(context.Context, []store.TargetRow) error             { return nil }
func (nullSink) MergeMatched(context.Context, []store.MatchRow) error              { return nil }
func (nullSink) WriteEdges(context.Context, string, string, []store.EdgeRow) error { return nil }
func (nullSink) IngestBatches(context.Context, string) (map[string]bool, error) {
	return nil, nil
}
func (nullSink) MarkIngestBatch(context.Context, string, map[string]any) error { return nil }

// benchInput is LOCKSTEP_BENCH_INPUT (a generated world's events.ndjson) or
// a synthetic file of about 200,000 records.
func benchInput(b *testing.B) (string, int64) {
	if p := os.Getenv("LOCKSTEP_BENCH_INPUT"); p != "" {
		return p, 0
	}
	p, n := ingesttest.SynthFile(b, 20000, 10, 1)
	return p, int64(n)
}

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParseAggregate measures the Go side of a load with a sink that
// discards the rows. Besides records/s (wall), it reports the CPU cost:
// records per CPU-second and µs of CPU per record, all goroutines
// together (GC included), the figure that competes with Neo4j for the
// cores in a real load and that does not depend on how busy the machine
// is.
func BenchmarkParseAggregate(b *testing.B) {
	path, _ := benchInput(b)
	var records int64
	cpu0 := cpuTime(b)
	defer func() {
		cpu := cpuTime(b) - cpu0
		total := float64(records) * float64(b.N)
		b.ReportMetric(total/cpu.Seconds(), "records/CPU-s")
		b.ReportMetric(cpu.Seconds()*1e6/total, "µs-CPU/record")
	}()
	for b.Loop() {
		sum, err := Run(context.Background(), nullSink{}, []string{path}, Options{
			HMACKey: testKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			b.Fatal(err)
		}
		records = sum.Records
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
