// Package bulkload is the bulk first load: it fills the EMPTY database of
// Lockstep's managed Neo4j with Neo4j's offline importer (docs/INGEST.md,
// "Bulk first load"). It owns what ingest must not do: stopping the managed
// server, replacing its store, starting it again and building the schema.
// The rows come from ingest.PrepareImport, the same pipeline as a
// transactional load, so the graph equals what ingest.Run would have
// written into an empty database, batch markers included; a later Run of
// the same inputs changes nothing and incremental loads continue on top.
package bulkload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/store"
)

// Options configure Load (besides the ingest.Options it shares with a
// transactional load).
type Options struct {
	Home   string                // LOCKSTEP_HOME of the managed Neo4j
	Server managed.Options       // for starting the managed server
	Import managed.ImportOptions // importer JVM settings (its groups are Load's)
	// Partitions and Workers are ingest.ImportOptions'.
	Partitions, Workers int
	// KeepFiles leaves the spill and importer input files in
	// LOCKSTEP_HOME/ingest/bulk-tmp.
	KeepFiles bool

	hook func(stage string) error // tests: fail at a stage
}

// Stats is where a bulk load's time and bytes went.
type Stats struct {
	ingest.ImportStats
	// Check: is the database empty; Import: Neo4j's importer and the
	// install; Start: the server on the new store; Schema: constraints and
	// indexes built.
	Check, Import, Start, Schema time.Duration
	// ImporterCPU is the importer JVM's CPU time; GoCPU and GoMaxRSS are
	// this process's (the whole process: in a benchmark binary, more than
	// the bulk load).
	ImporterCPU, GoCPU time.Duration
	GoMaxRSS           int64 // bytes
}

func (s Stats) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	return fmt.Sprintf("bulk: %d partitions, spill %d MiB, join %d MiB, importer input %d MiB (%d node rows, %d relationship rows); check %s, parse+aggregate+spill %s, merge %s (nodes %s), import %s, start %s, schema %s; importer CPU %s, Go CPU %s, Go max RSS %d MiB",
		s.Partitions, s.SpillBytes>>20, s.JoinBytes>>20, s.InputBytes>>20, s.NodeRows, s.RelRows, r(s.Check), r(s.Parse), r(s.Merge), r(s.MergeNodes), r(s.Import), r(s.Start), r(s.Schema),
		r(s.ImporterCPU), r(s.GoCPU), s.GoMaxRSS>>20)
}

// ErrNotEmpty is returned by Load when the database already holds data.
var ErrNotEmpty = errors.New("bulk: the managed database is not empty")

// Load loads inputs into the empty database of the managed Neo4j of
// o.Home, in named stages:
//
//  1. checkEmpty: the database must hold no node (ErrNotEmpty otherwise,
//     and nothing is changed), unless an earlier Load of this home was
//     interrupted while installing its store (the state file says so):
//     that half-made database is replaced.
//  2. the server is stopped; ingest.PrepareImport parses, aggregates,
//     spills and merges the inputs into the importer's files.
//  3. importStore: the importer writes a new store, which replaces the
//     (empty) database.
//  4. startWithSchema: the server starts and the schema (store.Schema's
//     one list of constraints and indexes) is built.
//
// All or nothing: after a failure or a kill, the same Load again gives the
// graph a clean run gives. An ingest.ErrStrict error loads the chunks
// before the bad record, as ingest.Run would have committed them.
func Load(ctx context.Context, inputs []string, opts ingest.Options, o Options) (sum ingest.Summary, st Stats, err error) {
	start := time.Now()
	defer func() { sum.Elapsed = time.Since(start) }()
	if o.Home == "" {
		return sum, st, errors.New("bulk: no LOCKSTEP_HOME")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if o.Home, err = filepath.Abs(o.Home); err != nil {
		return sum, st, err
	}
	o.Server.Logger = cmp.Or(o.Server.Logger, opts.Log)
	o.Import.Logger = cmp.Or(o.Import.Logger, opts.Log)
	l := &load{o: o, log: opts.Log, state: StatePath(o.Home)}
	l.installing = readState(l.state) == stateInstalling

	t0 := time.Now()
	if err := l.checkEmpty(ctx); err != nil {
		return sum, st, err
	}
	st.Check = time.Since(t0)
	defer func() {
		// Failed before the new store went in: the database is as it was
		// (empty), so the state file has nothing to protect.
		if err != nil && !l.installing && !errors.Is(err, ingest.ErrStrict) {
			_ = os.Remove(l.state)
		}
	}()
	if err := managed.Stop(ctx, o.Home); err != nil {
		return sum, st, err
	}

	tmp := filepath.Join(o.Home, "ingest", "bulk-tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return sum, st, fmt.Errorf("bulk: %w", err)
	}
	if !o.KeepFiles {
		defer os.RemoveAll(tmp)
	}
	sum, in, ist, runErr := ingest.PrepareImport(ctx, inputs, opts, ingest.ImportOptions{Dir: tmp, Partitions: o.Partitions, Workers: o.Workers})
	st.ImportStats = ist
	if runErr != nil && !errors.Is(runErr, ingest.ErrStrict) {
		return sum, st, runErr
	}
	if err := l.at("merged"); err != nil {
		return sum, st, err
	}
	if in.Rows > 0 {
		if err := l.importStore(ctx, in, &st); err != nil {
			return sum, st, err
		}
	}
	if err := l.startWithSchema(ctx, &st); err != nil {
		return sum, st, err
	}
	if err := os.Remove(l.state); err != nil && !errors.Is(err, os.ErrNotExist) {
		return sum, st, fmt.Errorf("bulk: %w", err)
	}
	l.installing = false
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		st.GoCPU = time.Duration(self.Utime.Nano() + self.Stime.Nano())
		st.GoMaxRSS = self.Maxrss << 10
	}
	l.log.Info("bulk: done", "import", st.Import.Round(time.Millisecond), "start", st.Start.Round(time.Millisecond), "schema", st.Schema.Round(time.Millisecond))
	return sum, st, runErr
}

// load is one Load's state between its stages.
type load struct {
	o          Options
	log        *slog.Logger
	state      string // the state file
	installing bool   // the live database may be (partly) the imported store
}

func (l *load) at(stage string) error {
	if l.o.hook != nil {
		return l.o.hook(stage)
	}
	return nil
}

// checkEmpty refuses a database that holds data, and records that a load
// began (the state file), unless it replaces a half-installed one.
func (l *load) checkEmpty(ctx context.Context) error {
	if l.installing {
		l.log.Warn("bulk: an earlier bulk load of this home was interrupted while installing its store; replacing that database", "state", l.state)
		return nil
	}
	if managed.HasDatabase(l.o.Home) {
		n, err := l.countNodes(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: it holds %d nodes; the bulk path only fills an empty database (use plain `lockstep ingest` to add to it, or empty it first: lockstep neo4j stop && rm -rf %s)",
				ErrNotEmpty, n, filepath.Join(l.o.Home, "neo4j", "dbms"))
		}
	}
	return writeState(l.state, stateParsing)
}

// countNodes starts (or reuses) the managed server and counts the nodes of
// its database. A server this call started is stopped again when the
// database is not empty, so a refusal leaves things as they were.
func (l *load) countNodes(ctx context.Context) (int64, error) {
	_, statusErr := managed.Status(l.o.Home)
	srv, err := managed.Start(ctx, l.o.Home, l.o.Server)
	if err != nil {
		return 0, fmt.Errorf("bulk: start Neo4j to check that its database is empty: %w", err)
	}
	s, err := store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		return 0, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	n, err := s.CountNodes(ctx)
	if err == nil && n > 0 && statusErr != nil {
		_ = managed.Stop(ctx, l.o.Home) // it was not running before
	}
	return n, err
}

// importStore runs Neo4j's importer on in and installs the new store,
// recording in the state file that the live database is being replaced.
func (l *load) importStore(ctx context.Context, in ingest.ImportInput, st *Stats) error {
	t0 := time.Now()
	imp := l.o.Import
	imp.Nodes, imp.Relationships, imp.Estimate = in.Nodes, in.Rels, in.Estimate
	imp.BeforeInstall = func() error {
		l.installing = true
		return writeState(l.state, stateInstalling)
	}
	var kids0, kids1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids0)
	if err := managed.Import(ctx, l.o.Home, imp); err != nil {
		return err
	}
	st.Import = time.Since(t0)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids1)
	st.ImporterCPU = time.Duration(kids1.Utime.Nano() + kids1.Stime.Nano() - kids0.Utime.Nano() - kids0.Stime.Nano())
	return l.at("installed")
}

// startWithSchema starts the server on the new store and builds the
// schema; BuildSchema populates the indexes of a filled store together.
func (l *load) startWithSchema(ctx context.Context, st *Stats) error {
	t0 := time.Now()
	srv, err := managed.Start(ctx, l.o.Home, l.o.Server)
	if err != nil {
		return fmt.Errorf("bulk: start Neo4j on the imported store: %w", err)
	}
	s, err := store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		return err
	}
	defer s.Close(context.WithoutCancel(ctx))
	st.Start = time.Since(t0)
	t0 = time.Now()
	if err := s.BuildSchema(ctx); err != nil {
		return fmt.Errorf("bulk: build the schema on the imported store: %w", err)
	}
	st.Schema = time.Since(t0)
	return nil
}

// The state file says how far a bulk load of a home got.
const (
	stateParsing    = "parsing"    // the live database is untouched (and was empty)
	stateInstalling = "installing" // the imported store may be (partly) in place
)

// StatePath is the state file of a bulk load in home: it exists while a
// bulk load runs, and after one that was interrupted.
func StatePath(home string) string { return filepath.Join(home, "ingest", "bulk.state") }

// Interrupted reports whether a bulk load of home was interrupted after it
// began to replace the database: the database may be half-made, and only a
// new bulk load (which replaces it) should touch it.
func Interrupted(home string) bool {
	return readState(StatePath(home)) == stateInstalling
}

func readState(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func writeState(path, state string) error {
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
