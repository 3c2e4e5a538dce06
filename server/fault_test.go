package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// TestNeo4jKilledWhileServing kills Neo4j (SIGKILL) under a running
// server: requests then end with a clear error within their time limit,
// /healthz says the database is unreachable, and once Neo4j is started
// again (on the same port, kept per home) the same server answers again
// without a restart. It runs a Neo4j of its own, since the shared test
// server must stay up.
func TestNeo4jKilledWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a Neo4j of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	home := t.TempDir()
	opts := managed.Options{Heap: "512m", PageCache: "64m", RuntimeDir: managed.SharedRuntimeDir(), ExitWithParent: true,
		ReadyTimeout: 10 * time.Minute} // recovery after SIGKILL on a busy machine
	srv, err := managed.Start(ctx, home, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = managed.Stop(context.Background(), home) })
	st, err := store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, secret, err := st.CreateAPIKey(ctx, "fault-key", store.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 3 * time.Second
	s := server.New(server.Config{Store: st, HMACKey: hmacKey, Timeout: limit, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	query := func() (code string, took time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", strings.NewReader(`{"query":"{ networks(first: 1) { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if len(out.Errors) == 0 && resp.StatusCode == http.StatusOK {
			return "", time.Since(start)
		}
		if len(out.Errors) == 0 {
			t.Fatalf("status %d with no error", resp.StatusCode)
		}
		c, _ := out.Errors[0].Extensions["code"].(string)
		if c == "" || c == "INTERNAL" {
			t.Fatalf("status %d, error %+v: want a coded error that says what happened", resp.StatusCode, out.Errors[0])
		}
		return c, time.Since(start)
	}
	health := func() int {
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if code, _ := query(); code != "" {
		t.Fatalf("before the kill: %s", code)
	}
	if err := syscall.Kill(srv.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && syscall.Kill(srv.PID, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	for range 3 {
		code, took := query()
		if code != "UNAVAILABLE" && code != "TIMEOUT" {
			t.Fatalf("with Neo4j dead: code %q, want UNAVAILABLE or TIMEOUT", code)
		}
		// The limit holds end to end; the second of slack is the
		// backstop the middleware adds past it.
		if took > limit+2*time.Second {
			t.Fatalf("with Neo4j dead a request took %v, past its %v limit", took, limit)
		}
		t.Logf("with Neo4j dead: %s after %v", code, took.Round(time.Millisecond))
	}
	if c := health(); c != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with Neo4j dead: %d, want 503", c)
	}

	again, err := managed.Start(ctx, home, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Port != srv.Port {
		t.Fatalf("restarted on port %d, was %d: the running server cannot find it", again.Port, srv.Port)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, _ := query()
		if code == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not recover within 2 minutes of Neo4j's restart: %s", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if c := health(); c != http.StatusOK {
		t.Fatalf("/healthz after recovery: %d", c)
	}
}
