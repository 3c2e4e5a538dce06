package neo4j

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Offline bulk import: Neo4j's own batch importer (`neo4j-admin database
// import full`, class org.neo4j.cli.AdminTool from the jars the server
// already runs on) writes a new store from CSV files while the managed
// server is stopped. It is many times faster than any transactional load
// (no transaction state, no locks, no index maintenance per row), but it
// only creates: it can fill an empty database, never add to one.

// ImportGroup is one --nodes or --relationships group of the importer: a
// label (or relationship type) and its CSV files, the first of which holds
// the header.
type ImportGroup struct {
	Name  string
	Files []string
}

// ImportOptions configure Import.
type ImportOptions struct {
	Nodes, Relationships []ImportGroup
	// Heap is the importer JVM's -Xmx (default $LOCKSTEP_IMPORT_HEAP, else
	// "1g": the importer keeps its big structures off heap).
	Heap string
	// OffHeap caps the importer's off-heap memory (--max-off-heap-memory;
	// default "2g" rather than Neo4j's 90% of the machine, which is shared).
	OffHeap string
	// IDType is --id-type: "string" (the default: IDs are keys the
	// importer maps to node ids), "integer", or "actual" (the ID column
	// is the node id itself; relationship ends name node ids; no mapping).
	IDType string
	// Threads is --threads (default: the number of CPUs).
	Threads int
	// BeforeInstall, if set, runs after the import succeeded and before
	// the new store replaces the live database; an error stops the
	// install (the live database stays as it was).
	BeforeInstall func() error
	RuntimeDir    string // as Options.RuntimeDir
	Logger        *slog.Logger
}

// ErrServerRunning is returned by Import when the managed server of the
// home runs: the importer needs it stopped.
var ErrServerRunning = errors.New("managed neo4j is running; stop it before a bulk import")

// ImportLog names the file the importer's output goes to.
func ImportLog(home string) string { return filepath.Join(dir(home), "import.log") }

// HasDatabase reports whether the managed server of home has store files
// for its default database (a home where it never started has none).
func HasDatabase(home string) bool {
	_, err := os.Stat(filepath.Join(pathsOf(home).dbms, "data", "databases", "neo4j"))
	return err == nil
}

// Import runs Neo4j's batch importer on the CSV groups of opts into a
// staging directory and, if it succeeds, installs the new store as the
// managed server's default database (neo4j), replacing whatever store it
// had: the caller must have made sure that replacing it is right. It holds
// the home's start lock throughout, so no server of this home starts while
// the store is written or swapped. If the importer fails, the live
// database is untouched. The swap itself is two directory renames; a crash
// between them leaves no default database, which Neo4j creates empty on
// its next start.
func Import(ctx context.Context, home string, opts ImportOptions) (err error) {
	defer wrapErr(&err, "managed neo4j: bulk import")
	home, err = filepath.Abs(home)
	if err != nil {
		return err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RuntimeDir == "" {
		opts.RuntimeDir = filepath.Join(dir(home), "runtime")
	}
	heap, err := normSize("importer heap", cmp.Or(opts.Heap, os.Getenv("LOCKSTEP_IMPORT_HEAP"), "1g"))
	if err != nil {
		return err
	}
	offHeap := cmp.Or(opts.OffHeap, "2g")
	if _, err := parseSize("importer off-heap memory", offHeap); err != nil {
		return err
	}
	p := pathsOf(home)
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}
	unlock, err := lockFile(ctx, p.lock)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := running(p); err == nil {
		return ErrServerRunning
	}
	if pid, err := readInt(p.pid); err == nil && ownsProcess(pid, home) {
		return ErrServerRunning // alive but not answering: starting or stopping
	}
	java, err := javaBinary()
	if err != nil {
		return err
	}
	rt, err := prepareRuntime(ctx, opts.RuntimeDir, java, opts.Logger)
	if err != nil {
		return err
	}

	staging := filepath.Join(p.dir, "import-staging")
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(staging, "conf"), 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(staging)

	args := []string{
		"-Xmx" + heap,
		"-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow",
		"--add-opens=java.base/java.nio=ALL-UNNAMED",
		"--add-opens=java.base/java.io=ALL-UNNAMED",
		"--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens=java.base/java.lang=ALL-UNNAMED",
		"-Dlockstep.import=" + home,
	}
	if rt.cds != "" {
		if _, err := os.Stat(rt.cds); err == nil {
			// The server's class archive covers most of the importer's
			// classes too (same class path): a faster JVM start.
			args = append(args, "-Xlog:cds=error,cds+dynamic=error", "-XX:SharedArchiveFile="+rt.cds)
		}
	}
	args = append(args,
		"-cp", rt.classpath, "org.neo4j.cli.AdminTool",
		// The database name comes first: the list options after it would
		// take it for one more file.
		"database", "import", "full", "neo4j",
		"--overwrite-destination=true",
		"--id-type="+cmp.Or(opts.IDType, "string"),
		"--high-parallel-io=on", // local SSD: parallel reads are cheap
		"--bad-tolerance=0",     // the input is ours: any bad entry is a bug
		"--max-off-heap-memory="+offHeap,
		"--report-file="+filepath.Join(staging, "import.report"),
	)
	if opts.Threads > 0 {
		args = append(args, "--threads="+strconv.Itoa(opts.Threads))
	}
	group := func(flag string, g ImportGroup) (string, error) {
		if len(g.Files) == 0 {
			return "", fmt.Errorf("%s group %s has no files", flag, g.Name)
		}
		for _, f := range g.Files {
			if strings.Contains(f, ",") {
				return "", fmt.Errorf("importer file %s: a comma in the path would split it", f)
			}
		}
		return fmt.Sprintf("--%s=%s=%s", flag, g.Name, strings.Join(g.Files, ",")), nil
	}
	for _, g := range opts.Nodes {
		a, err := group("nodes", g)
		if err != nil {
			return err
		}
		args = append(args, a)
	}
	for _, g := range opts.Relationships {
		a, err := group("relationships", g)
		if err != nil {
			return err
		}
		args = append(args, a)
	}

	logPath := ImportLog(home)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	from, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "\n=== lockstep: bulk import at %s (heap %s, off-heap %s)\n", time.Now().UTC().Format(time.RFC3339), heap, offHeap)
	cmd := exec.CommandContext(ctx, java, args...)
	cmd.Dir = staging
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "NEO4J_HOME="+staging, "NEO4J_CONF="+filepath.Join(staging, "conf"))
	// Its own process group, so that a cancelled context kills the JVM
	// and nothing it spawned lingers; and killed with this process (a
	// killed bulk load must not leave an importer writing on).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	opts.Logger.Info("bulk import: running Neo4j's importer", "log", logPath)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("importer failed (%w) after %s; the live database is unchanged; see %s:\n%s",
			err, time.Since(start).Round(time.Millisecond), logPath, tail(logPath, from, 25))
	}
	opts.Logger.Info("bulk import: importer done", "took", time.Since(start).Round(time.Millisecond))

	newDB := filepath.Join(staging, "data", "databases", "neo4j")
	newTx := filepath.Join(staging, "data", "transactions", "neo4j")
	for _, d := range []string{newDB, newTx} {
		if _, err := os.Stat(d); err != nil {
			return fmt.Errorf("importer left no %s: %w", d, err)
		}
	}
	if opts.BeforeInstall != nil {
		if err := opts.BeforeInstall(); err != nil {
			return err
		}
	}
	liveDB := filepath.Join(p.dbms, "data", "databases", "neo4j")
	liveTx := filepath.Join(p.dbms, "data", "transactions", "neo4j")
	old := filepath.Join(staging, "old")
	if err := os.MkdirAll(old, 0o700); err != nil {
		return err
	}
	for _, d := range []string{filepath.Dir(liveDB), filepath.Dir(liveTx)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	// The old store and its transaction logs move out first (renames on
	// one file system), then the new ones move in; the staging directory,
	// old store included, is removed on return.
	for _, mv := range [][2]string{{liveDB, filepath.Join(old, "db")}, {liveTx, filepath.Join(old, "tx")}, {newDB, liveDB}, {newTx, liveTx}} {
		if err := os.Rename(mv[0], mv[1]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("install the imported store: %w", err)
		}
	}
	return nil
}
