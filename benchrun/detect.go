package benchrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	gcommunity "gonum.org/v1/gonum/graph/community"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/store"
)

type detectResult struct {
	rows     []Row
	networks []string // ids of the networks the run wrote
}

// benchDetect runs a full detection (`lockstep detect`'s path) and then,
// on the same data, the baselines of its two costliest choices: the plain
// Cypher read (BenchmarkReadProjection's baseline) and gonum's Louvain
// (the baseline of algorithms/community's benchmarks) on the same
// similarity graph. The baseline pass also measures the heap the read and
// the projection hold.
func benchDetect(ctx context.Context, st *store.Store, opts Options, mem *Memory, stats *detect.Stats) (detectResult, error) {
	p := detect.DefaultParams()
	opts.Log.Info("bench: detect")
	resetPeakRSS()
	res, err := detect.Run(ctx, st, p, nil)
	if err != nil {
		return detectResult{}, err
	}
	mem.DetectPeakRSSMiB = peakRSSMiB()
	sec := res.Stats.Seconds
	path := "?"
	if runs, err := st.RunsByIDs(ctx, []string{res.RunID}); err == nil && runs[res.RunID].ReadPath != nil {
		path = string(*runs[res.RunID].ReadPath)
	} else if err != nil {
		return detectResult{}, err
	}

	opts.Log.Info("bench: plain Cypher read")
	h0 := heapInUse()
	t := time.Now()
	bp, err := detect.ReadVia(ctx, st, store.ProjectionCypher)
	if err != nil {
		return detectResult{}, err
	}
	cypherRead := time.Since(t).Seconds()
	h1 := heapInUse()
	pr := projection.Project(bp, p.Projection)
	h2 := heapInUse()
	for _, e := range bp.Edges {
		mem.Relationships += int64(len(e))
	}
	mem.ReadHeapBytes, mem.SimilarityHeapBytes = int64(h1-h0), int64(h2-h1)
	mem.SimilarityEdges = int64(pr.Stats.EdgesKept)

	opts.Log.Info("bench: gonum Louvain", "edges", pr.Graph.Edges())
	gg := pr.Graph.Gonum()
	t = time.Now()
	red := gcommunity.Modularize(gg, p.Resolution, rand.NewPCG(p.Seed, 1))
	gonum := time.Since(t).Seconds()
	qGonum := gcommunity.Q(gg, red.Communities(), p.Resolution)
	runtime.KeepAlive(bp)

	ids := make([]string, len(res.Networks))
	for i, n := range res.Networks {
		ids[i] = n.ID
	}
	cpu := res.Stats.CPUSeconds
	phases := fmt.Sprintf("wall (Go CPU) read %.1f (%.1f), project %.1f (%.1f), communities %.2f (%.2f), score %.1f (%.1f), write %.1f (%.1f) s; %d accounts, %d similarity edges, %d networks",
		sec["read"], cpu["read"], sec["project"], cpu["project"], sec["communities"], cpu["communities"], sec["score"], cpu["score"],
		sec["write"], cpu["write"], res.Stats.Accounts, res.Stats.Projection.EdgesKept, res.Stats.Written)
	*stats = res.Stats
	rows := []Row{
		duration("detect: full run", sec["total"],
			"the run with both baselines below in place of ours (sum of stages timed here)",
			sec["total"]-sec["read"]-sec["communities"]+cypherRead+gonum, phases),
		duration("detect: read", sec["read"], "plain Cypher read into the same builder", cypherRead,
			"the run read through "+path),
		duration("detect: communities ("+p.Algorithm+")", sec["communities"], "gonum Modularize (Louvain), same graph", gonum,
			fmt.Sprintf("modularity %.4f against gonum's %.4f on %d nodes, %d edges", res.Stats.Modularity, qGonum, pr.Graph.Nodes(), pr.Graph.Edges())),
	}
	return detectResult{rows: rows, networks: ids}, nil
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// resetPeakRSS gives memory back to the system and resets the kernel's
// high-water mark of this process (Linux clear_refs 5), so that the next
// peakRSSMiB is detection's own rather than generation's or ingest's.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSSMiB is the process's peak resident set since resetPeakRSS (Linux
// VmHWM), or 0 where /proc does not say.
func peakRSSMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
