package benchrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadCall: a run of a request count sends exactly that many calls
// through vegeta, and a failing call is counted with its error.
func TestLoadCall(t *testing.T) {
	var calls atomic.Int64
	m, err := Load{Clients: 4, Requests: 50, Call: func() error {
		if calls.Add(1)%10 == 0 {
			return errors.New("boom")
		}
		return nil
	}}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 50 || m.Requests != 50 {
		t.Errorf("%d calls, %d requests measured; want 50", calls.Load(), m.Requests)
	}
	if m.Failed != 5 || !strings.Contains(m.FirstErr, "boom") {
		t.Errorf("%d failed (first %q), want 5 with boom", m.Failed, m.FirstErr)
	}
	if m.Throughput <= 0 || m.Latencies.P99 <= 0 {
		t.Errorf("throughput %g, p99 %s: want positive", m.Throughput, m.Latencies.P99)
	}
}

// TestLoadGraphQL: a timed run against a GraphQL endpoint sends the
// variables each request makes, and GraphQLOK fails answers with errors.
func TestLoadGraphQL(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"id":"acc-`) || r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n.Add(1)%2 == 0 {
			fmt.Fprint(w, `{"data":{"x":null},"errors":[{"message":"no"}]}`)
			return
		}
		fmt.Fprint(w, `{"data":{"x":1}}`)
	}))
	defer ts.Close()
	var ids atomic.Int64
	m, err := Load{Clients: 2, Duration: 200 * time.Millisecond, OK: GraphQLOK,
		Target: GraphQLTarget(ts.URL, "k", "{ x }", func() map[string]any { return map[string]any{"id": fmt.Sprint("acc-", ids.Add(1))} })}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests < 2 || m.Failed != int(m.Requests)/2 || !strings.Contains(m.FirstErr, `"errors"`) {
		t.Errorf("%d requests, %d failed (first %q): want every second one failed on its errors", m.Requests, m.Failed, m.FirstErr)
	}
}
