package ingest

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestResumeAfterNeo4jKilled kills Neo4j (SIGKILL, no shutdown) in the
// middle of a load, restarts it, resumes, and compares the graph with a
// clean load of the same file: every count must be the same. It runs its
// own killable server, since the shared test server must stay up.
func TestResumeAfterNeo4jKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a Neo4j of its own")
	}
	// Two server starts, three loads: a start alone took over two minutes
	// on the shared 2-core machine.
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()

	// Ten chunks: the kill lands in the fourth, the resume loads the rest.
	path, lines := ingesttest.SynthFile(t, 700, 12, 7)
	opts := testOptions(t)
	opts.ChunkLines, opts.TxRows = 1000, 200
	chunks := (lines + opts.ChunkLines - 1) / opts.ChunkLines

	// The clean load to compare with goes into the shared test server
	// while the killable one starts, dies and restarts (its start alone
	// takes as long as the load). The store is taken before t.Parallel,
	// as storetest.New is for serial tests; after it the serial tests are
	// done, and no other parallel test of this package uses Neo4j, so the
	// shared server is this test's alone.
	ref := prepared(t)
	t.Parallel()
	clean := testOptions(t)
	clean.ChunkLines, clean.TxRows = opts.ChunkLines, opts.TxRows
	cleanDone := make(chan error, 1)
	go func() {
		err := ref.Clear(ctx) // the serial tests after this one's start wrote there
		if err == nil {
			_, err = Run(ctx, ref, []string{path}, clean)
		}
		cleanDone <- err
	}()

	k := storetest.NewKillable(t, ctx)
	s := k.Store
	cpFile := checkpointPath(opts.StateDir, path)

	// Load until a few chunks are committed, then kill the server.
	errc := make(chan error, 1)
	go func() {
		_, err := Run(ctx, s, []string{path}, opts)
		errc <- err
	}()
	committed := 0
	for committed < 3 {
		select {
		case err := <-errc:
			t.Fatalf("load ended before the kill (err %v): make the file bigger", err)
		case <-time.After(50 * time.Millisecond):
		}
		if b, err := os.ReadFile(cpFile); err == nil {
			var cp checkpoint
			if json.Unmarshal(b, &cp) == nil {
				committed = cp.Chunk
			}
		}
	}
	// Then wait for a few edge sub-batches of the next chunk, so the kill
	// lands inside a chunk: some of its sub-batches committed, others not.
	n0 := countRows(t, s, "MATCH (b:IngestBatch) RETURN count(b) AS n")
	for countRows(t, s, "MATCH (b:IngestBatch) RETURN count(b) AS n") < n0+2 {
		time.Sleep(10 * time.Millisecond)
	}
	k.Kill(t)
	if err := <-errc; err == nil {
		t.Fatal("the load did not notice that Neo4j died")
	} else {
		t.Logf("load failed as it should after %d of %d chunks: %v", committed, chunks, err)
	}

	// Restart (Neo4j recovers from its transaction log) and resume on the
	// same Store, as a process that outlived the crash would.
	k.Restart(t, ctx)
	partial := countRows(t, s, `MATCH (b:IngestBatch) WHERE b.id CONTAINS '/'
		WITH split(b.id, '/')[0] AS chunk, count(*) AS subs
		WHERE NOT EXISTS { MATCH (:IngestBatch {id: chunk}) } RETURN count(*) AS n`)
	t.Logf("after the crash %d chunk(s) are partly committed", partial)
	opts.Resume = true
	sum, err := Run(ctx, s, []string{path}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records >= int64(lines) {
		t.Errorf("resume read %d records: it should start after the checkpoint", sum.Records)
	}
	resumed := storetest.Snapshot(t, s)
	if err := <-cleanDone; err != nil {
		t.Fatalf("clean load: %v", err)
	}
	if want := storetest.Snapshot(t, ref); resumed != want {
		t.Errorf("graph after kill and resume differs from a clean load:\n resumed %s\n clean   %s", resumed, want)
	} else {
		t.Logf("graph after kill and resume equals a clean load: %s", want)
	}
}
