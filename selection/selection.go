// Package selection memoizes what is worked out from a GraphQL field's
// selection (which fields to read, how to write them), per field of a
// parsed document, for the selections where that cannot change from one
// request to the next. gqlgen caches parsed documents, so the same query
// sent again reaches the same *ast.Field.
package selection

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// maxEntries bounds a Cache (cleared when full): documents come from
// gqlgen's query cache of 1000, so an entry can keep an evicted document
// alive only until then. The keys hold their fields, so an address is
// never reused while its entry lives.
const maxEntries = 4096

// Cache holds values of type V by field.
type Cache[V any] struct {
	m sync.Map // *ast.Field -> V
	n atomic.Int64
}

// Get returns mk's value for field, cached when it is static: a value
// made from a selection is a function of the selection, the document's
// fragments and the variables of @skip and @include in it, and it is
// cached only when none of those can differ between requests (the
// selection is exactly the one field's own, not several fields of the
// same name that gqlgen merged, which could depend on a sibling's
// @include, and holds no directive at any depth, fragments included).
// mk must not depend on anything else that varies, such as the values of
// arguments given as variables.
func (c *Cache[V]) Get(oc *graphql.OperationContext, field graphql.CollectedField, mk func() V) V {
	sel := field.Selections
	static := field.Field != nil && len(sel) > 0 && slices.Equal(sel, field.Field.SelectionSet) // gqlgen copies them
	if static {
		if v, ok := c.m.Load(field.Field); ok {
			return v.(V)
		}
	}
	v := mk()
	if static && !HasDirectives(oc.Doc, sel, 0) {
		if c.n.Add(1) > maxEntries {
			c.m.Clear()
			c.n.Store(1)
		}
		c.m.Store(field.Field, v)
	}
	return v
}

// HasDirectives reports whether any field, inline fragment, fragment
// spread or spread fragment in sel carries a directive (true as well past
// a depth no valid document reaches, so it always ends).
func HasDirectives(doc *ast.QueryDocument, sel ast.SelectionSet, depth int) bool {
	if depth > 64 {
		return true
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Directives) > 0 || HasDirectives(doc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.InlineFragment:
			if len(s.Directives) > 0 || HasDirectives(doc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if len(s.Directives) > 0 {
				return true
			}
			def := s.Definition
			if def == nil && doc != nil {
				def = doc.Fragments.ForName(s.Name)
			}
			if def == nil || len(def.Directives) > 0 || HasDirectives(doc, def.SelectionSet, depth+1) {
				return true
			}
		}
	}
	return false
}
