package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestNeo4jKilledWhileServing kills Neo4j (SIGKILL) under a running
// server: requests then end with UNAVAILABLE, saying the database is not
// reachable, within about a second (the store's probe, not the driver's
// retry budget or the request's limit, ends them), /healthz says the
// database is unreachable, and once Neo4j is started again (on the same
// port, kept per home) the same server answers again without a restart.
// It runs a Neo4j of its own, since the shared test server must stay up.
func TestNeo4jKilledWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a Neo4j of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	neo := storetest.NewKillable(t, ctx)
	st := neo.Store
	_, secret, err := st.CreateAPIKey(ctx, "fault-key", store.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 3 * time.Second
	s := server.New(server.Config{Store: st, HMACKey: hmacKey, Timeout: limit, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	query := func() (code, msg string, took time.Duration) {
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
			return "", "", time.Since(start)
		}
		if len(out.Errors) == 0 {
			t.Fatalf("status %d with no error", resp.StatusCode)
		}
		c, _ := out.Errors[0].Extensions["code"].(string)
		if c == "" || c == "INTERNAL" {
			t.Fatalf("status %d, error %+v: want a coded error that says what happened", resp.StatusCode, out.Errors[0])
		}
		return c, out.Errors[0].Message, time.Since(start)
	}
	health := func() (int, time.Duration) {
		start := time.Now()
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}

	if code, _, _ := query(); code != "" {
		t.Fatalf("before the kill: %s", code)
	}
	neo.Kill(t)
	// The first request after the kill finds the pooled connections dead
	// and waits in the driver's retry until the probe sees Neo4j gone;
	// later ones fail at once. The bound is the "within a second"
	// with room for a busy machine; the log has the measured figure.
	const fast = 2 * time.Second
	for i := range 3 {
		code, msg, took := query()
		t.Logf("with Neo4j dead, request %d: %s %q after %v", i+1, code, msg, took.Round(10*time.Microsecond))
		if code != "UNAVAILABLE" || !strings.Contains(msg, "not reachable") {
			t.Fatalf("with Neo4j dead: code %q, message %q: want UNAVAILABLE saying the database is not reachable", code, msg)
		}
		if took > fast {
			t.Fatalf("with Neo4j dead a request took %v to fail, want under %v (its limit is %v)", took, fast, limit)
		}
	}
	if c, took := health(); c != http.StatusServiceUnavailable || took > fast {
		t.Fatalf("/healthz with Neo4j dead: %d after %v, want 503 within %v", c, took, fast)
	} else {
		t.Logf("/healthz with Neo4j dead: %d after %v", c, took.Round(10*time.Microsecond))
	}

	neo.Restart(t, ctx)
	deadline := time.Now().Add(2 * time.Minute)
	up := time.Now()
	for {
		code, _, took := query()
		if code == "" {
			t.Logf("answered again %v after Neo4j's restart returned", time.Since(up).Round(time.Millisecond))
			break
		}
		// The middleware's backstop ends a request a second past its
		// limit; one more second for a busy machine.
		if took > limit+2*time.Second {
			t.Fatalf("while Neo4j restarts: %s after %v, past its %v limit", code, took, limit)
		}
		t.Logf("while Neo4j restarts: %s after %v", code, took.Round(time.Millisecond))
		if time.Now().After(deadline) {
			t.Fatalf("the server did not recover within 2 minutes of Neo4j's restart: %s", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if c, _ := health(); c != http.StatusOK {
		t.Fatalf("/healthz after recovery: %d", c)
	}
}
