package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/signals"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
	"github.com/lockstep-dev/lockstep/target"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var hmacKey = []byte("test-hmac-key-0123456789abcdef")

// rawNumbers are the phone numbers of the test world. No response body
// and no log line of any test may contain one (checked at each test's end).
var rawNumbers = []string{"+14155550101", "+14155550102", "+14155550103", "+14155550104", "+442079460958"}

// harness is one test's server over a freshly seeded store.
type harness struct {
	t      testing.TB
	st     *store.Store
	srv    *server.Server
	ts     *httptest.Server
	keys   map[store.Role]string // role -> secret
	keyIDs map[store.Role]string
	tkeys  []string // target keys of rawNumbers, same order

	bodies *syncBuffer // every response body
	logs   *syncBuffer // every log line
	// logLevel is the server's log level: debug, so tests see (and scan)
	// the request log lines too; the load benchmark logs at info, as
	// `lockstep serve` does without -v.
	logLevel *slog.LevelVar
}

// sub returns the harness reporting to a subtest's t.
func (h *harness) sub(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newHarness seeds the fixture world and starts a server with cfg's limits
// (zero values take the defaults, except the rate, which tests raise so
// only the rate test meets it).
func newHarness(t testing.TB, cfg server.Config) *harness {
	t.Helper()
	return newHarnessSeeded(t, cfg, (*harness).seed)
}

// newHarnessSeeded is newHarness with another world: seed fills the
// cleared store before the server starts.
func newHarnessSeeded(t testing.TB, cfg server.Config, seed func(*harness, context.Context)) *harness {
	t.Helper()
	h := &harness{t: t, st: storetest.New(t), keys: map[store.Role]string{}, keyIDs: map[store.Role]string{}, logs: &syncBuffer{}, bodies: &syncBuffer{}}
	ctx := ctxT(t)
	seed(h, ctx)
	for _, r := range []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleAdmin} {
		k, secret, err := h.st.CreateAPIKey(ctx, strings.ToLower(string(r))+"-key", r)
		if err != nil {
			t.Fatal(err)
		}
		h.keys[r], h.keyIDs[r] = secret, k.ID
	}
	cfg.Store, cfg.HMACKey = h.st, hmacKey
	h.logLevel = new(slog.LevelVar)
	h.logLevel.Set(slog.LevelDebug)
	cfg.Log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: h.logLevel}))
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond, cfg.RateBurst = 10000, 10000
	}
	if cfg.CostPerSecond == 0 {
		// Tests read whole worlds with one key; TestCostBudget sets its own.
		cfg.CostPerSecond, cfg.CostBurst = 1e9, 1e9
	}
	if cfg.Timeout == 0 {
		// Neo4j plans each statement on first use, seconds for the
		// evidence reads on a loaded machine, and a request runs several
		// at once: the 15 s default measures the machine, not the API
		// (TestRequestTimeout sets its own).
		cfg.Timeout = 2 * time.Minute
	}
	h.srv = server.New(cfg)
	h.ts = httptest.NewServer(h.srv.Handler())
	t.Cleanup(func() {
		h.ts.Close()
		h.srv.Close()
		h.scanForNumbers()
		// LOCKSTEP_TEST_LOGS=1 shows a failed test's server log (a
		// resolver's error is logged there, not in the response).
		if t.Failed() && os.Getenv("LOCKSTEP_TEST_LOGS") != "" {
			t.Log(h.logs.String())
		}
	})
	return h
}

// scanForNumbers fails the test if any raw number of the world, in any
// usual spelling, appears in a response or a log line.
func (h *harness) scanForNumbers() {
	all := h.bodies.String() + "\n" + h.logs.String()
	for _, n := range rawNumbers {
		digits := strings.TrimPrefix(n, "+")
		for _, form := range []string{n, digits, digits[1:], digits[len(digits)-10:]} {
			if strings.Contains(all, form) {
				h.t.Errorf("raw number %s (as %q) appears in a response or log line", n[:4]+"…", form)
			}
		}
	}
}

func (h *harness) record(b []byte) {
	h.bodies.Write(append(b, '\n'))
}

// gqlResponse is a GraphQL response with its HTTP status.
type gqlResponse struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) Code() string { c, _ := e.Extensions["code"].(string); return c }

// do posts a GraphQL operation with the key of role ("" role: no key).
func (h *harness) do(role store.Role, query string, vars map[string]any) gqlResponse {
	h.t.Helper()
	return h.doKey(h.keys[role], query, vars)
}

func (h *harness) doKey(secret, query string, vars map[string]any) gqlResponse {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return h.post(secret, body)
}

func (h *harness) post(secret string, body []byte) gqlResponse {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, b := h.send(req, secret)
	out := gqlResponse{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, b)
	}
	return out
}

// send sends req with the key secret ("" for none), records the body and
// returns the response with its body read.
func (h *harness) send(req *http.Request, secret string) (*http.Response, []byte) {
	h.t.Helper()
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	h.record(b)
	return resp, b
}

// ok runs an operation that must succeed and decodes its data into out.
func (h *harness) ok(role store.Role, query string, vars map[string]any, out any) {
	h.t.Helper()
	r := h.do(role, query, vars)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		h.t.Fatalf("status %d, errors %+v\nquery: %s", r.Status, r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			h.t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
}

// fails runs an operation that must fail with the error code and a
// message containing msg.
func (h *harness) fails(role store.Role, query string, vars map[string]any, code, msg string) gqlResponse {
	h.t.Helper()
	r := h.do(role, query, vars)
	for _, e := range r.Errors {
		if e.Code() == code && strings.Contains(e.Message, msg) {
			return r
		}
	}
	h.t.Fatalf("want error %s containing %q, got status %d errors %+v", code, msg, r.Status, r.Errors)
	return r
}

// The fixture world: two runs; in run 1 network n1 (a01..a06 plus the
// verified a10 and the allowlisted a11); in run 2 its continuation n2a
// (predecessor n1, same key) with victim a09, and n2b (a07, a08).
// a01..a06 share ip 203.0.113.7 and a01..a03 device dev-1; a01..a06 looked
// up the first four numbers; the first number matched a09.
func (h *harness) seed(ctx context.Context) {
	t := h.t
	hs := target.NewHasher(hmacKey)
	var targets []map[string]any
	for _, n := range rawNumbers {
		tg, err := hs.Normalise(n, "", "")
		if err != nil {
			t.Fatal(err)
		}
		h.tkeys = append(h.tkeys, tg.Key)
		targets = append(targets, map[string]any{"key": tg.Key, "masked": tg.Masked, "kind": tg.Kind, "region": tg.Region, "block": tg.Block, "offset": tg.Offset})
	}
	w := func(cypher string, rows []map[string]any) {
		t.Helper()
		if err := h.st.WriteRows(ctx, cypher, rows); err != nil {
			t.Fatal(err)
		}
	}
	var accounts []map[string]any
	for i := 1; i <= 12; i++ {
		accounts = append(accounts, map[string]any{"id": fmt.Sprintf("a%02d", i), "handle": fmt.Sprintf("user%02d", i),
			"country": map[bool]string{true: "IR", false: "US"}[i <= 6], "verified": i == 10, "allowlisted": i == 11})
	}
	w(`UNWIND $rows AS r CREATE (a:Account {id: r.id, handle: r.handle, country: r.country, verified: r.verified,
  createdAt: datetime('2026-01-01T00:00:00Z'), status: 'active'}) SET a.allowlisted = CASE WHEN r.allowlisted THEN true ELSE null END`, accounts)
	w(`UNWIND $rows AS r CREATE (:Target {key: r.key, masked: r.masked, kind: r.kind, region: r.region, block: r.block, offset: r.offset})`, targets)
	w(`UNWIND $rows AS r CREATE (:IP {addr: r.addr, asn: r.asn, asnOrg: r.org, country: r.country, kind: r.kind})`, []map[string]any{
		{"addr": "203.0.113.7", "asn": 64500, "org": "Example DC", "country": "NL", "kind": "datacenter"},
		{"addr": "198.51.100.9", "asn": 64501, "org": "Example Mobile", "country": "US", "kind": "mobile"},
	})
	w(`UNWIND $rows AS r CREATE (:Device {id: r.id, os: 'android', client: 'app/1.0'})`, []map[string]any{{"id": "dev-1"}, {"id": "dev-2"}})
	var edges []map[string]any
	for i := 1; i <= 6; i++ {
		edges = append(edges, map[string]any{"a": fmt.Sprintf("a%02d", i), "count": 10 + i})
	}
	w(`UNWIND $rows AS r MATCH (a:Account {id: r.a}), (ip:IP {addr: '203.0.113.7'})
CREATE (a)-[:USED_IP {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-01T00:00:00Z'), count: r.count}]->(ip)`, edges)
	w(`UNWIND $rows AS r MATCH (a:Account {id: r.a}), (ip:IP {addr: '198.51.100.9'})
CREATE (a)-[:USED_IP {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-05T10:00:00Z'), count: 1}]->(ip)`, edges[:1])
	w(`UNWIND $rows AS r MATCH (a:Account {id: r.a}), (d:Device {id: 'dev-1'})
CREATE (a)-[:USED_DEVICE {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-03-01T00:00:00Z'), count: r.count}]->(d)`, edges[:3])
	var lookups []map[string]any
	for _, e := range edges {
		for _, k := range h.tkeys[:4] {
			lookups = append(lookups, map[string]any{"a": e["a"], "t": k})
		}
	}
	w(`UNWIND $rows AS r MATCH (a:Account {id: r.a}), (t:Target {key: r.t})
CREATE (a)-[:LOOKED_UP {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-02-02T00:00:00Z'), count: 3, hits: 1}]->(t)`, lookups)
	w(`UNWIND $rows AS r MATCH (t:Target {key: r.t}), (a:Account {id: r.a}) CREATE (t)-[:MATCHED]->(a)`,
		[]map[string]any{{"t": h.tkeys[0], "a": "a09"}})

	// Every network carries every signal, most contributing nothing:
	// DATACENTER is strong on n1/n2a yet adds 0, as a context signal can.
	sig := func(name signals.Name, contribution, strength float64, detail string) store.Signal {
		s := store.Signal{Name: name, Contribution: contribution, Strength: strength, Weight: 0.5, Measured: strength}
		if detail != "" {
			s.Detail = &detail
		}
		return s
	}
	sigs := func(given ...store.Signal) string {
		out := given
		for _, n := range signals.All {
			if !slices.ContainsFunc(given, func(s store.Signal) bool { return s.Name == n }) {
				out = append(out, sig(n, 0, 0, ""))
			}
		}
		return store.SignalsJSON(out)
	}
	ringSignals := sigs(sig(signals.SharedInfra, 0.05, 0.9, "6 of 8 members share 1 IP or 0 devices with another member"),
		sig(signals.Sweep, 0.6, 0.7, ""), sig(signals.Datacenter, 0, 1, ""))
	ringCountries := []store.CountryCount{{Country: "IR", Count: 5}, {Country: "RU", Count: 2}, {Country: "GB", Count: 1}}
	members := func(ids ...string) []store.MemberRow {
		var out []store.MemberRow
		for i, id := range ids {
			role := "core"
			if i >= 4 {
				role = "peripheral"
			}
			out = append(out, store.MemberRow{AccountID: id, Score: 0.95 - float64(i)*0.05, Role: role})
		}
		return out
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, run := range []struct {
		id   string
		at   time.Time
		nets []store.NetworkRow
	}{
		{"run-1", t0, []store.NetworkRow{{ID: "n1", Key: "n1", Size: 8, Score: 0.8, Signals: ringSignals, StateLinked: true, StateConfidence: 0.6,
			StateReasons: []string{"working hours of UTC+3:30"}, Evidence: []string{"6 accounts share 203.0.113.7"},
			Members: members("a01", "a02", "a03", "a04", "a05", "a06", "a10", "a11")}}},
		{"run-2", t0.Add(time.Hour), []store.NetworkRow{
			{ID: "n2a", Key: "n1", PredecessorID: "n1", Size: 8, Score: 0.85, Signals: ringSignals, StateLinked: true, StateConfidence: 0.7,
				MemberCountries: ringCountries, LoginCountries: ringCountries[:2],
				StateReasons:       []string{"working hours of UTC+3:30", "a working week kept in UTC+03:30 with a Friday weekend"},
				StateReasonSources: []string{"configuration", "behaviour"}, Evidence: []string{"sweep of +1 415 555 01xx"},
				Members: append(members("a01", "a02", "a03", "a04", "a05", "a06", "a10", "a11"), store.MemberRow{AccountID: "a09", Score: 0.1, Role: "victim"})},
			{ID: "n2b", Key: "n2b", Size: 2, Score: 0.4, Signals: sigs(sig(signals.Velocity, 0.3, 0.5, ""), sig(signals.Datacenter, 0.01, 0.2, "")),
				Members: members("a07", "a08")},
		}},
	} {
		if err := h.st.StartRun(ctx, run.id, run.at, `{"algorithm":"leiden"}`); err != nil {
			t.Fatal(err)
		}
		if err := h.st.WriteNetworks(ctx, run.id, run.nets, nil); err != nil {
			t.Fatal(err)
		}
		if err := h.st.FinishRun(ctx, run.id, run.at.Add(time.Minute), `{"written":1}`); err != nil {
			t.Fatal(err)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
