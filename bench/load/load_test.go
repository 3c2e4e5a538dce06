// Package load is the API's load benchmark: absolute throughput and
// latency of two views through the whole server (HTTP, key check, limits,
// gqlgen, loaders, Neo4j), driven from this process by benchrun.Load (vegeta),
// the driver of `lockstep bench`. It holds benchmarks only.
//
//	cd bench/load && go test -run '^$' -bench APILoad -benchtime 1x -v
//
// LOCKSTEP_LOAD_DURATION (default 20s) is each measurement's length,
// LOCKSTEP_LOAD_WARMUP (default 30s) the warm-up of each view before it
// (Neo4j's JIT compiles its statements for the first tens of seconds),
// LOCKSTEP_LOAD_ACCOUNTS (default 20000) the size of the seeded world.
package load_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/benchrun"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clients is how many clients send requests back to back (the targets in
// BENCHMARKS.md are stated at 32).
const clients = 32

// The views are `lockstep bench`'s, so both measure the same requests.
const (
	accountQuery = benchrun.AccountQuery
	networkQuery = benchrun.NetworkQuery
)

// BenchmarkAPILoad serves a seeded world and measures, with 32 clients
// back to back: account(id) with its IPs and devices, and network(id)
// with its first 100 members and evidence. It reports requests/s and the
// p50 and p99 latency of each.
func BenchmarkAPILoad(b *testing.B) {
	dur := envDuration("LOCKSTEP_LOAD_DURATION", 20*time.Second)
	warm := envDuration("LOCKSTEP_LOAD_WARMUP", 30*time.Second)
	w := newWorld(b, server.Config{})
	neo := neo4jPID(b)

	for _, v := range []struct {
		name, metric, query, ids string
		n                        int
	}{
		{"account(id)+ips+devices", "account", accountQuery, "acc%07d", w.accounts},
		{"network(id)+100 members+evidence", "network", networkQuery, "load-net-%d", networks},
	} {
		l := benchrun.Load{Clients: clients, Duration: warm, OK: benchrun.GraphQLOK,
			Target: benchrun.GraphQLTarget(w.url+"/graphql", w.viewer, v.query, func() map[string]any {
				return map[string]any{"id": fmt.Sprintf(v.ids, rand.IntN(v.n))}
			})}
		run(b, l)
		goCPU, neoCPU := processCPU(os.Getpid()), processCPU(neo)
		l.Duration = dur
		m := run(b, l)
		goCPU, neoCPU = processCPU(os.Getpid())-goCPU, processCPU(neo)-neoCPU
		load, _ := os.ReadFile("/proc/loadavg")
		b.Logf("%-34s %d clients: %6.0f requests/s  p50 %5.1f ms  p99 %5.1f ms  CPU a request: this process (server and vegeta) %.2f ms, Neo4j %.2f ms  (%d requests, %d errors; load %.14s)",
			v.name, clients, m.Throughput, ms(m.Latencies.P50), ms(m.Latencies.P99),
			ms(goCPU)/float64(m.Requests), ms(neoCPU)/float64(m.Requests), m.Requests, m.Failed, load)
		if m.Failed > 0 {
			b.Errorf("%s: %d of %d requests failed; first: %s", v.name, m.Failed, m.Requests, m.FirstErr)
		}
		b.ReportMetric(m.Throughput, v.metric+"_req/s")
		b.ReportMetric(ms(m.Latencies.P99), v.metric+"_p99_ms")
		b.ReportMetric((ms(goCPU)+ms(neoCPU))/float64(m.Requests), v.metric+"_cpu_ms/req")
	}
}

// world is a seeded database served on a loopback listener, with a
// viewer and an analyst key.
type world struct {
	st              *store.Store
	url             string // the server's base URL
	viewer, analyst string // API keys
	accounts        int    // how many accounts seed wrote
}

// newWorld seeds LOCKSTEP_LOAD_ACCOUNTS accounts (default 20000) and
// serves them with cfg, whose store, key, log and request limits it fills
// in: the limits are lifted, since one key stands for many clients here.
func newWorld(b *testing.B, cfg server.Config) *world {
	w := &world{accounts: 20000}
	if n, err := strconv.Atoi(os.Getenv("LOCKSTEP_LOAD_ACCOUNTS")); err == nil && n >= 3000 {
		w.accounts = n
	}
	server.TuneGC() // as `lockstep serve` does
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	w.st = storetest.New(b)
	seed(ctx, b, w.st, w.accounts)
	for role, key := range map[store.Role]*string{store.RoleViewer: &w.viewer, store.RoleAnalyst: &w.analyst} {
		_, secret, err := w.st.CreateAPIKey(ctx, "load-"+strings.ToLower(string(role)), role)
		if err != nil {
			b.Fatal(err)
		}
		*key = secret
	}
	cfg.Store, cfg.HMACKey = w.st, []byte("load-benchmark-hmac-key-0123456789")
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.RatePerSecond, cfg.RateBurst, cfg.CostPerSecond, cfg.CostBurst = 1e6, 1e6, 1e9, 1e9
	srv := server.New(cfg)
	b.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	w.url = ts.URL
	return w
}

// run drives l (benchrun's driver, as `lockstep bench` does).
func run(b *testing.B, l benchrun.Load) benchrun.Measured {
	m, err := l.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// neo4jPID finds the test Neo4j's process by the home it was started
// with, so the benchmark can report Neo4j's CPU a request: on a shared
// machine CPU time moves far less with the neighbours than wall time.
// 0 (CPU not reported) with NEO4J_URI.
func neo4jPID(b *testing.B) int {
	home := storetest.Home(b)
	if home == "" {
		return 0
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, c := range cmdlines {
		if line, err := os.ReadFile(c); err == nil && bytes.Contains(line, []byte("-Dlockstep.home="+home+"\x00")) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(c)))
			return pid
		}
	}
	return 0
}

// processCPU is the user and system CPU time pid has used (Linux).
func processCPU(pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if pid == 0 || err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces): utime
	// and stime are the 12th and 13th, in clock ticks (100 a second).
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// networks is how many networks of 150 members seed writes.
const networks = 20

// seed writes n accounts (acc0000000...), each with three IPs (one shared
// by all, as a carrier NAT is) and two devices, and 20 networks of 150
// members with signals and evidence.
func seed(ctx context.Context, b *testing.B, st *store.Store, n int) {
	const batch = 5000
	for lo := 0; lo < n; lo += batch {
		var rows []map[string]any
		for i := lo; i < min(n, lo+batch); i++ {
			rows = append(rows, map[string]any{"id": fmt.Sprintf("acc%07d", i),
				"ips":  []string{fmt.Sprintf("10.%d.%d.1", i%50, (i/50)%100), fmt.Sprintf("10.1%d.%d.2", i%7, i%90), "192.0.2.1"},
				"devs": []string{fmt.Sprintf("dev-%d", i%(n/2)), fmt.Sprintf("dev-x%d", i)}})
		}
		if err := st.WriteRows(ctx, `UNWIND $rows AS r
CREATE (a:Account {id: r.id, handle: 'h' + r.id, country: 'US', verified: false, createdAt: datetime('2026-01-01T00:00:00Z')})
WITH a, r
UNWIND range(0, 2) AS k
MERGE (ip:IP {addr: r.ips[k]}) ON CREATE SET ip.kind = 'residential', ip.asn = 64500
CREATE (a)-[:USED_IP {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-01T00:00:00Z'), count: k + 1}]->(ip)
WITH a, r, k WHERE k < 2
MERGE (d:Device {id: r.devs[k]}) ON CREATE SET d.os = 'android'
CREATE (a)-[:USED_DEVICE {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-01T00:00:00Z'), count: 1}]->(d)`, rows); err != nil {
			b.Fatal(err)
		}
	}
	var nets []store.NetworkRow
	for i := range networks {
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
		b.Fatal(err)
	}
	if err := st.WriteNetworks(ctx, "load-run", nets, nil); err != nil {
		b.Fatal(err)
	}
	if err := st.FinishRun(ctx, "load-run", time.Now(), "{}"); err != nil {
		b.Fatal(err)
	}
}
