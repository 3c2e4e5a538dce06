package store

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// clearBatch bounds each delete transaction, so clearing a large graph
// never needs more transaction memory than a small write.
const clearBatch = 10000

// Clear deletes every node and relationship of the database (the schema
// stays). It deletes relationships first and then nodes, in batches, each
// batch its own retried transaction, until nothing is left. Tests use it to
// start empty; it is not something to point at a production database.
func (s *Store) Clear(ctx context.Context) (err error) {
	defer wrap(&err, "Store.Clear")
	// Relationships first: deleting a hub node with DETACH would put all
	// of its relationships into one transaction however small the batch.
	for _, stmt := range []string{
		"MATCH ()-[r]->() WITH r LIMIT $batch DELETE r RETURN count(*) AS n",
		"MATCH (n) WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS n",
	} {
		for {
			n, err := s.writeCount(ctx, stmt, map[string]any{"batch": int64(clearBatch)})
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// writeCount runs a retried write statement returning one row with an
// integer column n, and returns n.
func (s *Store) writeCount(ctx context.Context, cypher string, params map[string]any) (int64, error) {
	ctx, end := s.watch(ctx)
	sess := s.session(ctx, neo4j.AccessModeWrite, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	n, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		n, err := Get[int64](rec, "n")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cypher, err)
		}
		return n, nil
	})
	if err != nil {
		return 0, end(classifyIn(ctx, err))
	}
	return n.(int64), end(nil)
}

// CountNodes returns the number of nodes in the database, less Migrate's
// bookkeeping (a migrated empty store is empty): zero is what the bulk
// first load (package bulkload) requires before it replaces the store.
func (s *Store) CountNodes(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "Store.CountNodes")
	recs, err := s.Query(ctx, "MATCH (n) WHERE NOT n:Migration RETURN count(n) AS n", nil)
	if err != nil {
		return 0, err
	}
	return Get[int64](recs[0], "n")
}
