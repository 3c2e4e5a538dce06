package benchrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/store"
)

// warmSeed is the seed of the small world (generate.MinAccounts) both
// loaders load first, so that neither pays Neo4j's plan compilation and
// JIT inside its timing.
const warmSeed = 1 << 20

type ingestResult struct {
	row     Row
	records int64
}

// benchIngest loads the world by LOAD CSV (the baseline) and then by our
// transactional path, which leaves it in st for detection.
func benchIngest(ctx context.Context, st *store.Store, world string, opts Options) (ingestResult, error) {
	state, err := os.MkdirTemp("", "lockstep-bench-ingest-")
	if err != nil {
		return ingestResult{}, err
	}
	defer os.RemoveAll(state)
	iopts := ingest.Options{HMACKey: opts.HMACKey, Log: opts.Log, StateDir: state}
	opts.Log.Info("bench: warming up both loaders", "accounts", generate.MinAccounts)
	if _, err := generate.ToDir(generate.DefaultConfig(generate.MinAccounts, warmSeed), filepath.Join(state, "warm")); err != nil {
		return ingestResult{}, err
	}
	warm := filepath.Join(state, "warm", "events.ndjson")
	if _, err := ingest.Run(ctx, st, []string{warm}, iopts); err != nil {
		return ingestResult{}, err
	}
	if _, _, err := ingest.LoadCSVBaseline(ctx, st, []string{warm}, iopts); err != nil {
		return ingestResult{}, err
	}

	opts.Log.Info("bench: LOAD CSV baseline")
	base, records, err := ingest.LoadCSVBaseline(ctx, st, []string{world}, iopts)
	if err != nil {
		return ingestResult{}, err
	}
	if err := st.Clear(ctx); err != nil {
		return ingestResult{}, err
	}
	opts.Log.Info("bench: ingest")
	start := time.Now()
	sum, err := ingest.Run(ctx, st, []string{world}, iopts)
	if err != nil {
		return ingestResult{}, err
	}
	took := time.Since(start)
	if sum.Rejected > 0 || sum.Records != records {
		return ingestResult{}, fmt.Errorf("the world loaded unevenly: %d records, %d rejected; LOAD CSV's pass read %d", sum.Records, sum.Rejected, records)
	}
	row := rate("ingest (transactional, batched UNWIND)", "records/s", float64(sum.Records)/took.Seconds(),
		"Neo4j LOAD CSV of the same rows", float64(records)/base.Seconds(),
		fmt.Sprintf("%d records, %d node and %d edge rows; %.1f s against %.1f s", sum.Records, sum.Nodes, sum.Edges, took.Seconds(), base.Seconds()))
	return ingestResult{row: row, records: sum.Records}, nil
}
