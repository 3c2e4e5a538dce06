package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store/storetest"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// BenchmarkAPILoad measures the API under load against loopback with
// vegeta, next to the same reads issued through the store directly
// (figures in BENCHMARKS.md). Each scenario warms up, then compares the
// two paths at four loads: 32 clients back to back, an equal open-loop
// rate at half of capacity, one client, and a tenth of capacity; each path
// runs LOCKSTEP_LOAD_DURATION (default 10s) at each load, in windows that
// alternate with the other path's:
//
//	go test ./server -run '^$' -bench APILoad -benchtime 1x -v
//
// With wrk installed (apt-get install wrk) it also compares the direct
// reads with the GraphQL ones sent by wrk from its own process, 32
// connections, in alternating windows too. Two floors close each scenario:
// vegeta against a canned response (HTTP alone) and { __typename } through
// the server (HTTP, key check, limits and gqlgen, nothing to resolve).
// (Being a benchmark, it gets a test Neo4j with the optimising JIT.) The
// process runs with server.TuneGC's garbage collector setting, as
// `lockstep serve` does; GOGC=100 in the environment measures the default.
func BenchmarkAPILoad(t *testing.B) {
	dur := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("LOCKSTEP_LOAD_DURATION")); err == nil {
		dur = d
	}
	server.TuneGC() // as Serve does (GOGC=400 unless GOGC is set)
	// LOCKSTEP_LOAD_PLAIN_GQLGEN=1 serves with gqlgen's own list
	// marshalling and POST transport (Config.PlainGQLGen): the before of
	// server/fastlist.go and server/transport.go.
	h := newHarness(t, server.Config{RatePerSecond: 1e6, RateBurst: 1e6, PlainGQLGen: os.Getenv("LOCKSTEP_LOAD_PLAIN_GQLGEN") == "1"})
	// As `lockstep serve` logs without -v: no debug line per request.
	// (At debug level every request appended a line to the harness's
	// in-memory log, which grew to tens of MB over a run and was copied
	// whole, under its lock, each time it doubled: a cost and stalls
	// that only the GraphQL path paid.)
	h.logLevel.Set(slog.LevelInfo)
	const accounts = 20000
	seedLoadWorld(t, h.st, accounts)
	st := h.st

	q := newLoadQueries(st, accounts)
	t.Run("account", func(b *testing.B) { loadPair(b, h, dur, "account(id)+ips+devices", q.accountBody, q.accountDirect) })
	t.Run("network", func(b *testing.B) {
		loadPair(b, h, dur, "network(id)+100 members+evidence", q.networkBody, q.networkDirect)
	})
}

// loadQueries are the two reads the load benchmarks compare: a GraphQL
// request body for a random account or network of seedLoadWorld's, and the
// same read through the store directly.
type loadQueries struct {
	accountBody, networkBody     func() ([]byte, error)
	accountDirect, networkDirect func(context.Context) error
}

func newLoadQueries(st *store.Store, accounts int) loadQueries {
	accountQuery := `query($id: ID!) { account(id: $id) { id handle country verified ips { ip { addr kind } count last } devices { device { id os } count } } }`
	networkQuery := `query($id: ID!) { network(id: $id) { id score size evidence signals { name value } stateLinked { possible confidence reasons }
  members(first: 100) { totalCount edges { node { score role account { id handle } } } } } }`
	return loadQueries{
		accountBody: func() ([]byte, error) {
			return json.Marshal(map[string]any{"query": accountQuery, "variables": map[string]any{"id": fmt.Sprintf("acc%07d", rand.IntN(accounts))}})
		},
		accountDirect: func(ctx context.Context) error {
			// The statement the GraphQL path runs for this query: only the
			// fields it shows (resolvers.accountView).
			_, _, _, err := st.AccountWithUsageView(ctx, fmt.Sprintf("acc%07d", rand.IntN(accounts)), 20, 20, store.AccountView{
				Account: store.AccountFields{Handle: true, Country: true, Verified: true},
				IP:      store.IPFields{Kind: true}, IPUsage: store.UsageFields{Last: true},
				Device: store.DeviceFields{Os: true}})
			return err
		},
		networkBody: func() ([]byte, error) {
			return json.Marshal(map[string]any{"query": networkQuery, "variables": map[string]any{"id": fmt.Sprintf("load-net-%d", rand.IntN(20))}})
		},
		networkDirect: func(ctx context.Context) error {
			// The statement the GraphQL path runs: 101 members (one more
			// tells whether a next page follows), only the account fields the
			// query shows.
			_, _, err := st.NetworkWithMembersFields(ctx, fmt.Sprintf("load-net-%d", rand.IntN(20)), 101, store.AccountFields{Handle: true})
			return err
		},
	}
}

// loadPair warms Neo4j (plans, JIT, page cache) and the server, then
// measures the driver-direct reads and the GraphQL query, 32 clients each.
func loadPair(b *testing.B, h *harness, dur time.Duration, name string, body func() ([]byte, error), fn func(context.Context) error) {
	pid := neo4jPID(b)
	// Warm up until the JVM's JIT compilers are (nearly) done: on a busy
	// 2-core machine a fresh server's C2 compiler threads keep working
	// for minutes, and their CPU would be counted per request. Windows of
	// GraphQL and direct reads alternate until the compiler threads take
	// under 5% of the server's CPU in a window (at least two windows, at
	// most LOCKSTEP_LOAD_WARMUP, default 3 minutes).
	maxWarm := 3 * time.Minute
	if d, err := time.ParseDuration(os.Getenv("LOCKSTEP_LOAD_WARMUP")); err == nil {
		maxWarm = d
	}
	warmStart := time.Now()
	for i := 0; ; i++ {
		j0, c0 := procCPU(pid), jitCPU(pid)
		attack(b, h, 3*time.Second, 32, body)
		direct(b, 3*time.Second, 32, fn)
		j, c := procCPU(pid)-j0, jitCPU(pid)-c0
		if pid == 0 || (i >= 1 && float64(c) < 0.05*float64(j)) || time.Since(warmStart) > maxWarm {
			b.Logf("warm-up %s (last window: JIT compilers %.0f%% of Neo4j's CPU)", time.Since(warmStart).Round(time.Second), 100*float64(c)/float64(max(j, 1)))
			break
		}
	}
	// Each comparison below alternates windows of the two paths (direct,
	// GraphQL, GraphQL, direct, ...) and adds them up, rather than
	// running one path and then the other: Neo4j's JIT goes on making its
	// statements cheaper for minutes after the warm-up, and other work on
	// a shared machine comes and goes, and either would otherwise count
	// for whichever path ran second.
	base, gql := compare(b, pid, dur, "32 clients", "", func(d time.Duration) result { return direct(b, d, 32, fn) },
		func(d time.Duration) result { return attack(b, h, d, 32, body) })
	if pid > 0 {
		b.ReportMetric(gql.perRequest(gql.neo4jCPU), "neo4j-cpu-µs/req")
	}
	b.ReportMetric(base.perRequest(base.goCPU), "direct-cpu-µs/req")
	b.ReportMetric(gql.perRequest(gql.goCPU), "gql-cpu-µs/req")
	b.ReportMetric(gql.Rate, "gql-req/s")
	b.ReportMetric(ms(gql.P99), "gql-p99-ms")
	b.ReportMetric(base.Rate, "direct-req/s")
	b.ReportMetric(ms(base.P99), "direct-p99-ms")
	b.ReportMetric(ratio(gql.Mean, base.Mean), "mean-ratio")

	// The same 32 clients from wrk, a C load generator in its own
	// process, in windows alternating with the direct reads as above: the
	// client's CPU is then not this process's, as the direct path has no
	// client either (vegeta, sharing this process and its cores with the
	// server, adds its own CPU to the GraphQL side only).
	if w, ok := newWrkLoad(b, h, 32, body); ok {
		var wrkCPU time.Duration
		stopProfile := profileFor(b, name+"-wrk")
		_, wr := compare(b, pid, dur, "32 clients, GraphQL from wrk", "wrk-", func(d time.Duration) result { return direct(b, d, 32, fn) },
			func(d time.Duration) result {
				r, c := w.run(b, d)
				wrkCPU += c
				return r
			})
		stopProfile()
		b.Logf("32 clients, GraphQL from wrk: wrk's own CPU %.0fµs per request (the Go CPU above is the server's alone)", wr.perRequest(wrkCPU))
		b.ReportMetric(wr.Rate, "wrk-req/s")
		b.ReportMetric(ms(wr.P99), "wrk-p99-ms")
	} else {
		b.Logf("wrk not installed (apt-get install wrk): the wrk measurement is skipped")
	}

	// The same two paths at one offered rate both sustain (half the
	// slower one's capacity), open loop. Back-to-back clients measure
	// capacity: with 32 of them on a saturated 2-core machine a request's
	// latency is mostly its wait for the CPU, 32 / throughput, whatever the
	// layer does. At an equal rate below saturation the difference is the
	// layer's own cost per request (and what it adds to the queue).
	rate := max(50, 0.5*min(base.Rate, gql.Rate))
	paced, pacedGQL := compare(b, pid, dur, fmt.Sprintf("at %.0f req/s", rate), "paced-", func(d time.Duration) result { return directPaced(b, d, rate, fn) },
		func(d time.Duration) result { return attackPaced(b, h, d, rate, body) })
	b.ReportMetric(ratio(pacedGQL.P99, paced.P99), "paced-p99-ratio")

	// Light load: the layer's own latency, with little queueing in it.
	// Even half of capacity keeps both cores busy over half the time, and
	// at that utilisation a request's wait for a CPU grows faster than
	// linearly with the work per request, so the equal-rate ratio above
	// still mixes the layer's cost with the queue it causes. One client
	// back to back measures service time alone; a tenth of capacity, open
	// loop, is a lightly used server.
	oneDirect, _ := compare(b, pid, dur, "one client", "one-client-", func(d time.Duration) result { return direct(b, d, 1, fn) },
		func(d time.Duration) result { return attack(b, h, d, 1, body) })
	low := max(20, 0.1*min(base.Rate, gql.Rate))
	compare(b, pid, dur, fmt.Sprintf("at %.0f req/s", low), "tenth-rate-", func(d time.Duration) result { return directPaced(b, d, low, fn) },
		func(d time.Duration) result { return attackPaced(b, h, d, low, body) })

	// The HTTP floor: the same vegeta client against a handler that
	// returns a canned copy of one GraphQL response (no key check, no
	// GraphQL, no Neo4j): what the load generator and net/http cost per
	// request in this process. It brackets the server's own capacity on
	// this machine's cores with the client on another one: between cores / (Neo4j +
	// GraphQL) (client counted) and cores / (Neo4j + GraphQL - floor)
	// (client and the server's HTTP handling both left out).
	canned := oneResponse(b, h, body)
	floorSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(canned)
	}))
	defer floorSrv.Close()
	c3 := cpuTime()
	fl := attackURL(b, floorSrv.URL, nil, dur/2, 32, body)
	floorCPU := float64(cpuTime()-c3) / float64(fl.N)
	b.Logf("HTTP floor (vegeta + net/http, canned %d-byte response): %.0f req/s, %.0fµs CPU per request", len(canned), fl.Rate, floorCPU/1e3)
	b.ReportMetric(floorCPU/1e3, "http-floor-cpu-µs/req")
	// At one client the floor's round trip is latency the direct read
	// never pays: with it alone (no key check, no GraphQL) an HTTP API's
	// one-client ratio would be this.
	oneFloor := attackURL(b, floorSrv.URL, nil, dur/4, 1, body)
	b.Logf("HTTP floor, one client: %.0fµs per request; on the one-client direct read (%.0fµs) that alone is %.2fx",
		float64(oneFloor.Mean)/1e3, float64(oneDirect.Mean)/1e3, ratio(oneDirect.Mean+oneFloor.Mean, oneDirect.Mean))
	b.ReportMetric(ratio(oneDirect.Mean+oneFloor.Mean, oneDirect.Mean), "one-client-http-floor-ratio")

	// The GraphQL floor: the same server answering { __typename } (key
	// check, rate limit, query limits, gqlgen's executor, our transport;
	// no resolver, no Neo4j). It is what the stack the API is built on
	// costs per request before any read: of the gap between the GraphQL
	// and the direct read, only what is above it is this project's code.
	typename := func() ([]byte, error) { return []byte(`{"query":"{ __typename }"}`), nil }
	c4 := cpuTime()
	gf := attack(b, h, dur/2, 32, typename)
	gqlFloorCPU := float64(cpuTime()-c4) / float64(gf.N)
	oneGQLFloor := attack(b, h, dur/4, 1, typename)
	b.Logf("GraphQL floor ({ __typename }: key check, limits, gqlgen, no resolver, no Neo4j): %.0f req/s, %.0fµs CPU per request; one client %.0fµs per request, which on the one-client direct read alone is %.2fx",
		gf.Rate, gqlFloorCPU/1e3, float64(oneGQLFloor.Mean)/1e3, ratio(oneDirect.Mean+oneGQLFloor.Mean, oneDirect.Mean))
	b.ReportMetric(gqlFloorCPU/1e3, "gql-floor-cpu-µs/req")
	b.ReportMetric(ratio(oneDirect.Mean+oneGQLFloor.Mean, oneDirect.Mean), "one-client-gql-floor-ratio")
	if pid > 0 {
		// Saturated, latency follows CPU per request: the floor's CPU
		// added to the direct read's bounds the 32-client ratio from below.
		neo, goDirect, goGQL := base.perRequest(base.neo4jCPU), base.perRequest(base.goCPU), gql.perRequest(gql.goCPU)
		b.Logf("32 clients: the GraphQL floor's CPU alone on the direct read would be %.2fx (Neo4j %.0fµs + Go %.0fµs + floor %.0fµs); the GraphQL path's Go CPU above direct and floor, this project's own code: %.0fµs per request",
			(neo+goDirect+gqlFloorCPU/1e3)/(neo+goDirect), neo, goDirect, gqlFloorCPU/1e3, goGQL-goDirect-gqlFloorCPU/1e3)
		b.ReportMetric((neo+goDirect+gqlFloorCPU/1e3)/(neo+goDirect), "gql-floor-cpu-ratio")
	}
	if pid > 0 {
		neo, gqlCPU := float64(gql.neo4jCPU)/float64(gql.N), float64(gql.goCPU)/float64(gql.N)
		cores := float64(runtime.NumCPU())
		b.Logf("GraphQL capacity from CPU on %.0f idle cores: %.0f req/s with the client in process, at most %.0f req/s with it elsewhere",
			cores, cores*1e9/(neo+gqlCPU), cores*1e9/(neo+gqlCPU-floorCPU))
	}
}

// traceFor writes an execution trace of the next 3 seconds (of a
// comparison's first windows) to $LOCKSTEP_LOAD_TRACE/<name>.trace when
// that variable names a directory
// (`go tool trace` shows what a slow request waited for); stop ends it
// early. Without the variable it does nothing.
func traceFor(t testing.TB, name string) (stop func()) {
	f := artifact(t, "LOCKSTEP_LOAD_TRACE", name+".trace")
	if f == nil {
		return func() {}
	}
	if err := trace.Start(f); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { trace.Stop(); _ = f.Close() }) }
	time.AfterFunc(3*time.Second, stop)
	return stop
}

// profileFor writes a CPU profile of this process until stop to
// $LOCKSTEP_LOAD_PROFILE/<name>.pprof when that variable names a directory
// (the wrk phase: the server's own work per request, no load generator in
// the profile). Without the variable it does nothing.
func profileFor(t testing.TB, name string) (stop func()) {
	f := artifact(t, "LOCKSTEP_LOAD_PROFILE", name+".pprof")
	if f == nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }
}

// artifact creates the file name (made safe as a file name) in the
// directory the environment variable dirVar names; nil when it is unset.
func artifact(t testing.TB, dirVar, name string) *os.File {
	dir := os.Getenv(dirVar)
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, strings.NewReplacer("(", "", ")", "", " ", "-", "+", "-").Replace(name)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// oneResponse returns the body of one GraphQL request.
func oneResponse(t testing.TB, h *harness, body func() ([]byte, error)) []byte {
	t.Helper()
	b, err := body()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+h.keys[admin])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	return out
}

// neo4jPID is the process id of the test binary's Neo4j (0 if unknown,
// e.g. with NEO4J_URI set).
func neo4jPID(t testing.TB) int {
	srv, err := managed.Status(storetest.Home(t))
	if err != nil || srv == nil {
		return 0
	}
	return srv.PID
}

// procCPU is the user+system CPU time of a process, from /proc.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	return statCPU(fmt.Sprintf("/proc/%d/stat", pid))
}

// statCPU reads utime+stime from a /proc stat file.
func statCPU(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// jitCPU is the CPU time of a JVM's JIT compiler threads ("C1/C2
// CompilerThread<n>", named "C2 CompilerThre" in /proc), from /proc.
func jitCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		comm, err := os.ReadFile(dir + "/" + t.Name() + "/comm")
		if err != nil || !bytes.Contains(comm, []byte("CompilerThre")) {
			continue
		}
		tid, _ := strconv.Atoi(t.Name())
		sum += taskCPU(pid, tid)
	}
	return sum
}

// taskCPU is the user+system CPU time of one thread, from /proc.
func taskCPU(pid, tid int) time.Duration {
	return statCPU(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
}

// cpuTime is the user+system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stealTime is the CPU time the hypervisor gave other guests while this
// machine's vCPUs wanted it (the steal column of /proc/stat, all CPUs;
// USER_HZ is 100 on Linux): on a shared host it tells a comparison whose
// machine slowed down under it from one whose code did.
func stealTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	ticks, _ := strconv.ParseInt(f[8], 10, 64)
	return time.Duration(ticks) * 10 * time.Millisecond
}

type result struct {
	N, Errors           int
	Rate                float64
	Mean, P50, P95, P99 time.Duration
	FirstError          string
	lats                []time.Duration // every latency, sorted (not from wrk)
	elapsed             time.Duration
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func report(t testing.TB, name string, r result) {
	t.Logf("%-55s %7d req  %7.0f req/s  mean %6.2fms  p50 %6.2fms  p95 %6.2fms  p99 %6.2fms  errors %d %s",
		name, r.N, r.Rate, ms(r.Mean), ms(r.P50), ms(r.P95), ms(r.P99), r.Errors, r.FirstError)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// attack runs vegeta with a fixed number of workers sending requests back
// to back (rate 0: as fast as they get answers) for dur.
func attack(t testing.TB, h *harness, dur time.Duration, workers uint64, body func() ([]byte, error)) result {
	t.Helper()
	return attackURL(t, h.ts.URL+"/graphql", http.Header{"Authorization": {"Bearer " + h.keys[admin]}}, dur, workers, body)
}

// attackURL is attack against any URL, with extra headers.
func attackURL(t testing.TB, url string, extra http.Header, dur time.Duration, workers uint64, body func() ([]byte, error)) result {
	t.Helper()
	return attackURLRate(t, url, extra, dur, workers, vegeta.Rate{Freq: 0}, body)
}

// attackURLRate is attackURL with a pacer: vegeta.Rate{Freq: 0} sends back
// to back from a fixed number of workers, a constant pacer open loop.
func attackURLRate(t testing.TB, url string, extra http.Header, dur time.Duration, workers uint64, pacer vegeta.Pacer, body func() ([]byte, error)) result {
	t.Helper()
	hdr := http.Header{"Content-Type": {"application/json"}}
	for k, v := range extra {
		hdr[k] = v
	}
	targeter := func(tg *vegeta.Target) error {
		b, err := body()
		if err != nil {
			return err
		}
		*tg = vegeta.Target{Method: http.MethodPost, URL: url, Body: b, Header: hdr}
		return nil
	}
	opts := []func(*vegeta.Attacker){vegeta.Workers(workers), vegeta.KeepAlive(true), vegeta.Connections(int(workers) * 2)}
	if r, ok := pacer.(vegeta.Rate); ok && r.Freq == 0 {
		opts = append(opts, vegeta.MaxWorkers(workers)) // back to back: exactly workers clients
	}
	a := vegeta.NewAttacker(opts...)
	var lats []time.Duration
	var errs int
	var firstErr string
	start := time.Now()
	for res := range a.Attack(targeter, pacer, dur, "load") {
		if res.Code != http.StatusOK || res.Error != "" || !bytes.HasPrefix(res.Body, []byte(`{"data":{`)) || bytes.Contains(res.Body, []byte(`"errors":`)) {
			if firstErr == "" {
				firstErr = fmt.Sprintf("%d %s %.200s", res.Code, res.Error, res.Body)
			}
			errs++
		}
		lats = append(lats, res.Latency)
	}
	r := summarise(lats, errs, time.Since(start))
	r.FirstError = firstErr
	return r
}

// attackPaced runs vegeta open loop at rate requests per second for dur.
func attackPaced(t testing.TB, h *harness, dur time.Duration, rate float64, body func() ([]byte, error)) result {
	t.Helper()
	return attackURLRate(t, h.ts.URL+"/graphql", http.Header{"Authorization": {"Bearer " + h.keys[admin]}}, dur, 32,
		vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}, body)
}

// directPaced calls fn open loop at rate calls per second for dur, as
// vegeta paces requests: each call starts at its scheduled time (or as
// soon as one of the workers is free) and its latency runs from its start.
func directPaced(t testing.TB, dur time.Duration, rate float64, fn func(context.Context) error) result {
	t.Helper()
	ctx := ctxT(t)
	n := int(rate * dur.Seconds())
	ticks := make(chan struct{}, 1024)
	lats := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var errs atomic.Int64
	var wg sync.WaitGroup
	for range 256 { // enough that a slow call never delays the schedule
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ticks {
				t0 := time.Now()
				if err := fn(ctx); err != nil {
					errs.Add(1)
				}
				l := time.Since(t0)
				mu.Lock()
				lats = append(lats, l)
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		ticks <- struct{}{}
	}
	close(ticks)
	wg.Wait()
	el := time.Since(start)
	return summarise(lats, int(errs.Load()), el)
}

// summarise turns latencies into a result.
func summarise(lats []time.Duration, errs int, el time.Duration) result {
	slices.Sort(lats)
	var sum time.Duration
	for _, l := range lats {
		sum += l
	}
	q := func(p float64) time.Duration { return lats[int(p*float64(len(lats)-1))] }
	return result{N: len(lats), Errors: errs, Rate: float64(len(lats)) / el.Seconds(), Mean: sum / time.Duration(len(lats)),
		P50: q(0.5), P95: q(0.95), P99: q(0.99), lats: lats, elapsed: el}
}

// direct runs fn from workers goroutines back to back for dur.
func direct(t testing.TB, dur time.Duration, workers int, fn func(context.Context) error) result {
	t.Helper()
	ctx := ctxT(t)
	deadline := time.Now().Add(dur)
	var mu sync.Mutex
	var lats []time.Duration
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := fn(ctx); err != nil {
					errs.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return summarise(lats, int(errs.Load()), time.Since(start))
}

// seedLoadWorld writes n accounts with 3 IPs and 2 devices each (from
// shared pools, so IPs have several accounts) and 20 networks of 150
// members with evidence, under a finished run.
func seedLoadWorld(t testing.TB, st *store.Store, n int) {
	t.Helper()
	ctx := ctxT(t)
	const batch = 5000
	w := func(cypher string, rows []map[string]any) {
		if err := st.WriteRows(ctx, cypher, rows); err != nil {
			t.Fatal(err)
		}
	}
	for lo := 0; lo < n; lo += batch {
		var rows []map[string]any
		for i := lo; i < min(n, lo+batch); i++ {
			rows = append(rows, map[string]any{"id": fmt.Sprintf("acc%07d", i),
				"ips":  []string{fmt.Sprintf("10.%d.%d.1", i%50, (i/50)%100), fmt.Sprintf("10.1%d.%d.2", i%7, i%90), "192.0.2.1"},
				"devs": []string{fmt.Sprintf("dev-%d", i%(n/2)), fmt.Sprintf("dev-x%d", i)}})
		}
		w(`UNWIND $rows AS r
CREATE (a:Account {id: r.id, handle: 'h' + r.id, country: 'US', verified: false, createdAt: datetime('2026-01-01T00:00:00Z')})
WITH a, r
UNWIND range(0, 2) AS k
MERGE (ip:IP {addr: r.ips[k]}) ON CREATE SET ip.kind = 'residential', ip.asn = 64500
CREATE (a)-[:USED_IP {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-01T00:00:00Z'), count: k + 1}]->(ip)
WITH a, r, k WHERE k < 2
MERGE (d:Device {id: r.devs[k]}) ON CREATE SET d.os = 'android'
CREATE (a)-[:USED_DEVICE {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-01T00:00:00Z'), count: 1}]->(d)`, rows)
	}
	var nets []store.NetworkRow
	for i := range 20 {
		var ms []store.MemberRow
		for j := range 150 {
			ms = append(ms, store.MemberRow{AccountID: fmt.Sprintf("acc%07d", i*150+j), Score: 1 - float64(j)/200, Role: "core"})
		}
		nets = append(nets, store.NetworkRow{ID: fmt.Sprintf("load-net-%d", i), Key: fmt.Sprintf("load-net-%d", i), Size: 150, Score: 0.9,
			Signals:  `[{"name":"shared_infrastructure","value":0.9},{"name":"sweep_coverage","value":0.8}]`,
			Evidence: []string{"150 accounts share 3 IPs", "sweep of 4,000 consecutive numbers"}, StateReasons: []string{"one time zone"},
			Members: ms})
	}
	if err := st.StartRun(ctx, "load-run", time.Now(), "{}"); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteNetworks(ctx, "load-run", nets, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, "load-run", time.Now(), "{}"); err != nil {
		t.Fatal(err)
	}
}

// measured is a result with the CPU spent while it was measured.
type measured struct {
	result
	goCPU    time.Duration // this process: server, driver and, for GraphQL over vegeta, the client
	neo4jCPU time.Duration // Neo4j's, less its JIT compiler threads' (left over from the warm-up, not a cost of the requests)
	jitCPU   time.Duration
}

func (m measured) perRequest(d time.Duration) float64 { return float64(d) / float64(max(m.N, 1)) / 1e3 }

// windows is how many windows of each path a comparison alternates.
const windows = 10

// compare measures the direct reads and the GraphQL ones in alternating
// windows (direct, GraphQL, GraphQL, direct, ...; dur in all for each
// path), logs each path's latency and CPU per request, and the GraphQL /
// direct ratios over all the windows and within each pair of neighbouring
// windows. metric, unless empty, prefixes the ratios among the
// benchmark's figures.
func compare(b *testing.B, pid int, dur time.Duration, load, metric string, runDirect, runGQL func(time.Duration) result) (base, gql measured) {
	var ds, gs []measured
	var pairs []string
	steal0, wall0 := stealTime(), time.Now()
	run := func(f func(time.Duration) result, trace string) measured {
		c0, j0, k0 := cpuTime(), procCPU(pid), jitCPU(pid)
		stop := func() {}
		if trace != "" {
			stop = traceFor(b, trace)
		}
		r := f(dur / windows)
		stop()
		k := jitCPU(pid) - k0
		return measured{result: r, goCPU: cpuTime() - c0, neo4jCPU: procCPU(pid) - j0 - k, jitCPU: k}
	}
	for i := range windows {
		var d, g measured
		dt, gt := "", ""
		if i == 0 {
			dt, gt = load+"-direct", load+"-graphql"
		}
		if i%2 == 0 {
			d = run(runDirect, dt)
			g = run(runGQL, gt)
		} else {
			g = run(runGQL, gt)
			d = run(runDirect, dt)
		}
		ds, gs = append(ds, d), append(gs, g)
		pairs = append(pairs, fmt.Sprintf("%.2f", ratio(g.Mean, d.Mean)))
	}
	base, gql = mergeMeasured(ds), mergeMeasured(gs)
	report(b, "driver-direct, "+load, base.result)
	report(b, "GraphQL, "+load, gql.result)
	b.Logf("%s, CPU per request: Go direct %.0fµs, GraphQL (server + client) %.0fµs; Neo4j direct %.0fµs, GraphQL %.0fµs (JIT compilers besides: %.1fs, %.1fs)", load,
		base.perRequest(base.goCPU), gql.perRequest(gql.goCPU), base.perRequest(base.neo4jCPU), gql.perRequest(gql.neo4jCPU),
		base.jitCPU.Seconds(), gql.jitCPU.Seconds())
	b.Logf("%s, GraphQL/direct latency: mean %.2fx, p50 %.2fx, p99 %.2fx (mean within each pair of windows: %s); CPU steal %.1f%% of the %d vCPUs", load,
		ratio(gql.Mean, base.Mean), ratio(gql.P50, base.P50), ratio(gql.P99, base.P99), strings.Join(pairs, " "),
		100*float64(stealTime()-steal0)/float64(time.Duration(runtime.NumCPU())*time.Since(wall0)), runtime.NumCPU())
	if metric != "" {
		b.ReportMetric(ratio(gql.Mean, base.Mean), metric+"mean-ratio")
		b.ReportMetric(ratio(gql.P50, base.P50), metric+"p50-ratio")
	}
	if gql.Errors > 0 || base.Errors > 0 {
		b.Errorf("errors, %s: GraphQL %d (%s), direct %d", load, gql.Errors, gql.FirstError, base.Errors)
	}
	return base, gql
}

// mergeMeasured adds up the windows of one path.
func mergeMeasured(ms []measured) measured {
	var all measured
	var lats []time.Duration
	var el time.Duration
	for _, m := range ms {
		lats = append(lats, m.lats...)
		el += m.elapsed
		all.Errors += m.Errors
		all.goCPU += m.goCPU
		all.neo4jCPU += m.neo4jCPU
		all.jitCPU += m.jitCPU
		if all.FirstError == "" {
			all.FirstError = m.FirstError
		}
	}
	errs, first := all.Errors, all.FirstError
	all.result = summarise(lats, errs, el)
	all.FirstError = first
	return all
}
