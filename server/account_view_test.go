package server_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
)

// Every way of selecting account(id) with its ips and devices (fragments,
// aliases, a part of the fields) must get exactly what a query selecting
// everything gets, and so must the same account reached again deeper in
// the query through the loaders.
func TestAccountViewFields(t *testing.T) {
	h := newHarness(t, server.Config{})
	const everything = `id handle createdAt country verified status allowlisted allowlist { by reason } lookupCount
  ips(first: 5) { first last count ip { addr asn asnOrg country kind accountCount } }
  devices(first: 5) { first last count device { id os client accountCount } }`
	var ref struct{ Account map[string]any }
	h.ok(viewer, `{ account(id: "a01") { `+everything+` } }`, nil, &ref)
	if ips, _ := ref.Account["ips"].([]any); len(ips) != 2 {
		t.Fatalf("reference account has %d IPs, want 2: %v", len(ips), ref.Account)
	}
	// project keeps, of v, only the shape of want (maps by key, lists
	// element by element), so a partial answer can be compared with the
	// reference.
	var project func(v, shape any) any
	project = func(v, shape any) any {
		switch s := shape.(type) {
		case map[string]any:
			m, _ := v.(map[string]any)
			out := map[string]any{}
			for k, sv := range s {
				out[k] = project(m[k], sv)
			}
			return out
		case []any:
			l, _ := v.([]any)
			out := []any{}
			for i := range l {
				if len(s) > 0 {
					out = append(out, project(l[i], s[0]))
				}
			}
			return out
		}
		return v
	}
	for _, c := range []struct{ name, query string }{
		{"benchmark query", `{ account(id: "a01") { id handle country verified ips { ip { addr kind } count last } devices { device { id os } count } } }`},
		{"ids only", `{ account(id: "a01") { id ips { ip { addr } } devices { device { id } } } }`},
		{"ips only", `{ account(id: "a01") { ips(first: 5) { count ip { asn } } } }`},
		{"devices only", `{ account(id: "a01") { lookupCount devices(first: 5) { first device { client accountCount } } } }`},
		{"fragments and aliases", `{ account(id: "a01") { ...A x: ips(first: 5) { ip { ...I } } } } fragment A on Account { status allowlisted ips(first: 5) { last } }
fragment I on IP { country accountCount }`},
		{"typename", `{ account(id: "a01") { __typename ips { __typename ip { __typename addr } } devices { __typename device { __typename os } } } }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got struct{ Account map[string]any }
			h.sub(t).ok(viewer, c.query, nil, &got)
			// Compare field by field with the reference, under the
			// response keys the query used (aliases map to the field).
			for k, v := range got.Account {
				field := map[string]string{"x": "ips"}[k]
				if field == "" {
					field = k
				}
				if k == "__typename" {
					continue
				}
				want := project(ref.Account[field], shapeOf(v))
				if !reflect.DeepEqual(dropTypename(v), want) {
					t.Errorf("%s = %v\nwant %v", k, v, want)
				}
			}
		})
	}
	t.Run("nested occurrence of the same account", func(t *testing.T) {
		// The root reads its IPs' addresses only; a01 reached again through
		// its network's members asks for the same page with every field.
		var got struct {
			Account struct {
				Memberships []struct {
					Network struct {
						Members struct {
							Edges []struct {
								Node struct {
									Account map[string]any
								}
							}
						}
					}
				}
			}
		}
		h.sub(t).ok(viewer, `{ account(id: "a01") { id ips(first: 5) { ip { addr } } devices(first: 5) { count } memberships { network { members(first: 10) { edges { node { account { `+everything+` } } } } } } } }`, nil, &got)
		n := 0
		for _, m := range got.Account.Memberships {
			for _, e := range m.Network.Members.Edges {
				if e.Node.Account["id"] == "a01" {
					n++
					if !reflect.DeepEqual(e.Node.Account, ref.Account) {
						t.Errorf("nested a01 = %v\nwant %v", e.Node.Account, ref.Account)
					}
				}
			}
		}
		if n == 0 {
			t.Fatal("no nested occurrence of a01")
		}
	})
}

// shapeOf is v's shape for project: maps and lists, leaves nil.
func shapeOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k != "__typename" {
				out[k] = shapeOf(e)
			}
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shapeOf(x[0])}
	}
	return nil
}

// dropTypename removes __typename keys (the reference has none).
func dropTypename(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "__typename")
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return walk(out)
}
