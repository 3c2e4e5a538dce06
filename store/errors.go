package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test them with errors.Is; the API maps them to
// GraphQL error codes in one place.
var (
	// ErrNotFound means the id or key asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidArgument means the caller passed something the store cannot
	// use (an empty id, a negative limit, no Cypher).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnauthorized means Neo4j refused the user name or password.
	ErrUnauthorized = errors.New("neo4j refused the credentials")
	// ErrUnavailable means no Neo4j answered at the URI.
	ErrUnavailable = errors.New("neo4j unavailable")
)

// wrap prefixes *errp with a description of the call that failed, keeping
// the chain for errors.Is. Use it as `defer wrap(&err, "Store.X(ctx, %q)", id)`.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
