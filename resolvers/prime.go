package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
)

// selectedFirst looks ahead from a root lookup (account(id), network(id))
// to a list field selected under it, so the root can read that list's
// first page in its own statement and prime the loader the field's
// resolver loads from: the loader stays the only way the field is
// resolved, and on a hit it costs no statement. It returns the page size
// the field will ask for (its `first` argument or the schema's default),
// or 0 when the field is not selected, is selected more than once (aliases
// with their own arguments), takes `after`, or asks for a size outside
// 1..max (the resolver then reports the error).
func selectedFirst(ctx context.Context, field string, max int) int {
	if graphql.GetFieldContext(ctx) == nil {
		return 0
	}
	vars := graphql.GetOperationContext(ctx).Variables
	n := 0
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name != field {
			continue
		}
		if n != 0 {
			return 0
		}
		args := f.ArgumentMap(vars)
		if args["after"] != nil {
			return 0
		}
		first, ok := intArg(args["first"])
		if !ok || first < 1 || first > max {
			return 0
		}
		n = first
	}
	return n
}

// intArg reads an Int argument as the parser or the request's JSON
// variables give it.
func intArg(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), x == float64(int(x))
	case json.Number:
		i, err := x.Int64()
		return int(i), err == nil
	}
	return 0, false
}
