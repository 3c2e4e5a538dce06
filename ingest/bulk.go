package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
)

// PrepareImport turns inputs into the input files of Neo4j's offline
// importer (deploy/neo4j, Import), for the bulk first load (package
// bulkload, docs/INGEST.md "Bulk first load"). It touches no server: it
// runs in two named stages,
//
//  1. spill: the inputs go through the same pipeline as Run (readers,
//     parsers, rejects, strict, aggregation per chunk, node cache, batch
//     markers), whose sink spills rows to K partition files by a hash of
//     their node key or account end;
//  2. merge: each partition is merged in memory (node properties: last
//     non-empty value in input order; edges: min first, max last, summed
//     count and hits) into the importer's input files, workers at a time.
//
// The rows equal what Run would have written into an empty database, batch
// markers included. Memory is bounded by a chunk (as Run) and by one
// partition per merge worker, not by the input. An ErrStrict error comes
// back with a complete ImportInput of the chunks before the bad record, as
// Run would have committed them.
func PrepareImport(ctx context.Context, inputs []string, opts Options, o ImportOptions) (sum Summary, in ImportInput, st ImportStats, err error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if o.Dir == "" {
		return sum, in, st, errors.New("bulk: no working directory")
	}
	spillDir, inputDir := filepath.Join(o.Dir, "spill"), filepath.Join(o.Dir, "input")
	for _, d := range []string{spillDir, inputDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return sum, in, st, fmt.Errorf("bulk: %w", err)
		}
	}
	st.Partitions = o.Partitions
	if st.Partitions <= 0 {
		st.Partitions = partitionsFor(inputs)
	}
	t0 := time.Now()
	sum, sink, runErr := spillInputs(ctx, inputs, opts, spillDir, &st)
	st.Parse = time.Since(t0)
	if runErr != nil && !errors.Is(runErr, ErrStrict) {
		return sum, in, st, runErr
	}
	opts.Log.Info("bulk: input parsed and spilled", "records", sum.Records, "partitions", st.Partitions, "spill_MiB", st.SpillBytes>>20, "took", st.Parse.Round(time.Millisecond))

	t0 = time.Now()
	if in, err = mergeAll(ctx, sink, inputDir, o.Workers, &st); err != nil {
		return sum, in, st, err
	}
	st.Merge = time.Since(t0)
	opts.Log.Info("bulk: partitions merged", "rows", in.Rows, "input_MiB", st.InputBytes>>20, "took", st.Merge.Round(time.Millisecond))
	return sum, in, st, runErr
}

// spillInputs runs the pipeline with the bulk sink, which writes the rows to
// st.Partitions partition files in dir.
func spillInputs(ctx context.Context, inputs []string, opts Options, dir string, st *ImportStats) (Summary, *bulkSink, error) {
	sink, err := newBulkSink(dir, st.Partitions)
	if err != nil {
		return Summary{}, nil, err
	}
	opts.noCheckpoints = true // nothing is committed until the import is installed
	sum, runErr := Run(ctx, sink, inputs, opts)
	if err := sink.close(); err != nil {
		return sum, nil, err
	}
	for _, p := range sink.parts {
		st.SpillBytes += p.n
	}
	return sum, sink, runErr
}

// ImportOptions configure PrepareImport.
type ImportOptions struct {
	// Dir is the working directory: spill partitions go to Dir/spill, the
	// importer's input files to Dir/input. The caller removes it.
	Dir string
	// Partitions is K, the number of spill partitions (0: one per 64 MiB
	// of input, at least 4, at most 1024; stdin counts as 4 GiB).
	Partitions int
	// Workers merge partitions in parallel (0: GOMAXPROCS); each holds
	// one partition in memory.
	Workers int
}

// ImportInput is what PrepareImport hands the importer: its groups (data
// files by label and relationship type), the estimates it plans memory
// by, and the number of rows in all.
type ImportInput struct {
	Nodes, Rels []managed.ImportGroup
	Estimate    managed.ImportEstimate
	Rows        int64
}

// ImportStats is where PrepareImport's time and bytes went.
type ImportStats struct {
	Partitions             int
	SpillBytes, InputBytes int64
	NodeRows, RelRows      int64 // rows handed to the importer (markers are nodes)
	// Parse: read, parse, aggregate, spill; Merge: partitions into the
	// importer's files. MergeNodes is the merge's first pass (nodes
	// numbered, edges routed to their far end's partition); JoinBytes the
	// join files it wrote.
	Parse, Merge, MergeNodes time.Duration
	JoinBytes                int64
}

// partitionsFor picks K from the inputs' size: a partition of 64 MiB of
// input aggregates to well under 200 MB in memory.
func partitionsFor(inputs []string) int {
	var size int64
	for _, in := range inputs {
		if in == "-" {
			size += 4 << 30
			continue
		}
		if fi, err := os.Stat(in); err == nil {
			size += fi.Size()
		}
	}
	return min(max(int((size+(64<<20)-1)/(64<<20)), 4), 1024)
}

// mergeAll merges every partition into per-worker importer files in two
// passes (bulk_input.go: nodes numbered and edges routed to their far end's
// partition, then relationships written with both ids), adds the markers,
// and names the importer's groups.
func mergeAll(ctx context.Context, sink *bulkSink, dir string, workers int, st *ImportStats) (ImportInput, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(sink.parts)))
	m := &merger{sink: sink}
	sets := make([]*inputSet, workers)
	defer func() {
		for _, s := range sets {
			if s != nil {
				s.close()
			}
		}
		for _, j := range m.joins {
			if j.f != nil {
				j.f.Close()
			}
		}
	}()
	for w := range sets {
		s, err := openInputSet(dir, w)
		if err != nil {
			return ImportInput{}, err
		}
		sets[w] = s
	}
	for _, p := range sink.parts {
		j := &spillPart{path: p.path + ".join"}
		f, err := os.OpenFile(j.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return ImportInput{}, fmt.Errorf("bulk: %w", err)
		}
		j.f, j.w = f, bufio.NewWriterSize(f, 64<<10)
		m.joins = append(m.joins, j)
	}
	t0 := time.Now()
	if err := eachPart(ctx, len(sink.parts), workers, func(w, i int) error { return m.nodes(sink.parts[i], sets[w]) }); err != nil {
		return ImportInput{}, err
	}
	for _, j := range m.joins {
		if err := j.w.Flush(); err != nil {
			return ImportInput{}, fmt.Errorf("bulk: join file %s: %w", j.path, err)
		}
		if err := j.f.Close(); err != nil {
			return ImportInput{}, fmt.Errorf("bulk: join file %s: %w", j.path, err)
		}
		j.f = nil
		st.JoinBytes += j.n
	}
	if err := writeMarkers(sets[0], &m.ids, sink.chunks, sink.subs, time.Now()); err != nil {
		return ImportInput{}, err
	}
	st.MergeNodes = time.Since(t0)
	if err := eachPart(ctx, len(sink.parts), workers, func(w, i int) error { return m.rels(i, sets[w]) }); err != nil {
		return ImportInput{}, err
	}
	for _, s := range sets {
		if err := s.close(); err != nil {
			return ImportInput{}, err
		}
	}
	var in ImportInput
	for i, c := range inputFiles {
		var files []string
		var n, bytes int64
		for w, s := range sets {
			if s.rows[i] > 0 {
				files = append(files, inputData(dir, c.file, w))
				n += s.rows[i]
				bytes += s.bytes[i]
			}
		}
		if n == 0 {
			continue
		}
		in.Rows += n
		grp := managed.ImportGroup{Name: c.name, Keys: c.keys, Files: files}
		e := &in.Estimate
		if c.rel {
			in.Rels = append(in.Rels, grp)
			st.RelRows += n
			e.Relationships += n
			e.RelationshipProperties += n * int64(len(c.keys))
			e.RelationshipPropertyBytes += bytes
		} else {
			in.Nodes = append(in.Nodes, grp)
			st.NodeRows += n
			e.Nodes += n
			e.NodeProperties += n * int64(len(c.keys))
			e.NodePropertyBytes += bytes
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			st.InputBytes += fi.Size()
		}
	}
	return in, nil
}

// eachPart runs f on partitions 0..n-1, workers at a time (f gets its
// worker's number, for that worker's output files); it stops handing out
// partitions at the first error or when ctx is done.
func eachPart(ctx context.Context, n, workers int, f func(worker, part int) error) error {
	next := make(chan int)
	errs := make([]error, workers)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[w] == nil {
					if errs[w] = f(w, i); errs[w] != nil {
						failed.Store(true)
					}
				}
			}
		}()
	}
	for i := 0; i < n && !failed.Load() && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}
