package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The API's reads and writes go through apiRecords and apiWrite, which count
// the statements they run when the context carries a counter: the API test
// that proves dataloaders keep a page of networks to a bounded number of
// Cypher statements reads that counter.

func init() {
	// Indexes only the API filters on; appended to the core schema so
	// Migrate creates them.
	schema = append(schema,
		"CREATE INDEX network_predecessor IF NOT EXISTS FOR (n:Network) ON (n.predecessorId)",
		"CREATE INDEX network_review_status IF NOT EXISTS FOR (n:Network) ON (n.reviewStatus)",
		"CREATE INDEX review_network IF NOT EXISTS FOR (n:Review) ON (n.networkId)",
		"CREATE INDEX audit_action IF NOT EXISTS FOR (n:Audit) ON (n.action)",
	)
}

type queryCounterKey struct{}

// WithQueryCounter returns a context under which every API statement run by
// the store adds one to the returned counter.
func WithQueryCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	c := new(atomic.Int64)
	return context.WithValue(ctx, queryCounterKey{}, c), c
}

func countQuery(ctx context.Context) {
	if c, ok := ctx.Value(queryCounterKey{}).(*atomic.Int64); ok {
		c.Add(1)
	}
}

// row is one record as a map from column to value. Its values are read
// with the typed field (one column) or decode (a whole model by name):
// a value of the wrong type is an error, never a silent zero.
type row map[string]any

func toRows(recs []*neo4j.Record) []row {
	out := make([]row, len(recs))
	for i, r := range recs {
		out[i] = r.AsMap()
	}
	return out
}

// apiRecords runs one read statement through the driver's ExecuteQuery:
// reader routing, a managed transaction the driver retries on transient
// errors, and bookmarks, so a read after a mutation sees it on a cluster.
func (s *Store) apiRecords(ctx context.Context, cypher string, params map[string]any) ([]*neo4j.Record, error) {
	countQuery(ctx)
	return s.Query(ctx, cypher, params)
}

// apiWrite runs one write statement in a retried write transaction and
// returns its records. The statement must be idempotent (MERGE on an id the
// caller chose), since a retry runs it again.
func (s *Store) apiWrite(ctx context.Context, cypher string, params map[string]any) ([]row, error) {
	countQuery(ctx)
	ctx, end := s.watch(ctx)
	res, err := neo4j.ExecuteQuery(ctx, s.driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithWritersRouting(), neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		return nil, end(classifyIn(ctx, err))
	}
	return toRows(res.Records), end(nil)
}

// Ping checks that Neo4j answers a query; /healthz uses it.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.Query(ctx, "RETURN 1 AS ok", nil)
	return err
}

func (r row) sub(k string) row {
	m, _ := r[k].(map[string]any)
	return row(m)
}

// jsonValue decodes a property that holds JSON text; any other value is
// returned as is (a map or list written natively), nil stays nil.
func jsonValue(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return s
	}
	return out
}

// checkFirst validates a page size.
func checkFirst(first, max int) error {
	if first < 1 || first > max {
		return fmt.Errorf("%w: first must be between 1 and %d, got %d", ErrInvalidArgument, max, first)
	}
	return nil
}
