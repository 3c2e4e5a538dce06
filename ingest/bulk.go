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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store"
)

// Bulk loads inputs into the EMPTY database of the managed Neo4j of a home
// with Neo4j's offline batch importer (docs/INGEST.md, "Bulk first load"):
//
//  1. The database must hold no node (ErrNotEmpty otherwise, and nothing
//     is changed), unless an earlier Bulk of this home was interrupted while
//     installing its store (the state file says so): that half-made
//     database is replaced.
//  2. The server is stopped, and the inputs go through the same pipeline as
//     Run (readers, parsers, rejects, strict, aggregation per chunk, node
//     cache, batch markers), whose sink spills rows to K partition files by a
//     hash of their node key or account end.
//  3. Each partition is merged in memory (node properties: last non-empty
//     value in input order; edges: min first, max last, summed count and
//     hits) into the importer's input files, two partitions at a time.
//  4. The importer writes a new store; it replaces the (empty) database; the
//     server starts and the schema (constraints, indexes) is built.
//
// The graph equals what Run would have written into an empty database,
// batch markers included, so a later Run of the same inputs changes nothing
// and incremental loads continue on top. Memory is bounded by a chunk (as
// Run) and by one partition per merge worker, not by the input.
func Bulk(ctx context.Context, inputs []string, opts Options, bo BulkOptions) (sum Summary, st BulkStats, err error) {
	start := time.Now()
	defer func() { sum.Elapsed = time.Since(start) }()
	if bo.Home == "" {
		return sum, st, errors.New("bulk: no LOCKSTEP_HOME")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	log := opts.Log
	home, err := filepath.Abs(bo.Home)
	if err != nil {
		return sum, st, err
	}
	if bo.Server.Logger == nil {
		bo.Server.Logger = log
	}
	if bo.Import.Logger == nil {
		bo.Import.Logger = log
	}
	statePath := BulkStatePath(home)
	prev := readBulkState(statePath)

	// 1. Only into an empty database (or one this code left half-made).
	t0 := time.Now()
	if prev == bulkInstalling {
		log.Warn("bulk: an earlier bulk load of this home was interrupted while installing its store; replacing that database", "state", statePath)
	} else if managed.HasDatabase(home) {
		n, err := bo.countNodes(ctx, home)
		if err != nil {
			return sum, st, err
		}
		if n > 0 {
			return sum, st, fmt.Errorf("%w: it holds %d nodes; the bulk path only fills an empty database (use plain `lockstep ingest` to add to it, or empty it first: lockstep neo4j stop && rm -rf %s)",
				ErrNotEmpty, n, filepath.Join(home, "neo4j", "dbms"))
		}
	}
	st.Check = time.Since(t0)
	if prev != bulkInstalling {
		if err := writeBulkState(statePath, bulkParsing); err != nil {
			return sum, st, err
		}
	}
	installing := prev == bulkInstalling
	defer func() {
		// Failed before the new store went in: the database is as it was
		// (empty), so the state file has nothing to protect.
		if err != nil && !installing && !errors.Is(err, ErrStrict) {
			_ = os.Remove(statePath)
		}
	}()
	if err := managed.Stop(ctx, home); err != nil {
		return sum, st, err
	}

	tmp := filepath.Join(home, "ingest", "bulk-tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return sum, st, fmt.Errorf("bulk: %w", err)
	}
	spillDir, inputDir := filepath.Join(tmp, "spill"), filepath.Join(tmp, "input")
	for _, d := range []string{spillDir, inputDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return sum, st, fmt.Errorf("bulk: %w", err)
		}
	}
	if !bo.KeepFiles {
		defer os.RemoveAll(tmp)
	}

	// 2. Parse and aggregate per chunk, spilling to partitions.
	t0 = time.Now()
	st.Partitions = bo.Partitions
	if st.Partitions <= 0 {
		st.Partitions = partitionsFor(inputs)
	}
	sink, err := newBulkSink(spillDir, st.Partitions)
	if err != nil {
		return sum, st, err
	}
	opts.noCheckpoints = true // nothing is committed until the import is installed
	sum, runErr := Run(ctx, sink, inputs, opts)
	if err := sink.close(); err != nil {
		return sum, st, err
	}
	for _, p := range sink.parts {
		st.SpillBytes += p.n
	}
	st.Parse = time.Since(t0)
	if runErr != nil && !errors.Is(runErr, ErrStrict) {
		return sum, st, runErr
	}
	log.Info("bulk: input parsed and spilled", "records", sum.Records, "partitions", st.Partitions, "spill_MiB", st.SpillBytes>>20, "took", st.Parse.Round(time.Millisecond))

	// 3. Merge the partitions into the importer's input files.
	t0 = time.Now()
	in, rows, err := mergeAll(ctx, sink, inputDir, bo.Workers, &st)
	if err != nil {
		return sum, st, err
	}
	st.Merge = time.Since(t0)
	log.Info("bulk: partitions merged", "rows", rows, "input_MiB", st.InputBytes>>20, "took", st.Merge.Round(time.Millisecond))
	if bo.hook != nil {
		if err := bo.hook("merged"); err != nil {
			return sum, st, err
		}
	}

	// 4. Import, install, start, schema.
	if rows > 0 {
		t0 = time.Now()
		imp := bo.Import
		imp.Nodes, imp.Relationships, imp.Estimate = in.nodes, in.rels, in.estimate
		imp.BeforeInstall = func() error {
			installing = true
			return writeBulkState(statePath, bulkInstalling)
		}
		var kids0, kids1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids0)
		if err := managed.Import(ctx, home, imp); err != nil {
			return sum, st, err
		}
		st.Import = time.Since(t0)
		_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids1)
		st.ImporterCPU = time.Duration(kids1.Utime.Nano() + kids1.Stime.Nano() - kids0.Utime.Nano() - kids0.Stime.Nano())
		if bo.hook != nil {
			if err := bo.hook("installed"); err != nil {
				return sum, st, err
			}
		}
	}
	t0 = time.Now()
	srv, err := managed.Start(ctx, home, bo.Server)
	if err != nil {
		return sum, st, fmt.Errorf("bulk: start Neo4j on the imported store: %w", err)
	}
	s, err := store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		return sum, st, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	st.Start = time.Since(t0)
	t0 = time.Now()
	// BuildSchema populates the indexes of the filled store together;
	// PrepareIngest then only adds what plain ingest needs besides.
	if err := s.BuildSchema(ctx); err != nil {
		return sum, st, fmt.Errorf("bulk: build the schema on the imported store: %w", err)
	}
	if err := s.PrepareIngest(ctx); err != nil {
		return sum, st, fmt.Errorf("bulk: build the schema on the imported store: %w", err)
	}
	st.Schema = time.Since(t0)
	if err := os.Remove(statePath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return sum, st, fmt.Errorf("bulk: %w", err)
	}
	installing = false
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		st.GoCPU = time.Duration(self.Utime.Nano() + self.Stime.Nano())
		st.GoMaxRSS = self.Maxrss << 10
	}
	log.Info("bulk: done", "import", st.Import.Round(time.Millisecond), "start", st.Start.Round(time.Millisecond), "schema", st.Schema.Round(time.Millisecond))
	return sum, st, runErr
}

// BulkOptions configure Bulk (besides the Options it shares with Run).
type BulkOptions struct {
	Home   string                // LOCKSTEP_HOME of the managed Neo4j
	Server managed.Options       // for starting the managed server
	Import managed.ImportOptions // importer JVM settings (its groups are Bulk's)
	// Partitions is K, the number of spill partitions (0: one per 64 MiB
	// of input, at least 4, at most 1024; stdin counts as 4 GiB).
	Partitions int
	// Workers merge partitions in parallel (0: GOMAXPROCS); each holds
	// one partition in memory.
	Workers int
	// KeepFiles leaves the spill and importer input files in LOCKSTEP_HOME/ingest/bulk-tmp.
	KeepFiles bool

	hook func(stage string) error // tests: fail at a stage
}

// BulkStats is where a bulk load's time and bytes went.
type BulkStats struct {
	Partitions             int
	SpillBytes, InputBytes int64
	NodeRows, RelRows      int64 // rows handed to the importer (markers are nodes)
	// Check: is the database empty; Parse: read, parse, aggregate, spill;
	// Merge: partitions into the importer's files; Import: Neo4j's importer and the
	// install; Start: the server on the new store; Schema: constraints
	// and indexes built.
	Check, Parse, Merge, Import, Start, Schema time.Duration
	// MergeNodes is the merge's first pass (nodes numbered, edges routed
	// to their far end's partition); JoinBytes the join files it wrote.
	MergeNodes time.Duration
	JoinBytes  int64
	// ImporterCPU is the importer JVM's CPU time; GoCPU and GoMaxRSS are
	// this process's (the whole process: in a benchmark binary, more than
	// the bulk load).
	ImporterCPU, GoCPU time.Duration
	GoMaxRSS           int64 // bytes
}

func (s BulkStats) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	return fmt.Sprintf("bulk: %d partitions, spill %d MiB, join %d MiB, importer input %d MiB (%d node rows, %d relationship rows); check %s, parse+aggregate+spill %s, merge %s (nodes %s), import %s, start %s, schema %s; importer CPU %s, Go CPU %s, Go max RSS %d MiB",
		s.Partitions, s.SpillBytes>>20, s.JoinBytes>>20, s.InputBytes>>20, s.NodeRows, s.RelRows, r(s.Check), r(s.Parse), r(s.Merge), r(s.MergeNodes), r(s.Import), r(s.Start), r(s.Schema),
		r(s.ImporterCPU), r(s.GoCPU), s.GoMaxRSS>>20)
}

// ErrNotEmpty is returned by Bulk when the database already holds data.
var ErrNotEmpty = errors.New("bulk: the managed database is not empty")

// The state file says how far a bulk load of a home got.
const (
	bulkParsing    = "parsing"    // the live database is untouched (and was empty)
	bulkInstalling = "installing" // the imported store may be (partly) in place
)

// BulkStatePath is the state file of a bulk load in home: it exists while
// a bulk load runs, and after one that was interrupted.
func BulkStatePath(home string) string { return filepath.Join(home, "ingest", "bulk.state") }

// BulkInterrupted reports whether a bulk load of home was interrupted after
// it began to replace the database: the database may be half-made, and
// only a new bulk load (which replaces it) should touch it.
func BulkInterrupted(home string) bool {
	return readBulkState(BulkStatePath(home)) == bulkInstalling
}

func readBulkState(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func writeBulkState(path, state string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(state+"\n"), 0o600); err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	return nil
}

// countNodes starts (or reuses) the managed server and counts the nodes of
// its database. A server this call started is stopped again, so a refusal
// leaves things as they were.
func (bo *BulkOptions) countNodes(ctx context.Context, home string) (n int64, err error) {
	_, statusErr := managed.Status(home)
	srv, err := managed.Start(ctx, home, bo.Server)
	if err != nil {
		return 0, fmt.Errorf("bulk: start Neo4j to check that its database is empty: %w", err)
	}
	s, err := store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		return 0, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	recs, err := s.Query(ctx, "MATCH (n) RETURN count(n) AS n", nil)
	if err != nil {
		return 0, fmt.Errorf("bulk: count nodes: %w", err)
	}
	n, err = store.Get[int64](recs[0], "n")
	if err == nil && n > 0 && statusErr != nil {
		_ = managed.Stop(ctx, home) // it was not running before
	}
	return n, err
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

// importInput is what mergeAll hands the importer: its groups (data files
// by label and relationship type) and the estimates it plans memory by.
type importInput struct {
	nodes, rels []managed.ImportGroup
	estimate    managed.ImportEstimate
}

// mergeAll merges every partition into per-worker importer files in two
// passes (bulk_input.go: nodes numbered and edges routed to their far end's
// partition, then relationships written with both ids), adds the markers,
// and names the importer's groups.
func mergeAll(ctx context.Context, sink *bulkSink, dir string, workers int, st *BulkStats) (importInput, int64, error) {
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
			return importInput{}, 0, err
		}
		sets[w] = s
	}
	for _, p := range sink.parts {
		j := &spillPart{path: p.path + ".join"}
		f, err := os.OpenFile(j.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return importInput{}, 0, fmt.Errorf("bulk: %w", err)
		}
		j.f, j.w = f, bufio.NewWriterSize(f, 64<<10)
		m.joins = append(m.joins, j)
	}
	t0 := time.Now()
	if err := eachPart(ctx, len(sink.parts), workers, func(w, i int) error { return m.nodes(sink.parts[i], sets[w]) }); err != nil {
		return importInput{}, 0, err
	}
	for _, j := range m.joins {
		if err := j.w.Flush(); err != nil {
			return importInput{}, 0, fmt.Errorf("bulk: join file %s: %w", j.path, err)
		}
		if err := j.f.Close(); err != nil {
			return importInput{}, 0, fmt.Errorf("bulk: join file %s: %w", j.path, err)
		}
		j.f = nil
		st.JoinBytes += j.n
	}
	if err := writeMarkers(sets[0], &m.ids, sink.chunks, sink.subs, time.Now()); err != nil {
		return importInput{}, 0, err
	}
	st.MergeNodes = time.Since(t0)
	if err := eachPart(ctx, len(sink.parts), workers, func(w, i int) error { return m.rels(i, sets[w]) }); err != nil {
		return importInput{}, 0, err
	}
	for _, s := range sets {
		if err := s.close(); err != nil {
			return importInput{}, 0, err
		}
	}
	var in importInput
	var total int64
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
		total += n
		grp := managed.ImportGroup{Name: c.name, Keys: c.keys, Files: files}
		e := &in.estimate
		if c.rel {
			in.rels = append(in.rels, grp)
			st.RelRows += n
			e.Relationships += n
			e.RelationshipProperties += n * int64(len(c.keys))
			e.RelationshipPropertyBytes += bytes
		} else {
			in.nodes = append(in.nodes, grp)
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
	return in, total, nil
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
