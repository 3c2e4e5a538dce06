package selection

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

var schema = gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { a: A, b: A } type A { x: Int, y: Int, z: A }`})

// rootFields parses query and collects its operation's root fields as
// gqlgen does for a request with vars.
func rootFields(t *testing.T, query string, vars map[string]any) (*graphql.OperationContext, []graphql.CollectedField) {
	t.Helper()
	doc, err := gqlparser.LoadQuery(schema, query)
	if err != nil {
		t.Fatal(err)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	return oc, graphql.CollectFields(oc, doc.Operations[0].SelectionSet, nil)
}

func TestCacheKeepsOnlyStaticSelections(t *testing.T) {
	oc, fields := rootFields(t, `query Plain($v: Boolean!) {
  a { x z { y } }
  b { x y @include(if: $v) }
}
query Merged { a { x } a { y } }
query Fragments($v: Boolean!) { a { ...F } b { ...G } }
fragment F on A { x }
fragment G on A { y @skip(if: $v) }`, map[string]any{"v": true})
	doc := oc.Doc
	merged := &graphql.OperationContext{Doc: doc, Operation: doc.Operations.ForName("Merged")}
	mergedFields := graphql.CollectFields(merged, merged.Operation.SelectionSet, nil)
	frag := &graphql.OperationContext{Doc: doc, Operation: doc.Operations.ForName("Fragments"), Variables: map[string]any{"v": true}}
	fragFields := graphql.CollectFields(frag, frag.Operation.SelectionSet, nil)

	for _, c := range []struct {
		name   string
		oc     *graphql.OperationContext
		field  graphql.CollectedField
		cached bool
	}{
		{"plain selection", oc, fields[0], true},
		{"a directive in the selection", oc, fields[1], false},
		{"fields of one name merged", merged, mergedFields[0], false},
		{"plain fragment", frag, fragFields[0], true},
		{"a directive in a spread fragment", frag, fragFields[1], false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cache Cache[int]
			made := 0
			mk := func() int { made++; return made }
			first, second := cache.Get(c.oc, c.field, mk), cache.Get(c.oc, c.field, mk)
			if c.cached && (made != 1 || second != first) {
				t.Errorf("made %d times (values %d, %d), want once", made, first, second)
			}
			if !c.cached && made != 2 {
				t.Errorf("made %d times, want every time", made)
			}
		})
	}
}

// The same text parsed again is another document: its fields are other
// keys, so nothing made for one is handed to the other.
func TestCacheKeysAreFieldsOfOneDocument(t *testing.T) {
	var cache Cache[string]
	oc1, f1 := rootFields(t, `{ a { x } }`, nil)
	oc2, f2 := rootFields(t, `{ a { x } }`, nil)
	cache.Get(oc1, f1[0], func() string { return "first" })
	if got := cache.Get(oc2, f2[0], func() string { return "second" }); got != "second" {
		t.Errorf("another document's field got %q", got)
	}
	if got := cache.Get(oc1, f1[0], func() string { return "again" }); got != "first" {
		t.Errorf("the first document's field got %q, want its cached value", got)
	}
}

func TestCacheIsBounded(t *testing.T) {
	var cache Cache[int]
	for range maxEntries + 10 {
		oc, f := rootFields(t, `{ a { x } }`, nil)
		cache.Get(oc, f[0], func() int { return 1 })
	}
	n := 0
	cache.m.Range(func(any, any) bool { n++; return true })
	if n > maxEntries {
		t.Errorf("%d entries, more than %d", n, maxEntries)
	}
}
