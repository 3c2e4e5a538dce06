package server_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
)

// BenchmarkDirectReadGap is the direct account read (the load benchmark's
// baseline), one caller, back to back and with 450 µs between statements:
// of other CPU work in this process (about what the GraphQL path does
// around each read at one client: HTTP both ways, the key check, gqlgen)
// or of sleep. No GraphQL is involved; what the gap does to the read's own
// latency and to Neo4j's CPU per statement is a cost any layer between the
// statements pays on this machine, which the one-client comparison in
// BenchmarkAPILoad counts against the GraphQL path (BENCHMARKS.md):
//
//	go test ./server -run '^$' -bench DirectReadGap -benchtime 1x -v
func BenchmarkDirectReadGap(b *testing.B) {
	h := newHarness(b, server.Config{RatePerSecond: 1e6, RateBurst: 1e6})
	h.logLevel.Set(slog.LevelInfo)
	const accounts = 20000
	seedLoadWorld(b, h.st, accounts)
	read := newLoadQueries(h.st, accounts).accountDirect
	pid := neo4jPID(b)
	ctx := ctxT(b)
	const gap = 450 * time.Microsecond
	window := func(name string, between func()) {
		n, lat := 0, time.Duration(0)
		c0, j0, k0 := cpuTime(), procCPU(pid), jitCPU(pid)
		for start := time.Now(); time.Since(start) < 5*time.Second; n++ {
			t0 := time.Now()
			if err := read(ctx); err != nil {
				b.Fatal(err)
			}
			lat += time.Since(t0)
			between()
		}
		jit := jitCPU(pid) - k0
		b.Logf("%-22s %6d reads  read latency %5.0fµs  Go CPU %4.0fµs/read  Neo4j CPU %5.0fµs/read (JIT compilers besides %.1fs)",
			name, n, float64(lat)/float64(n)/1e3, float64(cpuTime()-c0)/float64(n)/1e3, float64(procCPU(pid)-j0-jit)/float64(n)/1e3, jit.Seconds())
	}
	none := func() {}
	busy := func() {
		for t := time.Now(); time.Since(t) < gap; {
		}
	}
	idle := func() { time.Sleep(gap) }
	for range 10 { // until Neo4j's JIT has compiled the statement
		window("warm-up", none)
	}
	for range 5 {
		window("back to back", none)
		window("450µs of work between", busy)
		window("450µs asleep between", idle)
	}
}
