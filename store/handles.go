package store

import (
	"context"
	"fmt"
	"regexp"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Network handles are the names people say: "N-0042". A network that
// continues a predecessor (detection's identity matching, the same rule
// that keeps its key) keeps the predecessor's handle; a new network takes
// the next number of one counter, (:Sequence {id: 'network-handle', last}),
// which allocation increments under the node's write lock, so two runs
// writing at once never hand out the same number. Numbers of a run that
// fails after allocating are not reused: a gap, never a duplicate.

const handleSequence = "network-handle"

var handlePattern = regexp.MustCompile(`^N-[0-9]{4,}$`)

// FormatHandle is the handle of number n: "N-0042".
func FormatHandle(n int64) string { return fmt.Sprintf("N-%04d", n) }

// IsHandle reports whether s has the form of a network handle.
func IsHandle(s string) bool { return handlePattern.MatchString(s) }

// allocateHandles takes k new handle numbers and returns the first; the
// rest follow it.
func (s *Store) allocateHandles(ctx context.Context, k int) (int64, error) {
	sess := s.session(ctx, neo4j.AccessModeWrite, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	last, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		// The first SET takes the node's write lock before last is read,
		// so concurrent allocations queue instead of reading the same
		// value (Neo4j's documented guard against lost updates).
		res, err := tx.Run(ctx, `MERGE (c:Sequence {id: $id})
SET c.lock = true
WITH c
SET c.last = coalesce(c.last, 0) + $k
REMOVE c.lock
RETURN c.last AS n`, map[string]any{"id": handleSequence, "k": int64(k)})
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		return Get[int64](rec, "n")
	})
	if err != nil {
		return 0, fmt.Errorf("allocating %d network handles: %w", k, classifyIn(ctx, err))
	}
	return last.(int64) - int64(k) + 1, nil
}

// fillHandles gives every row without a handle its predecessor's, or
// when it has none a new one, in row order (best first, so the strongest
// new network gets the lowest number).
func (s *Store) fillHandles(ctx context.Context, nets []NetworkRow) error {
	var preds []string
	for _, n := range nets {
		if n.Handle == "" && n.PredecessorID != "" {
			preds = append(preds, n.PredecessorID)
		}
	}
	inherited := map[string]string{}
	if len(preds) > 0 {
		recs, err := s.Query(ctx, `UNWIND $ids AS id MATCH (p:Network {id: id}) WHERE p.handle IS NOT NULL RETURN p.id AS id, p.handle AS handle`,
			map[string]any{"ids": preds})
		if err != nil {
			return fmt.Errorf("reading predecessors' handles: %w", err)
		}
		for _, r := range recs {
			id, _ := r.Values[0].(string)
			inherited[id], _ = r.Values[1].(string)
		}
	}
	var todo []int
	for i, n := range nets {
		if n.Handle != "" {
			continue
		}
		if h := inherited[n.PredecessorID]; h != "" {
			nets[i].Handle = h
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return nil
	}
	first, err := s.allocateHandles(ctx, len(todo))
	if err != nil {
		return err
	}
	for j, i := range todo {
		nets[i].Handle = FormatHandle(first + int64(j))
	}
	return nil
}

// NetworkIDByHandle returns the id of the newest network with handle h
// (its lineage's latest finished run), or ErrNotFound.
func (s *Store) NetworkIDByHandle(ctx context.Context, h string) (_ string, err error) {
	defer wrap(&err, "Store.NetworkIDByHandle(%q)", h)
	recs, err := s.Query(ctx, `MATCH (n:Network {handle: $h})
OPTIONAL MATCH (r:DetectionRun {id: n.runId})
WITH n, r WHERE r IS NULL OR r.finishedAt IS NOT NULL
RETURN n.id AS id ORDER BY r.finishedAt DESC, n.id DESC LIMIT 1`, map[string]any{"h": h})
	if err != nil {
		return "", err
	}
	if len(recs) == 0 {
		return "", fmt.Errorf("%w: network %s", ErrNotFound, h)
	}
	return Get[string](recs[0], "id")
}

// migrateHandles gives networks stored before handles existed theirs:
// run by run in the order the runs started, a network inherits its
// predecessor's handle, or takes a new one. Networks that have a handle
// are never touched, so running it again does nothing.
func (s *Store) migrateHandles(ctx context.Context) error {
	recs, err := s.Query(ctx, `MATCH (n:Network) WHERE n.handle IS NULL
OPTIONAL MATCH (r:DetectionRun {id: n.runId})
OPTIONAL MATCH (p:Network {id: n.predecessorId})
RETURN n.id AS id, coalesce(n.predecessorId, '') AS pred, coalesce(p.handle, '') AS predHandle
ORDER BY coalesce(r.startedAt, datetime({epochMillis: 0})), n.runId, n.score DESC, n.id`, nil)
	if err != nil {
		return fmt.Errorf("reading networks without handles: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	rows := make([]NetworkRow, len(recs))
	for i, r := range recs {
		m := r.AsMap()
		rows[i].ID, _ = m["id"].(string)
		rows[i].PredecessorID, _ = m["pred"].(string)
		rows[i].Handle, _ = m["predHandle"].(string)
	}
	// A network inherits from a predecessor earlier in this list (given
	// its handle in this pass) or stored with one; the others are new,
	// numbered in list order from one allocation.
	inList := map[string]int{}
	fresh := 0
	for i := range rows {
		if rows[i].Handle == "" {
			if _, ok := inList[rows[i].PredecessorID]; !ok {
				fresh++
			}
		}
		inList[rows[i].ID] = i
	}
	var next int64
	if fresh > 0 {
		if next, err = s.allocateHandles(ctx, fresh); err != nil {
			return err
		}
	}
	for i := range rows {
		if rows[i].Handle != "" {
			continue
		}
		if p, ok := inList[rows[i].PredecessorID]; ok && p < i {
			rows[i].Handle = rows[p].Handle
		} else {
			rows[i].Handle = FormatHandle(next)
			next++
		}
	}
	params := make([]map[string]any, 0, networkBatch)
	for i, r := range rows {
		params = append(params, map[string]any{"id": r.ID, "handle": r.Handle})
		if len(params) == networkBatch || i == len(rows)-1 {
			if err := s.WriteRows(ctx, `UNWIND $rows AS row MATCH (n:Network {id: row.id}) WHERE n.handle IS NULL SET n.handle = row.handle`, params); err != nil {
				return fmt.Errorf("writing network handles: %w", err)
			}
			params = params[:0]
		}
	}
	return nil
}
