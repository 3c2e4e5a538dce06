package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/server"
)

const progressSubscription = `subscription($id: ID!) { detectionProgress(runId: $id) { runId stage done total status message } }`

// BenchmarkProgressSubscriptions opens 200 GraphQL WebSocket subscriptions
// (graphql-transport-ws, one connection each) to the progress of one
// detection run over the seeded world, starts the run once every
// subscriber has its first event, and fails unless every one receives
// FINISHED and then the end of the stream. It reports the time from the
// run's start to the last subscriber's completion, the run's own time, and
// the process's heap in use and goroutines before, with the subscriptions
// open, and after they closed.
//
//	cd bench/load && go test -run '^$' -bench ProgressSubscriptions -benchtime 1x -timeout 0 -v
//
// LOCKSTEP_SUBSCRIBERS (default 200) changes the number of subscribers.
func BenchmarkProgressSubscriptions(b *testing.B) {
	n := 200
	if v, err := strconv.Atoi(os.Getenv("LOCKSTEP_SUBSCRIBERS")); err == nil && v > 0 {
		n = v
	}
	var (
		w      *world
		gate   = make(chan struct{})
		ranFor = make(chan time.Duration, 1)
	)
	// Detection proper, held back until every subscriber is attached, so
	// that all of them follow the whole run.
	det := server.DetectorFunc(func(in model.RunDetectionInput) (string, func(context.Context, func(string, int, int)) error, error) {
		id, run, err := detect.Runner{Store: w.st}.Prepare(in)
		return id, func(ctx context.Context, progress func(string, int, int)) error {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
			t0 := time.Now()
			defer func() { ranFor <- time.Since(t0) }()
			return run(ctx, progress)
		}, err
	})
	// One address opens every connection here: lift the per-client cap.
	w = newWorld(b, server.Config{Detect: det, MaxConnsPerIP: 2 * n})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	start := time.Now()
	before := sampleRuntime(start)
	runID := w.startRun(b)
	var (
		ready, done sync.WaitGroup
		mu          sync.Mutex
		finished    []time.Time
		failures    []string
	)
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			at, err := w.followRun(ctx, runID, ready.Done)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Sprintf("subscriber %d: %v", i, err))
				return
			}
			finished = append(finished, at)
		}()
	}
	ready.Wait()
	open := sampleRuntime(start)
	t0 := time.Now()
	close(gate)
	done.Wait()
	run := <-ranFor
	// Let the server's side of the closed connections wind down.
	after := sampleRuntime(start)
	for deadline := time.Now().Add(15 * time.Second); after.goroutines > before.goroutines+20 && time.Now().Before(deadline); {
		time.Sleep(time.Second)
		after = sampleRuntime(start)
	}

	var last time.Duration
	for _, at := range finished {
		last = max(last, at.Sub(t0))
	}
	b.Logf("%d subscribers, %d received FINISHED; run %s, last completion %s after the run started (%s after it ended)",
		n, len(finished), run.Round(time.Millisecond), last.Round(time.Millisecond), (last - run).Round(time.Millisecond))
	b.Logf("heap in use: before %.1f MiB, %d subscriptions open %.1f MiB, after %.1f MiB", before.heapMiB, n, open.heapMiB, after.heapMiB)
	b.Logf("goroutines: before %d, %d subscriptions open %d, after %d", before.goroutines, n, open.goroutines, after.goroutines)
	b.ReportMetric(float64(last)/1e6, "last_completion_ms")
	b.ReportMetric(float64(run)/1e6, "run_ms")
	if len(failures) > 0 {
		b.Fatalf("%d of %d subscribers did not receive completion; first: %s", len(failures), n, failures[0])
	}
	if after.goroutines > before.goroutines+20 {
		b.Errorf("%d goroutines after the subscriptions closed, %d before: a subscription's goroutines outlive it", after.goroutines, before.goroutines)
	}
}

// startRun starts a detection run through the API and returns its id.
func (w *world) startRun(b *testing.B) string {
	tg := w.graphQL("run", w.analyst, `mutation { runDetection(input: {seed: 1}) { id status } }`, nil)
	req, err := http.NewRequest(tg.Method, tg.URL, bytes.NewReader(tg.Body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header = tg.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			RunDetection struct{ ID, Status string }
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 || out.Data.RunDetection.Status != "RUNNING" {
		b.Fatalf("runDetection: %+v %v %v", out.Data, out.Errors, err)
	}
	return out.Data.RunDetection.ID
}

// followRun subscribes to a run's progress on a connection of its own,
// calls attached on the first event, and returns when the FINISHED event
// arrived, once the server has ended the stream.
func (w *world) followRun(ctx context.Context, runID string, attached func()) (finished time.Time, err error) {
	once := sync.OnceFunc(attached)
	defer once() // a subscriber that failed early must not hold the others
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return finished, err
	}
	defer c.CloseNow()
	send := func(msg map[string]any) error { return wsjson.Write(ctx, c, msg) }
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + w.viewer}}); err != nil {
		return finished, err
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": progressSubscription, "variables": map[string]any{"id": runID}}}); err != nil {
		return finished, err
	}
	for {
		var msg struct {
			Type    string
			Payload json.RawMessage
		}
		if err := wsjson.Read(ctx, c, &msg); err != nil {
			return finished, fmt.Errorf("stream broke (FINISHED seen: %t): %w", !finished.IsZero(), err)
		}
		switch msg.Type {
		case "ping":
			if err := send(map[string]any{"type": "pong"}); err != nil {
				return finished, err
			}
		case "next":
			var ev struct {
				Data struct {
					DetectionProgress struct{ Status, Stage string }
				}
			}
			if err := json.Unmarshal(msg.Payload, &ev); err != nil {
				return finished, err
			}
			once()
			switch ev.Data.DetectionProgress.Status {
			case "FINISHED":
				finished = time.Now()
			case "FAILED":
				return finished, fmt.Errorf("run failed: %s", msg.Payload)
			}
		case "complete":
			if finished.IsZero() {
				return finished, fmt.Errorf("stream completed without FINISHED")
			}
			c.Close(websocket.StatusNormalClosure, "")
			return finished, nil
		case "error":
			return finished, fmt.Errorf("subscription error: %s", msg.Payload)
		}
	}
}
