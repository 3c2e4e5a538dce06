package bulkload

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestBulkKilled kills a bulk load (SIGKILL, no cleanup) while Neo4j's
// importer runs, then checks that the importer died with it, that the
// database was left untouched (none was ever made here), and that the next
// bulk load gives the graph a clean transactional load gives. The load runs
// in a child process: this test binary again, in the helper mode below.
func TestBulkKilled(t *testing.T) {
	if os.Getenv("LOCKSTEP_BULK_HELPER_HOME") != "" {
		bulkHelper(t)
		return
	}
	if testing.Short() {
		t.Skip("runs Neo4j's importer and a Neo4j of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	input, _ := ingesttest.SynthFile(t, 400, 10, 3)
	opts := testOptions(t)
	opts.ChunkLines, opts.TxRows = 1000, 200
	// The clean transactional load to compare with, into the shared
	// server while the tests are still serial.
	clean := testOptions(t)
	clean.ChunkLines, clean.TxRows = opts.ChunkLines, opts.TxRows
	s := prepared(t)
	if _, err := ingest.Run(ctx, s, []string{input}, clean); err != nil {
		t.Fatal(err)
	}
	want := storetest.Snapshot(t, s)

	t.Parallel() // the bulk loads use a server of their own
	home := t.TempDir()
	t.Cleanup(func() { _ = managed.Stop(context.Background(), home) })

	cmd := exec.Command(os.Args[0], "-test.run=^TestBulkKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOCKSTEP_BULK_HELPER_HOME="+home, "LOCKSTEP_BULK_HELPER_INPUT="+input)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the importer JVM runs (its command line names the home).
	var importer int
	for deadline := time.Now().Add(5 * time.Minute); importer == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the importer never started; helper output:\n%s", out.String())
		}
		importer = findProcess("-Dlockstep.import=" + home)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for i := 0; i < 100 && pidAlive(importer); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if pidAlive(importer) {
		syscall.Kill(importer, syscall.SIGKILL)
		t.Error("the importer outlived the killed bulk load")
	}
	if managed.HasDatabase(home) || Interrupted(home) {
		t.Fatalf("after a kill during the import: database %v, interrupted install %v; want neither", managed.HasDatabase(home), Interrupted(home))
	}

	if _, _, err := Load(ctx, []string{input}, opts, testBulkOptions(home, 2)); err != nil {
		t.Fatal(err)
	}
	bs := openManaged(t, ctx, home)
	if got := storetest.Snapshot(t, bs); got != want {
		t.Errorf("bulk load after a killed one:\n got %s\nwant %s", got, want)
	}
}

// bulkHelper is the child of TestBulkKilled: a plain bulk load, to be killed.
func bulkHelper(t *testing.T) {
	opts := testOptions(t)
	opts.ChunkLines, opts.TxRows = 1000, 200
	_, _, err := Load(context.Background(), []string{os.Getenv("LOCKSTEP_BULK_HELPER_INPUT")}, opts,
		testBulkOptions(os.Getenv("LOCKSTEP_BULK_HELPER_HOME"), 2))
	t.Logf("helper bulk load ended: %v", err)
}

// findProcess returns the pid of a live process whose command line has
// the argument arg, or 0.
func findProcess(arg string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid := 0
		for _, c := range e.Name() {
			if c < '0' || c > '9' {
				pid = -1
				break
			}
			pid = pid*10 + int(c-'0')
		}
		if pid <= 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for _, a := range strings.Split(string(b), "\x00") {
			if a == arg && pidAlive(pid) {
				return pid
			}
		}
	}
	return 0
}

func pidAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }
