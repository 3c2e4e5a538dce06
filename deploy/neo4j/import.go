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
	goruntime "runtime"
	"strings"
	"syscall"
	"time"
)

// Offline bulk import: Neo4j's own batch importer (the engine of
// `neo4j-admin database import full`, from the jars the server already runs
// on) writes a new store while the managed server is stopped. It is many
// times faster than any transactional load (no transaction state, no locks,
// no index maintenance per row), but it only creates: it can fill an empty
// database, never add to one. Its input is not CSV but Lockstep's own
// binary rows, read by the launcher jar's lockstep.BulkImport
// (procedures/BulkImport.java documents the format and the manifest).

// ImportGroup is one label (or relationship type) of the importer's input:
// the property keys of its rows, in order, and its data files.
type ImportGroup struct {
	Name  string
	Keys  []string
	Files []string
}

// ImportEstimate is what the importer plans its memory by: row counts, and
// property counts and bytes (approximate is fine).
type ImportEstimate struct {
	Nodes, Relationships                         int64
	NodeProperties, RelationshipProperties       int64
	NodePropertyBytes, RelationshipPropertyBytes int64
}

// ImportOptions configure Import.
type ImportOptions struct {
	Nodes, Relationships []ImportGroup
	Estimate             ImportEstimate
	// Heap is the importer JVM's -Xmx (default $LOCKSTEP_IMPORT_HEAP, else
	// "1g": the importer keeps its big structures off heap).
	Heap string
	// OffHeap caps the importer's off-heap memory (default "2g" rather
	// than Neo4j's 90% of the machine, which is shared).
	OffHeap string
	// Threads is the importer's worker threads (default: the number of CPUs).
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

// Import runs Neo4j's batch importer on the groups of opts into a
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
	offHeapBytes, err := parseSize("importer off-heap memory", offHeap)
	if err != nil {
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
	if err := os.MkdirAll(staging, 0o700); err != nil {
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
	manifest, err := writeManifest(filepath.Join(staging, "import.manifest"), opts, offHeapBytes)
	if err != nil {
		return err
	}
	args = append(args, "-cp", rt.classpath, rt.bulkMain(), staging, manifest)

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

// writeManifest writes the importer's manifest (BulkImport.java): settings,
// estimates, and each group's keys and files, tab-separated.
func writeManifest(path string, opts ImportOptions, offHeap int64) (string, error) {
	var b strings.Builder
	threads := opts.Threads
	if threads <= 0 {
		threads = goruntime.NumCPU()
	}
	e := opts.Estimate
	fmt.Fprintf(&b, "threads\t%d\nmax-off-heap\t%d\nestimate\t%d\t%d\t%d\t%d\t%d\t%d\n", threads, offHeap,
		e.Nodes, e.Relationships, e.NodeProperties, e.RelationshipProperties, e.NodePropertyBytes, e.RelationshipPropertyBytes)
	for _, grp := range [...]struct {
		kind   string
		groups []ImportGroup
	}{{"nodes", opts.Nodes}, {"rels", opts.Relationships}} {
		for _, g := range grp.groups {
			if len(g.Files) == 0 {
				return "", fmt.Errorf("%s group %s has no files", grp.kind, g.Name)
			}
			keys := strings.Join(g.Keys, ",")
			if keys == "" {
				keys = "-"
			}
			fields := append([]string{grp.kind, g.Name, keys}, g.Files...)
			for _, f := range fields {
				if strings.ContainsAny(f, "\t\n") {
					return "", fmt.Errorf("importer manifest field %q: a tab or newline would split it", f)
				}
			}
			b.WriteString(strings.Join(fields, "\t") + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// ImportDump runs the importer's decoder alone on the groups of opts and
// returns every row as it would import it, one a line (BulkImport --dump):
// what the tests compare with what they encoded.
func ImportDump(ctx context.Context, opts ImportOptions) (out string, err error) {
	defer wrapErr(&err, "managed neo4j: bulk import dump")
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	java, err := javaBinary()
	if err != nil {
		return "", err
	}
	rt, err := prepareRuntime(ctx, opts.RuntimeDir, java, opts.Logger)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "lockstep-import-dump-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	manifest, err := writeManifest(filepath.Join(tmp, "import.manifest"), opts, 1<<30)
	if err != nil {
		return "", err
	}
	var stdout, stderr strings.Builder
	cmd := exec.CommandContext(ctx, java, "-cp", rt.classpath, rt.bulkMain(), "--dump", manifest)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}
