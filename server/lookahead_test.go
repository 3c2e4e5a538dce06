package server_test

import (
	"encoding/json"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
)

// The root resolvers keep what they look ahead into (which account fields
// to read) per field of a cached query. The same text must still read
// what each request's @include and @skip select, and a cached look-ahead
// must keep reading every field it shows.
func TestLookaheadFollowsEachRequest(t *testing.T) {
	h := newHarness(t, server.Config{})
	type account struct {
		Handle  *string
		Country *string
		IPs     []json.RawMessage
	}
	var want struct{ Account account }
	h.ok(viewer, `{ account(id: "a01") { handle country ips { count } } }`, nil, &want)
	if want.Account.Handle == nil || want.Account.Country == nil || len(want.Account.IPs) == 0 {
		t.Fatalf("seeded account a01 has no handle, country or IPs: %+v", want.Account)
	}

	withDirectives := `query($h: Boolean!) { account(id: "a01") { handle @include(if: $h) country @skip(if: $h) ips { count } } }`
	for _, h1 := range []bool{true, false, true, false} {
		var got struct{ Account map[string]any }
		h.ok(viewer, withDirectives, map[string]any{"h": h1}, &got)
		handle, hasHandle := got.Account["handle"]
		country, hasCountry := got.Account["country"]
		if hasHandle != h1 || hasCountry == h1 {
			t.Fatalf("h=%v: fields %v", h1, got.Account)
		}
		if h1 && handle != *want.Account.Handle {
			t.Errorf("h=%v: handle %v, want %q", h1, handle, *want.Account.Handle)
		}
		if !h1 && country != *want.Account.Country {
			t.Errorf("h=%v: country %v, want %q", h1, country, *want.Account.Country)
		}
	}

	// Without directives the look-ahead is kept: every later request of
	// the text must still be given each field, and members' accounts too.
	static := `{ account(id: "a01") { handle country ips { count } } }`
	for range 3 {
		var got struct{ Account account }
		h.ok(viewer, static, nil, &got)
		if got.Account.Handle == nil || *got.Account.Handle != *want.Account.Handle || got.Account.Country == nil || len(got.Account.IPs) != len(want.Account.IPs) {
			t.Fatalf("cached look-ahead: %+v, want %+v", got.Account, want.Account)
		}
	}
	members := `{ network(id: "n2a") { members(first: 5) { edges { node { account { id handle } } } } } }`
	for i := range 3 {
		var got struct {
			Network struct {
				Members struct {
					Edges []struct {
						Node struct{ Account struct{ ID, Handle *string } }
					}
				}
			}
		}
		h.ok(viewer, members, nil, &got)
		if len(got.Network.Members.Edges) == 0 {
			t.Fatal("network n2a has no members")
		}
		for _, e := range got.Network.Members.Edges {
			if e.Node.Account.ID == nil || e.Node.Account.Handle == nil {
				t.Fatalf("request %d: member account without its id or handle: %+v", i, e.Node.Account)
			}
		}
	}
}
