package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// The fast list marshalling (server/fastlist.go) must answer every query
// byte for byte as gqlgen's own execution does: the same server config over
// the same store with Config.PlainGQLGen set is the reference. Each case
// says whether the fast path must be taken, so a case meant to exercise it
// cannot silently fall back.
func TestFastListsSameResponse(t *testing.T) {
	h := newHarness(t, server.Config{})
	ref := server.New(server.Config{Store: h.st, HMACKey: hmacKey, PlainGQLGen: true, RatePerSecond: 1e4, RateBurst: 1e4,
		Log: slog.New(slog.NewTextHandler(h.logs, nil))})
	refTS := httptest.NewServer(ref.Handler())
	t.Cleanup(func() { refTS.Close(); ref.Close() })

	// send posts body with the viewer's key and returns the status, the
	// content type and the body.
	send := func(t *testing.T, url string, body []byte, accept string) []byte {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+h.keys[viewer])
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		h.record(b)
		return append([]byte(fmt.Sprintf("%d %s\n", resp.StatusCode, resp.Header.Get("Content-Type"))), b...)
	}
	post := func(t *testing.T, url string, _ store.Role, query string, vars map[string]any) []byte {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return send(t, url, body, "")
	}
	const account = `id handle createdAt country verified status allowlisted allowlist { by at reason __typename } lookupCount __typename`
	for _, c := range []struct {
		name  string
		query string
		vars  map[string]any
		fast  bool // the fast path must write at least one list (false: it may)
		root  bool // the root account or network must be written in one pass (false: it must not)
	}{
		{"benchmark network query", `query($id: ID!) { network(id: $id) { id score size evidence signals { name value } stateLinked { possible confidence reasons }
  members(first: 100) { totalCount edges { node { score role account { id handle } } } } } }`, map[string]any{"id": "n2a"}, true, true},
		{"every member field", `{ network(id: "n2a") { members(first: 3) { pageInfo { hasNextPage endCursor } edges { __typename cursor node { __typename score role account { ` + account + ` } } } } } }`, nil, true, true},
		{"second page", `query($after: String) { network(id: "n2a") { members(first: 3, after: $after) { edges { cursor node { account { id } } } } } }`,
			map[string]any{"after": nil}, true, true},
		{"aliases and fragments", `{ network(id: "n1") { members(first: 100) { all: edges { c: cursor n: node { ...M } } edges { node { score } } } } }
fragment M on Member { s: score account { ...A ... on Account { h: handle } } account { country } }
fragment A on Account { id verified }`, nil, true, true},
		{"skip and include", `query($yes: Boolean!, $no: Boolean!) { network(id: "n2a") { members { edges { cursor @skip(if: $yes) node { score @include(if: $yes) role @include(if: $no) account { id @skip(if: $no) handle } } } } } }`,
			map[string]any{"yes": true, "no": false}, true, true},
		// The same text with the other values: a plan made for the first
		// must not be reused.
		{"skip and include, other values", `query($yes: Boolean!, $no: Boolean!) { network(id: "n2a") { members { edges { cursor @skip(if: $yes) node { score @include(if: $yes) role @include(if: $no) account { id @skip(if: $no) handle } } } } } }`,
			map[string]any{"yes": false, "no": true}, true, true},
		{"root network, every plain field", `query($id: ID!) { network(id: $id) { __typename id key runId size score evidence signals { __typename name value detail }
  stateLinked { __typename possible confidence reasons } members(first: 2) { __typename totalCount pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } } }`,
			map[string]any{"id": "n2b"}, true, true},
		{"root network, every plain field, another network", `query($id: ID!) { network(id: $id) { __typename id key runId size score evidence signals { __typename name value detail }
  stateLinked { __typename possible confidence reasons } members(first: 2) { __typename totalCount pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } } }`,
			map[string]any{"id": "n2a"}, true, true},
		{"root network, whole page", `{ network(id: "n2b") { members(first: 5) { pageInfo { hasNextPage startCursor } edges { node { score } } } } }`, nil, true, true},
		{"root network, no members", `{ network(id: "n1") { id score size } }`, nil, false, true},
		{"root network, page size from a variable", `query($n: Int) { network(id: "n2a") { members(first: $n) { totalCount edges { node { score } } } } }`, map[string]any{"n": 2}, true, true},
		{"root network, other page size from the same text", `query($n: Int) { network(id: "n2a") { members(first: $n) { totalCount edges { node { score } } } } }`, map[string]any{"n": 3}, true, true},
		{"root network, null page size", `query($n: Int) { network(id: "n2a") { members(first: $n) { totalCount } } }`, map[string]any{"n": nil}, false, false},
		{"root network, empty cursor", `{ network(id: "n2a") { members(first: 2, after: "") { edges { node { score } } } } }`, nil, true, true},
		{"root network, bad cursor", `{ network(id: "n2a") { members(first: 2, after: "bogus") { totalCount } } }`, nil, false, false},
		{"root network, members twice", `{ network(id: "n2a") { a: members(first: 1) { totalCount } b: members(first: 2) { totalCount } } }`, nil, false, false},
		{"root network, skipped members", `query($x: Boolean!) { network(id: "n2a") { id members @skip(if: $x) { totalCount } } }`, map[string]any{"x": true}, false, true},
		{"root network, a resolver besides", `{ network(id: "n2a") { id reviewStatus members(first: 2) { totalCount } } }`, nil, false, false},
		{"root network, unknown", `{ network(id: "nobody") { id members { totalCount } } }`, nil, false, false},
		{"merged fields, included", `query($x: Boolean!) { account(id: "a01") { ips { count } ips @include(if: $x) { last ip { addr } } } }`, map[string]any{"x": true}, true, true},
		{"merged fields, left out", `query($x: Boolean!) { account(id: "a01") { ips { count } ips @include(if: $x) { last ip { addr } } } }`, map[string]any{"x": false}, true, true},
		{"merged fields, included again", `query($x: Boolean!) { account(id: "a01") { ips { count } ips @include(if: $x) { last ip { addr } } } }`, map[string]any{"x": true}, true, true},
		{"victims", `{ network(id: "n2a") { victims { role score account { id handle } } } }`, nil, true, false},
		{"account ips and devices (benchmark query)", `query($id: ID!) { account(id: $id) { id handle country verified ips { ip { addr kind } count last } devices { device { id os } count } } }`,
			map[string]any{"id": "a01"}, true, true},
		{"every usage field", `{ account(id: "a01") { ips(first: 5) { __typename first last count ip { __typename addr asn asnOrg country kind accountCount } }
  devices { __typename first last count device { __typename id os client accountCount } } } }`, nil, true, true},
		{"root account, every field", `{ account(id: "a01") { ` + account + ` a: ips(first: 1) { count } } }`, nil, true, true},
		{"root account, no lists", `{ account(id: "a01") { id handle } }`, nil, false, true},
		{"root account, page size from a variable", `query($n: Int) { account(id: "a01") { ips(first: $n) { count } devices(first: $n) { count } } }`, map[string]any{"n": 2}, true, true},
		{"root account, other page size from the same text", `query($n: Int) { account(id: "a01") { ips(first: $n) { count } devices(first: $n) { count } } }`, map[string]any{"n": 1}, true, true},
		{"root account, null page size", `query($n: Int) { account(id: "a01") { ips(first: $n) { count } } }`, map[string]any{"n": nil}, true, false},
		{"root account, bad page size", `{ account(id: "a01") { id ips(first: 0) { count } devices { count } } }`, nil, false, false},
		{"root account, devices only", `{ account(id: "a01") { devices { count } } }`, nil, true, true},
		{"root account, a resolver besides", `{ account(id: "a01") { id lookups { number } } }`, nil, false, false},
		{"root account, ips twice", `{ account(id: "a01") { x: ips(first: 1) { count } y: ips(first: 2) { count } } }`, nil, false, false},
		{"root account, skipped list", `query($x: Boolean!) { account(id: "a01") { id ips @skip(if: $x) { count } } }`, map[string]any{"x": true}, false, true},
		{"root account, unknown", `{ account(id: "nobody") { id ips { count } } }`, nil, false, false},
		{"an account without IPs", `{ account(id: "a12") { ips { count } devices { count } } }`, nil, false, true},
		// A resolver below the list: gqlgen runs it (with the loaders).
		{"resolver under members", `{ network(id: "n2a") { members(first: 5) { edges { node { account { id ips { ip { addr } } memberships { score network { id } } } } } } } }`, nil, false, false},
		{"resolver under ips", `{ account(id: "a01") { ips { ip { addr accounts(first: 3) { account { id } } } } } }`, nil, false, false},
		{"page of networks with members", `{ networks(first: 10) { edges { node { id members(first: 5) { edges { node { role account { id handle } } } } } } } }`, nil, true, false},
		{"bad page size", `{ network(id: "n2a") { members(first: 0) { edges { cursor } } } }`, nil, false, false},
	} {
		// Twice: the second time plans come from the server's cache.
		for _, pass := range []string{"", " (again)"} {
			t.Run(c.name+pass, func(t *testing.T) {
				before, rootsBefore := server.FastListsServed(h.srv), server.FastRootsServed(h.srv)
				got := post(t, h.ts.URL, viewer, c.query, c.vars)
				served, roots := server.FastListsServed(h.srv)-before, server.FastRootsServed(h.srv)-rootsBefore
				want := post(t, refTS.URL, viewer, c.query, c.vars)
				if !bytes.Equal(got, want) {
					t.Fatalf("fast path response differs\n got: %s\nwant: %s", got, want)
				}
				if !bytes.HasPrefix(got, []byte("200 application/json\n{\"data\":{")) {
					t.Logf("response: %.300s", got)
				}
				if c.fast && served == 0 {
					t.Errorf("fast path not taken: %s", got)
				}
				if c.root != (roots > 0) {
					t.Errorf("root value written in one pass: %v, want %v: %s", roots > 0, c.root, got)
				}
			})
		}
	}
	// The transport: whatever it does not answer itself goes to gqlgen's.
	for _, c := range []struct{ name, body, accept string }{
		{"not JSON", `{"query": "{ viewer { role } }"`, ""},
		{"syntax error", `{"query": "{ network(id: \"n1\") { id "}`, ""},
		{"unknown field", `{"query": "{ network(id: \"n1\") { nope } }"}`, ""},
		{"bad variables", `{"query": "query($id: ID!) { network(id: $id) { id } }", "variables": {"id": [1]}}`, ""},
		{"graphql-response+json", `{"query": "{ network(id: \"n1\") { id members { edges { cursor } } } }"}`, "application/graphql-response+json"},
		{"graphql-response+json error", `{"query": "{ nope }"}`, "application/graphql-response+json"},
		{"accept json", `{"query": "{ network(id: \"n1\") { id } }"}`, "application/json"},
		{"trailing bytes", `{"query": "{ network(id: \"n1\") { id } }"} trailing`, ""},
		{"operation name", `{"query": "query A { network(id: \"n1\") { id } } query B { viewer { role } }", "operationName": "B"}`, ""},
		{"no operation name", `{"query": "query A { network(id: \"n1\") { id } } query B { viewer { role } }"}`, ""},
	} {
		t.Run("transport "+c.name, func(t *testing.T) {
			got := send(t, h.ts.URL, []byte(c.body), c.accept)
			want := send(t, refTS.URL, []byte(c.body), c.accept)
			if !bytes.Equal(got, want) {
				t.Fatalf("response differs\n got: %s\nwant: %s", got, want)
			}
		})
	}
	if n := server.FastListsServed(ref); n != 0 {
		t.Errorf("reference server wrote %d lists without gqlgen", n)
	}
}

// Every field the fast path knows is plain in the schema (no arguments, no
// directive such as @hasRole): otherwise it would be left to gqlgen, and a
// schema change that adds one must be looked at.
func TestFastListsFieldsArePlain(t *testing.T) {
	if d := server.FastListsDropped(); len(d) > 0 {
		t.Errorf("fields not plain in the schema (left to gqlgen): %v", d)
	}
}
