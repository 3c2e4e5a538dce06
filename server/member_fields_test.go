package server_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
)

// Every way of selecting the accounts of network(id)'s members (fragments,
// aliases, a nested occurrence of the same network through the loaders)
// must get exactly what account(id) returns for each.
func TestNetworkMemberAccountFields(t *testing.T) {
	h := newHarness(t, server.Config{})
	const all = `id handle createdAt country verified status allowlisted allowlist { by reason } lookupCount`
	// The reference: each member's account as account(id) returns it.
	ref := func(t *testing.T, id string) map[string]any {
		var got struct{ Account map[string]any }
		h.sub(t).ok(viewer, `query($id: ID!) { account(id: $id) { `+all+` } }`, map[string]any{"id": id}, &got)
		return got.Account
	}
	// accounts walks a decoded members connection to its accounts.
	accounts := func(t *testing.T, conn any) []map[string]any {
		var c struct {
			Edges []struct {
				Node struct{ Account map[string]any }
			}
		}
		b, _ := json.Marshal(conn)
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for _, e := range c.Edges {
			out = append(out, e.Node.Account)
		}
		if len(out) == 0 {
			t.Fatalf("no members in %s", b)
		}
		return out
	}
	// same checks that each account has exactly the wanted fields, with
	// account(id)'s values.
	same := func(t *testing.T, got []map[string]any, fields []string) {
		t.Helper()
		for _, a := range got {
			id, _ := a["id"].(string)
			want := map[string]any{}
			r := ref(t, id)
			for _, f := range fields {
				want[f] = r[f]
			}
			if !reflect.DeepEqual(a, want) {
				t.Errorf("account %s through members = %v, want %v", id, a, want)
			}
		}
	}
	allFields := []string{"id", "handle", "createdAt", "country", "verified", "status", "allowlisted", "allowlist", "lookupCount"}
	for _, c := range []struct {
		name, query string
		fields      []string
	}{
		{"id and handle", `{ network(id: "n2a") { members(first: 100) { edges { node { account { id handle } } } } } }`, []string{"id", "handle"}},
		{"every field", `{ network(id: "n2a") { members(first: 100) { edges { node { account { ` + all + ` } } } } } }`, allFields},
		{"fragment", `{ network(id: "n2a") { members(first: 100) { edges { node { account { ...A } } } } } } fragment A on Account { ` + all + ` }`, allFields},
		{"inline fragment and split selections", `{ network(id: "n2a") { members(first: 100) { edges { node { account { id country } } }
  edges { node { account { ... on Account { verified allowlisted } } } } } } }`, []string{"id", "country", "verified", "allowlisted"}},
		{"aliases", `{ network(id: "n2a") { members(first: 100) { edges { node { account { id } who: account { id handle } } } } } }`, []string{"id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got struct {
				Network struct{ Members any }
			}
			h.sub(t).ok(viewer, c.query, nil, &got)
			same(t, accounts(t, got.Network.Members), c.fields)
		})
	}
	t.Run("alias sees its own fields", func(t *testing.T) {
		var got struct {
			Network struct {
				Members struct {
					Edges []struct {
						Node struct {
							Who map[string]any
						}
					}
				}
			}
		}
		h.sub(t).ok(viewer, `{ network(id: "n2a") { members(first: 100) { edges { node { account { id } who: account { id handle } } } } } }`, nil, &got)
		for _, e := range got.Network.Members.Edges {
			if r := ref(t, e.Node.Who["id"].(string)); e.Node.Who["handle"] != r["handle"] || e.Node.Who["handle"] == nil {
				t.Errorf("aliased account = %v, want handle %v", e.Node.Who, r["handle"])
			}
		}
	})
	t.Run("nested occurrence of the same network", func(t *testing.T) {
		// The root page (first 10) reads ids only; the same network reached
		// again through a membership asks for the same page with more fields.
		var got struct {
			Network struct {
				Members struct {
					Edges []struct {
						Node struct {
							Account struct {
								ID          string
								Memberships []struct {
									Network struct {
										ID      string
										Members any
									}
								}
							}
						}
					}
				}
			}
		}
		h.sub(t).ok(viewer, `{ network(id: "n2a") { members(first: 10) { edges { node { account { id
  memberships { network { id members(first: 10) { edges { node { account { id country verified } } } } } } } } } } } }`, nil, &got)
		n := 0
		for _, e := range got.Network.Members.Edges {
			for _, m := range e.Node.Account.Memberships {
				if m.Network.ID == "n2a" {
					n++
					same(t, accounts(t, m.Network.Members), []string{"id", "country", "verified"})
				}
			}
		}
		if n == 0 {
			t.Fatal("no nested occurrence of n2a")
		}
	})
}
