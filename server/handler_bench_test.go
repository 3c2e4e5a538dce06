package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// BenchmarkHandlerCPU is the GraphQL layer's own cost with no socket and
// no client: the server's handler called in this process (key check,
// limits, gqlgen, our marshalling) against the same read through the
// store, one request at a time, in the same run. Both report this
// process's CPU per request (cpu-µs/op); the difference is what the
// layer adds to a read besides HTTP. Profile one side with
// -test.bench 'HandlerCPU/account/graphql' -test.cpuprofile FILE.
func BenchmarkHandlerCPU(b *testing.B) {
	server.TuneGC()
	h := newHarness(b, server.Config{RatePerSecond: 1e6, RateBurst: 1e6})
	h.logLevel.Set(slog.LevelInfo)
	const accounts = 3000 // seedLoadWorld's networks reach account 2,999
	seedLoadWorld(b, h.st, accounts)
	q := newLoadQueries(h.st, accounts)
	handler := h.srv.Handler()
	ctx := ctxT(b)
	for _, c := range []struct {
		name   string
		body   func() ([]byte, error)
		direct func(context.Context) error
	}{{"account", q.accountBody, q.accountDirect}, {"network", q.networkBody, q.networkDirect}} {
		b.Run(c.name+"/direct", func(b *testing.B) {
			perOp(b, func() {
				if err := c.direct(ctx); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(c.name+"/graphql", func(b *testing.B) {
			// The comparison holds only if a GraphQL request runs the one
			// statement the direct side runs (and, once per key-cache
			// period, the key lookup).
			counted, statements := store.WithQueryCounter(ctx)
			requests, start := 0, time.Now()
			perOp(b, func() {
				body, err := c.body()
				if err != nil {
					b.Fatal(err)
				}
				req := httptest.NewRequestWithContext(counted, http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+h.keys[admin])
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !bytes.HasPrefix(rec.Body.Bytes(), []byte(`{"data":{`)) || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body.Bytes())
				}
				requests++
			})
			keyLookups := int64(time.Since(start)/authCacheTTL) + 1
			if n := statements.Load(); n > int64(requests)+keyLookups {
				b.Fatalf("%d GraphQL requests ran %d statements", requests, n)
			}
		})
	}
}

// authCacheTTL is server.Config's default AuthCacheTTL.
const authCacheTTL = 10 * time.Second

// perOp runs op b.N times after a short warm-up and reports this
// process's CPU per op besides the wall time.
func perOp(b *testing.B, op func()) {
	for warm := time.Now(); time.Since(warm) < time.Second; {
		op()
	}
	b.ReportAllocs()
	c0 := cpuTime() // b.Loop resets the timer on its first call
	for b.Loop() {
		op()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e3, "cpu-µs/op")
}
