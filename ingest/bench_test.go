package ingest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

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
	p := filepath.Join(b.TempDir(), "events.ndjson")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	n, err := synth(f, 20000, 10, 1)
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	return p, int64(n)
}

// BenchmarkParseAggregate measures the Go side of a load with a sink that
// discards the rows.
func BenchmarkParseAggregate(b *testing.B) {
	path, _ := benchInput(b)
	var records int64
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
