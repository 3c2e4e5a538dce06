package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Load is one closed-loop load run driven by vegeta: Clients workers, each
// sending its next request as soon as its last one is answered. It is the
// one load driver of `lockstep bench` and of bench/load's benchmarks, so
// the table and the benchmarks measure requests the same way.
type Load struct {
	Clients int // at least 1
	// The run lasts Duration, or, when Duration is 0, until Requests
	// requests were sent.
	Duration time.Duration
	Requests uint64
	// Target makes each request. With Call set instead, a request is Call
	// in this process, without HTTP (a baseline at the store measured the
	// same way as the API above it); its error fails the request.
	Target vegeta.Targeter
	Call   func() error
	// OK tells a good answer from a failed one; nil takes vegeta's
	// verdict (no transport error, a status below 400).
	OK func(*vegeta.Result) bool
	// Client sends the requests; nil is vegeta's, with Clients keep-alive
	// connections.
	Client *http.Client
}

// Measured is what a load run measured: vegeta's metrics over its requests
// (throughput, latency percentiles) and its failures.
type Measured struct {
	vegeta.Metrics
	Failed   int
	FirstErr string // the first failure: status, error and the body's start
}

// Record counts res, failed unless ok.
func (m *Measured) Record(res *vegeta.Result, ok bool) {
	if !ok {
		if m.Failed == 0 {
			m.FirstErr = fmt.Sprintf("%d %s %.300s", res.Code, res.Error, res.Body)
		}
		m.Failed++
	}
	res.Body = nil // a long run keeps no bodies
	m.Add(res)
}

// Run drives the load until it is done or ctx ends, and returns what it
// measured; the error is ctx's.
func (l Load) Run(ctx context.Context) (Measured, error) {
	target, client := l.Target, l.Client
	if l.Call != nil {
		target = func(t *vegeta.Target) error {
			*t = vegeta.Target{Method: http.MethodGet, URL: "http://in-process.invalid/"}
			return nil
		}
		client = &http.Client{Transport: callTransport(l.Call)}
	}
	clients := max(l.Clients, 1) // vegeta with no worker waits for one forever
	opts := []func(*vegeta.Attacker){vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients))}
	if client != nil {
		opts = append(opts, vegeta.Client(client))
	} else {
		opts = append(opts, vegeta.KeepAlive(true), vegeta.Connections(clients))
	}
	a := vegeta.NewAttacker(opts...)
	// Freq 0 is as fast as the workers go; a request count ends the run
	// through the pacer.
	var pacer vegeta.Pacer = vegeta.Rate{Freq: 0}
	if l.Duration == 0 {
		pacer = countPacer(l.Requests)
	}
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	ok := l.OK
	if ok == nil {
		ok = func(res *vegeta.Result) bool { return res.Error == "" }
	}
	var m Measured
	for res := range a.Attack(target, pacer, l.Duration, "load") {
		m.Record(res, ok(res))
	}
	m.Close()
	return m, ctx.Err()
}

// countPacer sends requests as fast as the workers go and stops after its
// count.
type countPacer uint64

func (n countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= uint64(n)
}
func (countPacer) Rate(time.Duration) float64 { return 0 }

// callTransport answers every request by calling call: a 200 with an empty
// body, or call's error.
type callTransport func() error

func (call callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := call(); err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// GraphQLTarget is a POST of query to url under the API key, with the
// variables vars makes for each request.
func GraphQLTarget(url, key, query string, vars func() map[string]any) vegeta.Targeter {
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}}
	return func(t *vegeta.Target) error {
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars()})
		*t = vegeta.Target{Method: http.MethodPost, URL: url, Body: body, Header: hdr}
		return err
	}
}

// GraphQLOK accepts a 200 with data and no errors.
func GraphQLOK(res *vegeta.Result) bool {
	return res.Code == http.StatusOK && res.Error == "" && bytes.HasPrefix(res.Body, []byte(`{"data":{`)) && !bytes.Contains(res.Body, []byte(`"errors":`))
}
