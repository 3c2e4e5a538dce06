package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/graph"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/ast"
)

// hostileStrings go into every string and ID argument (and every string
// field of an input object) of every query and mutation: Cypher and
// GraphQL injection, JSON and path tricks, formula and markup payloads,
// control characters, a raw phone number, and sheer size.
var hostileStrings = []string{
	`' OR 1=1 //`,
	`"}) MATCH (n) DETACH DELETE n //`,
	"a01\"}) RETURN n //",
	"a01' RETURN 1 UNION MATCH (k:ApiKey) RETURN k.hash //",
	"$id",
	"`backtick` {x: 1}",
	`{"$ne": null}`,
	"../../../../etc/passwd",
	"<script>alert(1)</script>",
	`=HYPERLINK("http://evil.example/","x")`,
	"\x00\x01\x7f",
	"\u202e\ufeff\U0001F600",
	"+14155550101",
	"",
	" ",
	strings.Repeat("A", 20000),
}

// confusions are values of the wrong type for any argument.
var confusions = []any{float64(1e300), -1, true, []any{"a01", 1}, map[string]any{"id": "a01"}, "100"}

// TestHostileInputs runs every string argument of every query and
// mutation with every hostile string, and every argument with values of
// the wrong type, with each role's key. No response may be a server error
// (5xx, INTERNAL), a role below the field's may get no data from it, and
// the stored world must be intact afterwards (the harness also scans
// every response and log line for raw numbers).
func TestHostileInputs(t *testing.T) {
	h := newHarness(t, server.Config{TargetPerMin: 1e6, TargetBurst: 1e6})
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	type call struct {
		name string
		op   string
		vars map[string]any
		min  store.Role
	}
	var calls []call
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
		opType := "query"
		if root == schema.Mutation {
			opType = "mutation"
		}
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			min := store.RoleViewer
			if d := f.Directives.ForName("hasRole"); d != nil {
				min = store.Role(d.Arguments.ForName("role").Value.Raw)
			}
			for _, arg := range f.Arguments {
				for i, v := range argValues(schema, arg.Type) {
					vars := map[string]any{}
					var decl, use []string
					for _, a := range f.Arguments {
						decl = append(decl, "$"+a.Name+": "+a.Type.String())
						use = append(use, a.Name+": $"+a.Name)
						if a == arg {
							vars[a.Name] = v
						} else if a.Type.NonNull && a.DefaultValue == nil {
							vars[a.Name] = sample(schema, a.Type)
						}
					}
					op := fmt.Sprintf("%s(%s) { %s(%s)%s }", opType, strings.Join(decl, ", "), f.Name, strings.Join(use, ", "), selection(schema, f.Type))
					calls = append(calls, call{fmt.Sprintf("%s.%s#%d", f.Name, arg.Name, i), op, vars, min})
				}
			}
		}
	}
	if len(calls) < 500 {
		t.Fatalf("only %d calls built from the schema", len(calls))
	}
	for _, role := range []store.Role{viewer, analyst, admin} {
		for _, c := range calls {
			r := h.do(role, c.op, c.vars)
			if r.Status >= 500 {
				t.Errorf("%s as %s: status %d", c.name, role, r.Status)
			}
			for _, e := range r.Errors {
				if e.Code() == "INTERNAL" || e.Code() == "" && r.Status == http.StatusOK && len(e.Path) > 0 {
					t.Errorf("%s as %s: %+v", c.name, role, e)
				}
			}
			if role.Level() < c.min.Level() {
				var data map[string]json.RawMessage
				_ = json.Unmarshal(r.Data, &data)
				for k, v := range data {
					if string(v) != "null" {
						t.Errorf("%s as %s (needs %s): got data %s = %.200s", c.name, role, c.min, k, v)
					}
				}
			}
		}
	}
	// Nothing the injections tried ran: the world is as seeded.
	var got struct {
		Networks struct{ TotalCount int }
		A01      *struct{ ID string }
	}
	h.ok(viewer, `{ networks { totalCount } a01: account(id: "a01") { id } }`, nil, &got)
	if got.Networks.TotalCount != 2 || got.A01 == nil {
		t.Fatalf("stored world changed: %+v", got)
	}
	t.Logf("%d operations x 3 roles", len(calls))
}

// argValues is what a hostile test sends for an argument of type ty: the
// hostile strings (directly or in each string field of an input object)
// and the wrong types.
func argValues(schema *ast.Schema, ty *ast.Type) []any {
	var out []any
	def := schema.Types[ty.Name()]
	switch {
	case ty.Elem != nil:
		for _, v := range argValues(schema, ty.Elem) {
			out = append(out, []any{v})
		}
	case def.Kind == ast.Scalar && (def.Name == "String" || def.Name == "ID"):
		for _, s := range hostileStrings {
			out = append(out, s)
		}
	case def.Kind == ast.InputObject:
		for _, f := range def.Fields {
			for _, v := range argValues(schema, f.Type) {
				obj := sample(schema, &ast.Type{NamedType: def.Name, NonNull: true}).(map[string]any)
				obj[f.Name] = v
				out = append(out, obj)
			}
		}
	}
	if ty.Elem == nil && def.Kind != ast.InputObject {
		out = append(out, confusions...)
	}
	return out
}

// sample is a plain valid value of type ty, for the arguments a call
// needs but does not test.
func sample(schema *ast.Schema, ty *ast.Type) any {
	if ty.Elem != nil {
		return []any{sample(schema, ty.Elem)}
	}
	def := schema.Types[ty.Name()]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				obj[f.Name] = sample(schema, f.Type)
			}
		}
		return obj
	}
	switch def.Name {
	case "Int":
		return 1
	case "Float":
		return 0.5
	case "Boolean":
		return false
	case "Time":
		return "2026-01-01T00:00:00Z"
	}
	return "a01"
}

// selection is the least selection set a field of type ty needs.
func selection(schema *ast.Schema, ty *ast.Type) string {
	switch schema.Types[ty.Name()].Kind {
	case ast.Object, ast.Interface, ast.Union:
		return " { __typename }"
	}
	return ""
}
