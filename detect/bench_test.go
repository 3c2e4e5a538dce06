package detect

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/store"
)

// benchAccounts is the world size of the pure benchmarks:
// LOCKSTEP_BENCH_ACCOUNTS, default 100,000.
func benchAccounts(b *testing.B) int { return envInt(b, "LOCKSTEP_BENCH_ACCOUNTS", 100000) }

// peakRSS returns the process's peak resident set in MiB (Linux VmHWM).
func peakRSS() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range splitLines(string(raw)) {
		if len(line) > 6 && line[:6] == "VmHWM:" {
			var kb float64
			for _, f := range fields(line[6:]) {
				if v, err := strconv.ParseFloat(f, 64); err == nil {
					kb = v
					break
				}
			}
			return kb / 1024
		}
	}
	return 0
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func fields(s string) []string {
	var out []string
	cur := ""
	for _, c := range s {
		if c == ' ' || c == '\t' {
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
			continue
		}
		cur += string(c)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// BenchmarkAnalyze measures projection, communities and scoring (no
// Neo4j) on a generated world built in memory, and reports its quality.
func BenchmarkAnalyze(b *testing.B) {
	n := benchAccounts(b)
	t := time.Now()
	mb, truth := memoryWorld(b, n, 1)
	bp := mb.Finish()
	b.Logf("world of %d accounts built in memory in %s", n, time.Since(t).Round(time.Millisecond))
	p := DefaultParams()
	// Measure the analysis's own peak: give back the world builder's
	// garbage and reset the kernel's high-water mark (Linux clear_refs 5),
	// so the figure is what `lockstep detect` holds beyond the store read.
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "bipartite-heap-MiB")
	var an *Analysis
	for b.Loop() {
		var err error
		an, err = Analyze(context.Background(), bp, p, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	sc := truth.Evaluate(flaggedOf(an.Networks, p.Scoring.Threshold))
	b.ReportMetric(sc.Precision, "precision")
	b.ReportMetric(sc.Recall, "recall")
	b.ReportMetric(float64(an.Stats.Projection.EdgesKept), "edges")
	b.ReportMetric(an.Stats.Seconds["project"], "project-s")
	b.ReportMetric(an.Stats.Seconds["communities"], "communities-s")
	b.ReportMetric(an.Stats.Seconds["score"], "score-s")
	for k, v := range an.Stats.CPUSeconds {
		b.ReportMetric(v, k+"-cpu-s")
	}
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
	b.Logf("stats: %+v", an.Stats)
}

// BenchmarkCommunities measures the community step alone on the projected
// graph of a generated world.
func BenchmarkCommunities(b *testing.B) {
	n := benchAccounts(b)
	mb, _ := memoryWorld(b, n, 1)
	bp := mb.Finish()
	pr := projection.Project(bp, DefaultParams().Projection)
	b.Logf("projected graph: %d nodes, %d edges", pr.Graph.Nodes(), pr.Graph.Edges())
	for _, alg := range community.Algorithms {
		b.Run(alg, func(b *testing.B) {
			var part community.Partition
			for b.Loop() {
				var err error
				if part, err = community.Run(pr.Graph, alg, 1, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(part.Modularity, "modularity")
			b.ReportMetric(float64(part.Count), "communities")
		})
	}
}

// BenchmarkDetectRun is the whole `lockstep detect` against the Neo4j at
// NEO4J_URI, which must already hold a loaded world (it is not cleared):
//
//	LOCKSTEP_BENCH_STORE=1 NEO4J_URI=bolt://... NEO4J_PASSWORD=... \
//	  go test -run '^$' -bench BenchmarkDetectRun -benchtime 1x ./detect
func BenchmarkDetectRun(b *testing.B) {
	ctx := context.Background()
	st := benchStore(b)
	var res *Result
	var err error
	for b.Loop() {
		if res, err = Run(ctx, st, DefaultParams(), nil); err != nil {
			b.Fatal(err)
		}
	}
	for k, v := range res.Stats.Seconds {
		b.ReportMetric(v, k+"-s")
	}
	for k, v := range res.Stats.CPUSeconds {
		b.ReportMetric(v, k+"-cpu-s")
	}
	if p := os.Getenv("LOCKSTEP_BENCH_TRUTH"); p != "" {
		truth, err := generate.ReadTruth(p)
		if err != nil {
			b.Fatal(err)
		}
		sc := truth.Evaluate(flaggedOf(netsOf(res), DefaultParams().Scoring.Threshold))
		b.ReportMetric(sc.Precision, "precision")
		b.ReportMetric(sc.Recall, "recall")
		for _, k := range sc.ByKind {
			b.Logf("%-12s recall %.4f (%d of %d)", k.Kind, k.Recall, k.Found, k.Planted)
		}
		b.Logf("hard-case accounts flagged: %d", sc.HardCaseHits)
	}
	b.ReportMetric(float64(res.Stats.Accounts), "accounts")
	b.ReportMetric(float64(res.Stats.Written), "networks")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}

// BenchmarkReadProjection is the store read alone, by both paths in the
// same run (the plain Cypher read is the baseline of the packed one),
// into detection's own builder, against the Neo4j at NEO4J_URI holding a
// loaded world:
//
//	LOCKSTEP_BENCH_STORE=1 NEO4J_URI=bolt://... NEO4J_PASSWORD=... \
//	  go test -run '^$' -bench BenchmarkReadProjection -benchtime 1x ./detect
func BenchmarkReadProjection(b *testing.B) {
	ctx := context.Background()
	st := benchStore(b)
	for _, via := range []string{store.ProjectionPacked, store.ProjectionCypher} {
		b.Run(via, func(b *testing.B) {
			var edges int
			for b.Loop() {
				c := cpuTime()
				bp, err := ReadVia(ctx, st, via)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(cpuTime()-c, "go-cpu-s")
				edges = 0
				for _, e := range bp.Edges {
					edges += len(e)
				}
			}
			b.ReportMetric(float64(edges), "relationships")
		})
	}
}

// benchStore opens the Neo4j at NEO4J_URI for the store benchmarks, which
// need a loaded world there, and skips without one.
func benchStore(b *testing.B) *store.Store {
	if os.Getenv("LOCKSTEP_BENCH_STORE") == "" || os.Getenv("NEO4J_URI") == "" {
		b.Skip("set LOCKSTEP_BENCH_STORE=1 and NEO4J_URI to a server holding a loaded world")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Neo4jURI, cfg.Neo4jUser, cfg.Neo4jPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// BenchmarkComponents measures what splitting detection by connected
// components of the similarity graph would give each machine
// (docs/SCALING.md): how many accounts have any similarity edge, and how
// large the largest components are, in accounts and edges. Communities
// never span components (Leiden's are connected), so a component is the
// smallest unit detection can be split into without changing its result.
//
//	LOCKSTEP_BENCH_ACCOUNTS=1000000 go test -run '^$' -bench BenchmarkComponents -benchtime 1x ./detect
func BenchmarkComponents(b *testing.B) {
	n := benchAccounts(b)
	mb, _ := memoryWorld(b, n, 1)
	bp := mb.Finish()
	var g *csr.Graph
	var part community.Partition
	for b.Loop() {
		g = projection.Project(bp, DefaultParams().Projection).Graph
		part = community.ConnectedComponents(g)
	}
	accounts := make([]int, part.Count)
	edges := make([]int, part.Count) // each undirected edge counted from both ends
	for u := range int32(g.Nodes()) {
		c := part.Labels[u]
		accounts[c]++
		nbr, _ := g.Row(u)
		edges[c] += len(nbr)
	}
	order := make([]int, part.Count)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(accounts[y], accounts[x]) })
	linked, nontrivial := 0, 0
	for _, a := range accounts {
		if a > 1 {
			linked += a
			nontrivial++
		}
	}
	totalEdges := 2 * g.Edges()
	b.ReportMetric(float64(linked)/float64(n), "linked-share")
	b.ReportMetric(float64(nontrivial), "components")
	for i, c := range order[:min(3, len(order))] {
		b.ReportMetric(float64(accounts[c])/float64(n), fmt.Sprintf("top%d-account-share", i+1))
		b.ReportMetric(float64(edges[c])/float64(max(totalEdges, 1)), fmt.Sprintf("top%d-edge-share", i+1))
	}
	b.Logf("%d accounts, %d similarity edges; %d components of 2+ holding %d accounts; largest: %v accounts",
		n, g.Edges(), nontrivial, linked, func() []int {
			var top []int
			for _, c := range order[:min(10, len(order))] {
				top = append(top, accounts[c])
			}
			return top
		}())
}

// BenchmarkUpdate measures an incremental run after the last 1% of a
// generated world's records (LOCKSTEP_BENCH_INCREMENT, in percent) against
// a full Analyze of the same state, alternated in the same process: the
// figure issue 16 sets the target on (at most 10% of the full run). The
// world is streamed from the generator three times (instants, then the
// base, then the increment) rather than held, so a million accounts fit.
func BenchmarkUpdate(b *testing.B) {
	n := benchAccounts(b)
	share := 1 - float64(envInt(b, "LOCKSTEP_BENCH_INCREMENT", 1))/100
	cfg := generate.DefaultConfig(n, 1)
	instant := func(r *events.Record) int64 {
		switch {
		case r.Time != nil:
			return r.Time.Unix()
		case r.CreatedAt != nil:
			return r.CreatedAt.Unix()
		}
		return 0
	}
	var at []int64
	if _, err := generate.Stream(cfg, func(r *events.Record) error { at = append(at, instant(r)); return nil }); err != nil {
		b.Fatal(err)
	}
	cut := quantile(at, share)
	at = nil
	baseB, nextB := NewMemoryBuilder(testKey), NewMemoryBuilder(testKey)
	if _, err := generate.Stream(cfg, func(r *events.Record) error {
		if instant(r) > cut {
			return nil
		}
		if err := baseB.Add(r); err != nil {
			return err
		}
		return nextB.Add(r)
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := generate.Stream(cfg, func(r *events.Record) error {
		if instant(r) <= cut {
			return nil
		}
		return nextB.Add(r)
	}); err != nil {
		b.Fatal(err)
	}
	base, next := baseB.Finish(), nextB.Finish()
	p := DefaultParams()
	ctx := context.Background()
	prev, err := Analyze(ctx, base, p, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var fullSecs, incSecs []float64
	for b.Loop() {
		t := time.Now()
		full, err := Analyze(ctx, next, p, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		fullSecs = append(fullSecs, time.Since(t).Seconds())
		t = time.Now()
		inc, err := Update(ctx, prev, next, p, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		incSecs = append(incSecs, time.Since(t).Seconds())
		b.Logf("full: %v, CPU %v; incremental: %v, CPU %v; networks %d and %d, %d scored again; pairs seen %d and %d",
			full.Stats.Seconds, full.Stats.CPUSeconds, inc.Stats.Seconds, inc.Stats.CPUSeconds, len(full.Networks), len(inc.Networks), inc.Stats.Scored, full.Stats.Projection.PairsSeen, inc.Stats.Projection.PairsSeen)
	}
	b.ReportMetric(median(fullSecs), "full-s")
	b.ReportMetric(median(incSecs), "incremental-s")
	b.ReportMetric(median(incSecs)/median(fullSecs), "incremental/full")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
