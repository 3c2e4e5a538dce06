package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/benchrun"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// soakKind is one kind of request of the soak's mix.
type soakKind struct {
	name   string
	weight int
	target func(w *world, list string) vegeta.Target
	// ok tells a good response from a failed one.
	ok func(res *vegeta.Result) bool
}

const (
	networksQuery = `{ networks(first: 20, orderBy: {field: SCORE, direction: DESC}) { totalCount
  pageInfo { hasNextPage endCursor } edges { node { id score size reviewStatus signals { name contribution } } } } }`
	neighborhoodQuery = `query($id: ID!) { neighborhood(accountId: $id, depth: 2, limit: 200) { truncated
  nodes { id kind label depth } edges { source target targetKind count } } }`
	reviewMutation = `mutation($id: ID!, $v: Verdict!) { reviewNetwork(id: $id, verdict: $v, note: "soak review") { id verdict at } }`
)

// soakMix is an analyst's day: mostly reading lists, networks and accounts,
// with neighbourhoods (about 5x the cost of a read), reviews and exports of
// a suspension list (5-10x) between. Weights are out of 24.
var soakMix = []soakKind{
	{"networks", 6, func(w *world, _ string) vegeta.Target { return w.graphQL("networks", w.viewer, networksQuery, nil) }, benchrun.GraphQLOK},
	{"network", 6, func(w *world, _ string) vegeta.Target {
		return w.graphQL("network", w.viewer, networkQuery, map[string]any{"id": fmt.Sprintf("load-net-%d", rand.IntN(networks))})
	}, benchrun.GraphQLOK},
	{"account", 7, func(w *world, _ string) vegeta.Target {
		return w.graphQL("account", w.viewer, accountQuery, map[string]any{"id": fmt.Sprintf("acc%07d", rand.IntN(w.accounts))})
	}, benchrun.GraphQLOK},
	{"neighborhood", 2, func(w *world, _ string) vegeta.Target {
		return w.graphQL("neighborhood", w.viewer, neighborhoodQuery, map[string]any{"id": fmt.Sprintf("acc%07d", rand.IntN(w.accounts))})
	}, benchrun.GraphQLOK},
	{"review", 2, func(w *world, _ string) vegeta.Target {
		return w.graphQL("review", w.analyst, reviewMutation, map[string]any{"id": fmt.Sprintf("load-net-%d", rand.IntN(networks)),
			"v": []string{"CONFIRM", "DISMISS", "ESCALATE"}[rand.IntN(3)]})
	}, benchrun.GraphQLOK},
	{"export", 1, func(w *world, list string) vegeta.Target {
		// The fragment names the kind for the results; it is not sent.
		return vegeta.Target{Method: http.MethodGet, URL: w.url + "/export/suspension-lists/" + list + "?format=csv#export",
			Header: http.Header{"Authorization": {"Bearer " + w.analyst}}}
	}, func(res *vegeta.Result) bool {
		// A whole export ends with its checksum line, every member listed.
		return res.Code == http.StatusOK && res.Error == "" &&
			bytes.Contains(res.Body, []byte("\n# sha256=")) && bytes.Contains(res.Body, []byte(" rows="+strconv.Itoa(networks*150)+" "))
	}},
}

// graphQL is a POST of query with vars under key; the URL's fragment names
// the kind of request (it is not sent).
func (w *world) graphQL(kind, key, query string, vars map[string]any) vegeta.Target {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return vegeta.Target{Method: http.MethodPost, URL: w.url + "/graphql#" + kind, Body: body,
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}}}
}

// runtimeSample is the process's heap in use and goroutines after a GC.
// Server, client and driver share the process: both figures cover all of
// them, so a leak in any shows.
type runtimeSample struct {
	at         time.Duration
	heapMiB    float64
	goroutines int
}

func sampleRuntime(start time.Time) runtimeSample {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return runtimeSample{at: time.Since(start).Round(time.Second), heapMiB: float64(m.HeapInuse) / (1 << 20), goroutines: runtime.NumGoroutine()}
}

// BenchmarkSoak serves the seeded world a mixed analyst workload (network
// lists, network(id) with members, account(id), neighbourhoods, reviews,
// exports of a 3,000-account suspension list) at a fixed rate for a long
// time, and fails on any error. It reports p50 and p99 per kind, and the
// heap in use and goroutines every 30 s, so that a leak shows as a rise.
//
//	cd bench/load && go test -run '^$' -bench Soak -benchtime 1x -timeout 0 -v
//
// LOCKSTEP_SOAK_RATE (default 20) is requests/s, LOCKSTEP_SOAK_DURATION
// (default 10m) the measurement, LOCKSTEP_SOAK_WARMUP (default 30s) a
// warm-up at the same rate before it, not counted.
func BenchmarkSoak(b *testing.B) {
	rate := 20
	if n, err := strconv.Atoi(os.Getenv("LOCKSTEP_SOAK_RATE")); err == nil && n > 0 {
		rate = n
	}
	dur := envDuration("LOCKSTEP_SOAK_DURATION", 10*time.Minute)
	warm := envDuration("LOCKSTEP_SOAK_WARMUP", 30*time.Second)
	w := newWorld(b, server.Config{})
	list := w.suspensionList(b)

	start := time.Now()
	first := sampleRuntime(start)
	b.Logf("before load: heap in use %.1f MiB, %d goroutines", first.heapMiB, first.goroutines)
	soak(b, w, list, rate, warm, nil)
	b.Logf("warm-up done (%s at %d req/s)", warm, rate)

	var (
		mu      sync.Mutex
		samples = []runtimeSample{sampleRuntime(start)}
		sent    [2]atomic.Int64 // responses, failures
		done    = make(chan struct{})
		stopped = make(chan struct{})
	)
	go func() {
		defer close(stopped)
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				s := sampleRuntime(start)
				b.Logf("t=%-6s heap in use %6.1f MiB  %4d goroutines  %6d requests  %d errors", s.at, s.heapMiB, s.goroutines, sent[0].Load(), sent[1].Load())
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		}
	}()
	per := soak(b, w, list, rate, dur, &sent)
	close(done)
	<-stopped
	time.Sleep(5 * time.Second) // let idle connections' goroutines settle
	last := sampleRuntime(start)
	samples = append(samples, last)

	var errors int
	for _, k := range soakMix {
		m := per[k.name]
		b.Logf("%-13s %6d requests  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  errors %d", k.name, m.Requests,
			ms(m.Latencies.P50), ms(m.Latencies.P99), ms(m.Latencies.Max), m.Failed)
		b.ReportMetric(ms(m.Latencies.P99), k.name+"_p99_ms")
		errors += m.Failed
	}
	peak := samples[0]
	for _, s := range samples {
		if s.heapMiB > peak.heapMiB {
			peak = s
		}
	}
	b.Logf("heap in use: before load %.1f MiB, load start %.1f MiB, load end %.1f MiB (peak %.1f at %s), after %.1f MiB",
		first.heapMiB, samples[0].heapMiB, samples[len(samples)-2].heapMiB, peak.heapMiB, peak.at, last.heapMiB)
	b.Logf("goroutines: before load %d, load start %d, load end %d, after %d",
		first.goroutines, samples[0].goroutines, samples[len(samples)-2].goroutines, last.goroutines)
	b.ReportMetric(samples[len(samples)-2].heapMiB-samples[0].heapMiB, "heap_growth_MiB")
	if errors > 0 {
		for _, k := range soakMix {
			if m := per[k.name]; m.Failed > 0 {
				b.Logf("%s: first error: %s", k.name, m.FirstErr)
			}
		}
		b.Fatalf("%d requests failed", errors)
	}
}

// soak sends soakMix at rate requests/s for dur and returns the metrics
// of each kind; sent, when not nil, counts the responses and failures.
func soak(b *testing.B, w *world, list string, rate int, dur time.Duration, sent *[2]atomic.Int64) map[string]*benchrun.Measured {
	var total int
	for _, k := range soakMix {
		total += k.weight
	}
	targeter := func(tg *vegeta.Target) error {
		n := rand.IntN(total)
		for _, k := range soakMix {
			if n -= k.weight; n < 0 {
				*tg = k.target(w, list)
				return nil
			}
		}
		panic("unreachable")
	}
	per := map[string]*benchrun.Measured{}
	check := map[string]func(*vegeta.Result) bool{}
	for _, k := range soakMix {
		per[k.name], check[k.name] = &benchrun.Measured{}, k.ok
	}
	// A client of its own, so that its idle connections can be closed at
	// the end and the goroutines counted after the load are the server's.
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	a := vegeta.NewAttacker(vegeta.Client(&http.Client{Transport: tr, Timeout: 30 * time.Second}), vegeta.MaxWorkers(256))
	for res := range a.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, dur, "soak") {
		_, kind, _ := strings.Cut(res.URL, "#")
		m := per[kind]
		ok := check[kind](res)
		m.Record(res, ok)
		if !ok && m.Failed == 1 && sent != nil { // shown at once: a long run may be stopped early
			b.Logf("%s: first error at %s: %s", kind, res.Timestamp.Format(time.TimeOnly), m.FirstErr)
		}
		if !ok && sent != nil {
			sent[1].Add(1)
		}
		if sent != nil {
			sent[0].Add(1)
		}
	}
	for _, m := range per {
		m.Close()
	}
	return per
}

// suspensionList saves the list of every member of the seeded run's
// networks (through the store: setup, not measured) and returns its id.
func (w *world) suspensionList(b *testing.B) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l, err := w.st.CreateSuspensionList(ctx, store.SuspensionCriteria{RunID: "load-run"},
		store.AuditEvent{At: time.Now(), Actor: "load-analyst", Role: store.RoleAnalyst, Action: "createSuspensionList"})
	if err != nil {
		b.Fatal(err)
	}
	if l.AccountCount != networks*150 {
		b.Fatalf("suspension list %s has %d accounts, want %d", l.ID, l.AccountCount, networks*150)
	}
	return l.ID
}
