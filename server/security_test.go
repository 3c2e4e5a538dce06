package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

func TestAuthentication(t *testing.T) {
	h := newHarness(t, server.Config{AuthCacheTTL: time.Hour})
	q := `{ viewer { name } }`
	for _, c := range []struct{ name, header string }{
		{"no header", ""},
		{"not bearer", "Basic " + h.keys[admin]},
		{"unknown key", "Bearer lsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"not a key", "Bearer hello"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/graphql", strings.NewReader(`{"query":"`+q+`"}`))
			req.Header.Set("Content-Type", "application/json")
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("status %d, want 401 with WWW-Authenticate", resp.StatusCode)
			}
		})
	}
	// Every API route needs a key; static UI files and /healthz do not.
	// The refusal's hint creates a key of the role the route needs.
	for path, hint := range map[string]string{"/graphql": "--role viewer", "/export/suspension-lists/x": "--role analyst"} {
		resp, err := http.Get(h.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without key: %d, want 401", path, resp.StatusCode)
		}
		if !strings.Contains(string(body), hint) {
			t.Errorf("GET %s without key: %s, want a hint with %q", path, body, hint)
		}
	}
	// Revocation: refused once the server's cache is dropped (other
	// processes' revocations take effect within the cache TTL).
	h.ok(viewer, q, nil, nil)
	if _, err := h.st.RevokeAPIKey(ctxT(t), h.keyIDs[viewer]); err != nil {
		t.Fatal(err)
	}
	h.srv.Authenticator().Forget()
	if r := h.do(viewer, q, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked key: status %d, want 401", r.Status)
	}
}

// TestRoles runs every mutation and every restricted query with each role
// and checks that exactly the roles below the required one are refused.
func TestRoles(t *testing.T) {
	h := newHarness(t, server.Config{TargetPerMin: 600, TargetBurst: 100})
	ops := []struct {
		name string
		min  store.Role
		q    string
	}{
		{"viewer", viewer, `{ viewer { role } }`},
		{"networks", viewer, `{ networks { totalCount } }`},
		{"account", viewer, `{ account(id: "a01") { id ips { count } } }`},
		{"account sweep", viewer, `{ account(id: "a01") { sweep { block distinct lookups longestRun bins } } }`},
		{"neighborhood", viewer, `{ neighborhood(accountId: "a01", depth: 1) { truncated } }`},
		{"detectionRuns", viewer, `{ detectionRuns { id } }`},
		{"suspensionLists", viewer, `{ suspensionLists { id } }`},
		{"ping", analyst, `mutation { ping }`},
		{"reviewNetwork", analyst, `mutation { reviewNetwork(id: "n2b", verdict: DISMISS, note: "family") { id } }`},
		{"allowlistAccount", analyst, `mutation { allowlistAccount(id: "a08", reason: "test") { id } }`},
		{"unallowlistAccount", analyst, `mutation { unallowlistAccount(id: "a08") { id } }`},
		{"createSuspensionList", analyst, `mutation { createSuspensionList(criteria: {runId: "run-2"}) { count } }`},
		{"runDetection", analyst, `mutation { runDetection { id } }`}, // no detector: UNAVAILABLE past the role check
		{"auditEvents", admin, `{ auditEvents { id } }`},
		{"targetByNumber", admin, `{ targetByNumber(number: "+14155550102") { key } }`},
	}
	for _, op := range ops {
		for _, role := range []store.Role{viewer, analyst, admin} {
			t.Run(op.name+"/"+string(role), func(t *testing.T) {
				r := h.sub(t).do(role, op.q, nil)
				forbidden := false
				for _, e := range r.Errors {
					if e.Code() == "FORBIDDEN" {
						forbidden = true
					}
				}
				want := role.Level() < op.min.Level()
				if forbidden != want {
					t.Fatalf("forbidden = %v, want %v (errors %+v)", forbidden, want, r.Errors)
				}
				if !want && op.name != "runDetection" && len(r.Errors) > 0 {
					t.Fatalf("allowed role got errors %+v", r.Errors)
				}
			})
		}
	}
	// Exports need ANALYST.
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/export/suspension-lists/x", nil)
	req.Header.Set("Authorization", "Bearer "+h.keys[viewer])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer export: %d, want 403", resp.StatusCode)
	}
}

func TestQueryLimits(t *testing.T) {
	h := newHarness(t, server.Config{MaxBodyBytes: 64 << 10})
	deep := `{ account(id: "a01") { memberships { network { members { edges { node { account { memberships { network { members { edges { node { account { id } } } } } } } } } } } } } }`
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 200 {
		fmt.Fprintf(&aliases, ` a%d: account(id: "a01") { id }`, i)
	}
	aliases.WriteString("}")
	var fragAliases strings.Builder
	fragAliases.WriteString(`fragment F on Account { x1: id x2: id x3: id x4: id x5: id x6: id x7: id x8: id } { account(id: "a01") {`)
	for range 5 {
		fragAliases.WriteString(" ...F")
	}
	fragAliases.WriteString(" } }")
	// Each neighbourhood hop is a statement over every node reached so far:
	// 30 of the largest is far more work than their few fields suggest.
	var neighborhoods strings.Builder
	neighborhoods.WriteString("{")
	for i := range 30 {
		fmt.Fprintf(&neighborhoods, ` n%d: neighborhood(accountId: "a01", depth: 3, limit: 500) { truncated }`, i)
	}
	neighborhoods.WriteString("}")
	cases := []struct {
		name, query, code, msg string
	}{
		{"over-deep", deep, "DEPTH_LIMIT_EXCEEDED", "levels deep; the limit is 12"},
		{"over-deep introspection", `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } } } }`,
			"GRAPHQL_VALIDATION_FAILED", "Maximum introspection depth exceeded"}, // gqlparser's rule, before ours
		{"over-complex", `{ networks(first: 100) { edges { node { members(first: 100) { edges { node { account { ips(first: 100) { count } } } } } } } } }`,
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity"},
		{"alias bomb", aliases.String(), "ALIAS_LIMIT_EXCEEDED", "200 aliases; the limit is 30"},
		{"neighbourhoods", neighborhoods.String(), "COMPLEXITY_LIMIT_EXCEEDED", "complexity"},
		{"aliases in fragments", fragAliases.String(), "ALIAS_LIMIT_EXCEEDED", "40 aliases"},
		{"oversized page", `{ networks(first: 1000) { totalCount } }`, "BAD_USER_INPUT", "first must be between 1 and 100"},
		{"oversized member page", `{ network(id: "n2a") { members(first: 101) { totalCount } } }`, "BAD_USER_INPUT", "first must be between 1 and 100"},
		{"oversized usage page", `{ account(id: "a01") { ips(first: 101) { count } } }`, "BAD_USER_INPUT", "first must be between 1 and 100"},
		{"zero page", `{ detectionRuns(first: 0) { id } }`, "BAD_USER_INPUT", "first must be between 1 and 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.sub(t).fails(viewer, c.query, nil, c.code, c.msg)
			if c.code != "BAD_USER_INPUT" && r.Data != nil && string(r.Data) != "null" {
				t.Fatalf("rejected operation still returned data: %s", r.Data)
			}
		})
	}
	// GraphiQL loads the schema with graphql-js's introspection query
	// (nine levels of ofType; the playground has no docs without it).
	t.Run("GraphiQL's introspection query", func(t *testing.T) {
		q, err := os.ReadFile("testdata/graphiql-introspection.graphql")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Schema struct {
				QueryType struct{ Name string }
				Types     []struct{ Name string }
			} `json:"__schema"`
		}
		h.sub(t).ok(viewer, string(q), nil, &got)
		if got.Schema.QueryType.Name != "Query" || len(got.Schema.Types) < 20 {
			t.Fatalf("introspection: query type %q, %d types", got.Schema.QueryType.Name, len(got.Schema.Types))
		}
	})
	// The same text with bigger pages, at any depth and through
	// fragments, must be refused however often it passed with small ones.
	t.Run("same operation, other page sizes", func(t *testing.T) {
		h := h.sub(t)
		direct := `query($n: Int, $m: Int, $k: Int, $id: ID!) { account(id: $id) { id } networks(first: $n) { edges { node { members(first: $m) { edges { node { account { ips(first: $k) { count } } } } } } } } }`
		viaFragment := `query($n: Int, $m: Int) { networks(first: $n) { ...N } }
fragment N on NetworkConnection { edges { node { members(first: $m) { edges { node { account { ips(first: 100) { count } } } } } } } }`
		small := map[string]any{"n": 1, "m": 1, "k": 1, "id": "a01"}
		for _, vars := range []map[string]any{
			{"n": 100, "m": 100, "k": 100, "id": "a01"},
			{"n": 1, "m": 1, "k": 100, "id": "a02"},
			{"n": 100, "m": 100, "k": 10, "id": "a01"}, // 140,301: over 100,000 only by $k
		} {
			h.ok(viewer, direct, small, nil)
			wantRejected := vars["n"] == 100
			r := h.do(viewer, direct, vars)
			if rejected := len(r.Errors) > 0 && r.Errors[0].Code() == "COMPLEXITY_LIMIT_EXCEEDED"; rejected != wantRejected {
				t.Errorf("variables %v: rejected %v, want %v (errors %+v)", vars, rejected, wantRejected, r.Errors)
			}
		}
		// gqlgen counts a branch skipped by @skip or @include as if it
		// ran, so a variable cannot hide a costly branch.
		for _, q := range []string{
			`query($big: Boolean!) { networks(first: 100) @include(if: $big) { edges { node { members(first: 100) { edges { node { account { ips(first: 100) { count } } } } } } } } viewer { name } }`,
			`query($big: Boolean!) { viewer { name } ... @include(if: $big) { networks(first: 100) { edges { node { members(first: 100) { edges { node { account { ips(first: 100) { count } } } } } } } } } }`,
			`query($small: Boolean!) { viewer { name } ...N @skip(if: $small) }
fragment N on Query { networks(first: 100) { edges { node { members(first: 100) { edges { node { account { ips(first: 100) { count } } } } } } } } }`,
		} {
			for _, vars := range []map[string]any{{"big": false, "small": true}, {"big": true, "small": false}, {"big": false, "small": true}} {
				h.fails(viewer, q, vars, "COMPLEXITY_LIMIT_EXCEEDED", "complexity")
			}
		}
		h.ok(viewer, viaFragment, map[string]any{"n": 1, "m": 1}, nil)
		h.fails(viewer, viaFragment, map[string]any{"n": 100, "m": 100}, "COMPLEXITY_LIMIT_EXCEEDED", "complexity")
		h.fails(viewer, viaFragment, map[string]any{"n": 100, "m": 100}, "COMPLEXITY_LIMIT_EXCEEDED", "complexity")
	})
	t.Run("body too large", func(t *testing.T) {
		big := `{"query":"{ viewer { name } }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
		r := h.sub(t).post(h.keys[viewer], []byte(big))
		if r.Status != http.StatusRequestEntityTooLarge || len(r.Errors) != 1 || r.Errors[0].Code() != "BODY_TOO_LARGE" {
			t.Fatalf("status %d errors %+v", r.Status, r.Errors)
		}
	})
	t.Run("chunked body too large", func(t *testing.T) {
		big := `{"query":"{ viewer { name } }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/graphql", struct{ *bytes.Reader }{bytes.NewReader([]byte(big))})
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+h.keys[viewer])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(b.String(), "BODY_TOO_LARGE") || !strings.Contains(b.String(), "larger than the limit of 65536 bytes") {
			t.Fatalf("status %d body %s", resp.StatusCode, b.String())
		}
	})
}

func TestRequestTimeout(t *testing.T) {
	h := newHarness(t, server.Config{Timeout: time.Nanosecond})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(h.bodies.String())
		}
	})
	h.fails(viewer, `{ account(id: "a01") { id } }`, nil, "TIMEOUT", "longer than its 1ns limit")
}

// TestTimeoutIsTimeout: a field cut by the request's time limit, wherever
// the deadline catches it (before the resolver, in the driver), says
// TIMEOUT, never UNAVAILABLE.
func TestTimeoutIsTimeout(t *testing.T) {
	h := newHarness(t, server.Config{Timeout: 2 * time.Millisecond})
	q := `{ a: account(id: "a01") { id ips { count } } n: network(id: "n2a") { members { totalCount } } neighborhood(accountId: "a01", depth: 2) { truncated } }`
	for range 30 {
		r := h.do(viewer, q, nil)
		for _, e := range r.Errors {
			if e.Code() != "TIMEOUT" {
				t.Fatalf("error %+v, want TIMEOUT; log:\n%s", e, h.logs.String())
			}
		}
	}
}

// TestIntRefusesStrings: "100" is a string, not an Int.
func TestIntRefusesStrings(t *testing.T) {
	h := newHarness(t, server.Config{})
	q := `query($n: Int) { networks(first: $n) { totalCount } }`
	h.ok(viewer, q, map[string]any{"n": 1}, nil)
	r := h.do(viewer, q, map[string]any{"n": "100"})
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "not a string") || (r.Data != nil && string(r.Data) != "null") {
		t.Fatalf("\"100\" as an Int: status %d data %s errors %+v", r.Status, r.Data, r.Errors)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, server.Config{RatePerSecond: 1, RateBurst: 3})
	for range 3 {
		h.ok(viewer, `{ viewer { name } }`, nil, nil)
	}
	r := h.do(viewer, `{ viewer { name } }`, nil)
	if r.Status != http.StatusTooManyRequests || len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
		t.Fatalf("status %d errors %+v, want 429 RATE_LIMITED", r.Status, r.Errors)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	// Keys have their own buckets.
	h.ok(analyst, `{ viewer { name } }`, nil, nil)
}

// TestCostBudget: a key pays each operation's complexity from a bucket of
// its own, so expensive queries run out of budget long before the request
// rate limit, and one more costly than the whole bucket is refused outright.
func TestCostBudget(t *testing.T) {
	h := newHarness(t, server.Config{CostPerSecond: 1, CostBurst: 5000})
	const expensive = `{ networks(first: 100) { totalCount edges { node { id score } } } }`
	ran := 0
	for range 50 {
		r := h.do(viewer, expensive, nil)
		if len(r.Errors) == 0 {
			ran++
			continue
		}
		if e := r.Errors[0]; e.Code() != "RATE_LIMITED" || !strings.Contains(e.Message, "budget") {
			t.Fatalf("after %d queries: errors %+v, want RATE_LIMITED for the budget", ran, r.Errors)
		}
		if ran == 0 {
			t.Fatal("the first query was refused: the bucket starts full")
		}
		// Keys have their own budgets.
		h.ok(analyst, expensive, nil, nil)
		big := `{ a: neighborhood(accountId: "a01", depth: 3, limit: 500) { nodes { id } } }`
		h.fails(admin, big, nil, "RATE_LIMITED", "at once")
		return
	}
	t.Fatalf("50 queries of %q all ran on a budget of 5,000 units", expensive)
}

func TestErrorsNeverEchoNumbers(t *testing.T) {
	h := newHarness(t, server.Config{})
	for _, body := range []string{
		`{"query": "{ account(id: \"+1 415 555 0103\") { id } }"`,                 // broken JSON: the decoder echoes bodies
		`{"query": "{ networks(filter: {signal: 14155550103}) { totalCount } }"}`, // wrong type: the validator echoes literals
		`{"query": "{ networks(first: 1, after: \"+14155550103\") { totalCount } }"}`,
		`{"query": "{ account(id: \"a01\") { ips(first: 14155550103) { count } } }"}`,
	} {
		r := h.post(h.keys[viewer], []byte(body))
		if len(r.Errors) == 0 {
			t.Errorf("%s: no error", body)
		}
	}
	// The harness scans every response and log line at the end.
}
