package detect

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// BenchmarkMemoryModel measures what docs/SCALING.md quotes: the bytes a
// generated world takes in the managed Neo4j's store files, and the Go
// heap detection's read (the bipartite graph) and projection (the
// similarity graph) hold, per account, relationship and similarity edge.
// LOCKSTEP_MEMORY_ACCOUNTS sets the world's size (default 10,000). It
// stops the test server at its end: run it alone.
//
//	go test -run '^$' -bench BenchmarkMemoryModel -benchtime 1x ./detect
func BenchmarkMemoryModel(b *testing.B) {
	accounts := 10000
	if v := os.Getenv("LOCKSTEP_MEMORY_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("LOCKSTEP_MEMORY_ACCOUNTS=%q: %v", v, err)
		}
		accounts = n
	}
	st := storetest.New(b)
	home := storetest.Home(b)
	if home == "" {
		b.Skip("measures the managed server's store files; NEO4J_URI is set")
	}
	ctx := context.Background()
	before := storeBytes(b, home)
	loadWorld(b, st, accounts, 1)
	rels, err := st.Query(ctx, "MATCH ()-[r]->() RETURN count(r) AS n", nil)
	if err != nil {
		b.Fatal(err)
	}
	nodes, err := st.Query(ctx, "MATCH (n) RETURN count(n) AS n", nil)
	if err != nil {
		b.Fatal(err)
	}
	nRels, nNodes := float64(rels[0].Values[0].(int64)), float64(nodes[0].Values[0].(int64))

	for b.Loop() {
		h0 := heapInUse()
		bl := &builder{Builder: projection.NewBuilder(0), allowlisted: map[string]bool{}}
		if _, err := st.ReadProjection(ctx, bl, nil); err != nil {
			b.Fatal(err)
		}
		bp := bl.Finish()
		h1 := heapInUse()
		pr := projection.Project(bp, DefaultParams().Projection)
		h2 := heapInUse()
		b.ReportMetric(float64(h1-h0)/float64(accounts), "go-read-B/account")
		b.ReportMetric(float64(h1-h0)/nRels, "go-read-B/rel")
		b.ReportMetric(float64(h2-h1)/float64(max(pr.Stats.EdgesKept, 1)), "go-sim-B/edge")
		b.ReportMetric(float64(pr.Stats.EdgesKept)/float64(accounts), "sim-edges/account")
		runtime.KeepAlive(bp)
		runtime.KeepAlive(pr)
	}
	// Stopping checkpoints the page cache into the files (Community has
	// no db.checkpoint()), so the benchmark ends the binary's server: run
	// it alone.
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := managed.Stop(sctx, home); err != nil {
		b.Fatal(err)
	}
	neoBytes := storeBytes(b, home) - before
	b.ReportMetric(float64(neoBytes)/float64(accounts), "neo4j-B/account")
	b.ReportMetric(nRels/float64(accounts), "rels/account")
	b.ReportMetric(nNodes/float64(accounts), "nodes/account")
	b.ReportMetric(float64(neoBytes)/(nRels+nNodes), "neo4j-B/(node+rel)")
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// storeBytes sums the managed server's database files (store and indexes,
// not transaction logs).
func storeBytes(b *testing.B, home string) int64 {
	var total int64
	root := filepath.Join(home, "neo4j", "dbms", "data", "databases", "neo4j")
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}
