package community

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/community/internal/planted"
	gcommunity "gonum.org/v1/gonum/graph/community"
)

// BenchmarkVsGonum100k runs our Leiden and Louvain and gonum's Modularize
// on the same 100,000-node LFR-style graph (mean degree 10, μ = 0.3) in
// each iteration and reports every time and modularity, and the speed-up
// ratios measured in that same run, in wall and CPU time. gonum takes
// minutes: run it once, with -benchtime=1x -timeout=0.
func BenchmarkVsGonum100k(b *testing.B) { benchmarkVsGonum(b, 100_000) }

// BenchmarkVsGonum20k is BenchmarkVsGonum100k on 20,000 nodes, for a
// comparison that finishes in minutes on a loaded machine.
func BenchmarkVsGonum20k(b *testing.B) { benchmarkVsGonum(b, 20_000) }

func benchmarkVsGonum(b *testing.B, n int) {
	g, truth := planted.Generate(planted.Standard(n, 10, 0.3, 1))
	gg := g.Gonum()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seed := uint64(i)
		b.Logf("load average before: %s", loadAverage())
		t0, c0 := time.Now(), cpuTime()
		le := Leiden(g, 1, seed)
		tLe, cLe := time.Since(t0), cpuTime()-c0
		t0, c0 = time.Now(), cpuTime()
		lo := Louvain(g, 1, seed)
		tLo, cLo := time.Since(t0), cpuTime()-c0
		t0, c0 = time.Now(), cpuTime()
		r := gcommunity.Modularize(gg, 1, rand.NewPCG(seed, 1))
		tG, cG := time.Since(t0), cpuTime()-c0
		qG := gcommunity.Q(gg, r.Communities(), 1)
		b.ReportMetric(cLe.Seconds(), "leiden-cpu-s")
		b.ReportMetric(cLo.Seconds(), "louvain-cpu-s")
		b.ReportMetric(cG.Seconds(), "gonum-cpu-s")
		b.ReportMetric(tLe.Seconds(), "leiden-s")
		b.ReportMetric(tLo.Seconds(), "louvain-s")
		b.ReportMetric(tG.Seconds(), "gonum-s")
		b.ReportMetric(le.Modularity, "leiden-Q")
		b.ReportMetric(lo.Modularity, "louvain-Q")
		b.ReportMetric(qG, "gonum-Q")
		b.ReportMetric(tG.Seconds()/tLe.Seconds(), "gonum/leiden")
		b.ReportMetric(tG.Seconds()/tLo.Seconds(), "gonum/louvain")
		b.ReportMetric(nmi(le.Labels, truth), "leiden-NMI")
		b.Logf("nodes %d edges %d: Leiden %v (CPU %v) Q=%.5f (%d), Louvain %v (CPU %v) Q=%.5f (%d), gonum %v (CPU %v) Q=%.5f (%d); load average after: %s",
			g.Nodes(), g.Edges(), tLe, cLe, le.Modularity, le.Count, tLo, cLo, lo.Modularity, lo.Count, tG, cG, qG, len(r.Communities()), loadAverage())
	}
}

// BenchmarkLeiden1M times Leiden alone on a 1,000,000-node LFR-style
// graph with about 10 million edges (mean degree 20, μ = 0.3), the size
// of a million-account projection; the target is 5 s on 2 cores.
func BenchmarkLeiden1M(b *testing.B) {
	benchmarkLarge(b, "leiden", 1_000_000, 20)
}

// BenchmarkLouvain1M is BenchmarkLeiden1M for Louvain.
func BenchmarkLouvain1M(b *testing.B) {
	benchmarkLarge(b, "louvain", 1_000_000, 20)
}

// BenchmarkOurs100k times Leiden and Louvain alone on BenchmarkVsGonum100k's
// graph, for when gonum's share of that benchmark is too slow to repeat.
func BenchmarkOurs100k(b *testing.B) {
	for _, name := range []string{"leiden", "louvain"} {
		b.Run(name, func(b *testing.B) { benchmarkLarge(b, name, 100_000, 10) })
	}
}

func benchmarkLarge(b *testing.B, name string, n int, avgDeg float64) {
	t0 := time.Now()
	g, truth := planted.Generate(planted.Standard(n, avgDeg, 0.3, 1))
	b.Logf("generated %d nodes, %d edges in %v", g.Nodes(), g.Edges(), time.Since(t0))
	runtime.GC()
	b.Logf("load average before: %s", loadAverage())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cpuTime()
		p := algorithms[name](g, 1, uint64(i))
		b.StopTimer()
		b.ReportMetric((cpuTime() - c0).Seconds(), "cpu-s")
		b.ReportMetric(p.Modularity, "Q")
		b.ReportMetric(float64(p.Count), "communities")
		b.ReportMetric(nmi(p.Labels, truth), "NMI")
		b.StartTimer()
	}
	b.Logf("load average after: %s", loadAverage())
}

// cpuTime is the CPU time (user and system, all threads) of this process:
// on a machine shared with other work, wall time alone overstates ours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
