package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
)

// selectedPage looks ahead into the current field's selection: when the
// child field name is selected exactly once, without `after`, with a valid
// `first` (def when not given), it returns that page size. Root resolvers
// use it to fetch an object and its first page of a list in one statement
// and prime the list's loader with it.
func selectedPage(ctx context.Context, name string, def, max int) (int, bool) {
	oc := graphql.GetOperationContext(ctx)
	n, found := 0, 0
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name != name {
			continue
		}
		found++
		args := f.ArgumentMap(oc.Variables)
		if a, ok := args["after"]; ok && a != nil && a != "" {
			return 0, false
		}
		n = def
		if v, ok := args["first"]; ok && v != nil {
			if n, ok = toInt(v); !ok {
				return 0, false
			}
		}
	}
	if found != 1 || n < 1 || n > max {
		return 0, false // the field's own resolver reports a bad page size
	}
	return n, true
}

func toInt(v any) (int, bool) {
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
