package store

import "time"

// localTimes rewrites, in place, every time.Time in params whose location
// is time.Local to the same instant in UTC. The driver sends a time's zone
// by name, and Neo4j rejects the name "Local" ("Illegal zone identifier"),
// so time.Now() and times parsed without a zone would otherwise fail a
// whole batch. Times in UTC or a named zone are left as they are. It walks
// maps and slices, so rows of WriteRows are covered.
func localTimes(params map[string]any) map[string]any {
	for k, v := range params {
		if nv, ok := fixLocal(v); ok {
			params[k] = nv
		}
	}
	return params
}

// fixLocal returns v with Local times made UTC, and whether v itself must
// be replaced (containers are changed in place).
func fixLocal(v any) (any, bool) {
	switch x := v.(type) {
	case time.Time:
		if x.Location() == time.Local {
			return x.UTC(), true
		}
	case *time.Time:
		if x != nil && x.Location() == time.Local {
			u := x.UTC()
			return &u, true
		}
	case map[string]any:
		localTimes(x)
	case []map[string]any:
		for _, m := range x {
			localTimes(m)
		}
	case []any:
		for i, e := range x {
			if ne, ok := fixLocal(e); ok {
				x[i] = ne
			}
		}
	case []time.Time:
		for i, t := range x {
			if t.Location() == time.Local {
				x[i] = t.UTC()
			}
		}
	}
	return v, false
}
