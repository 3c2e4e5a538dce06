package store

import (
	"context"
	"fmt"
)

// Detection reads. Detection needs every account, IP, device and target
// with the few attributes scoring uses, and every USED_IP, USED_DEVICE,
// LOOKED_UP and MATCHED relationship. Each kind is one query streamed in a
// single read transaction, records handed to the sink as they arrive, so
// the Go side never holds a result set: the sink (detect's builder) keeps
// only compact arrays. Nodes are named by their Neo4j node id (id(n)):
// integers are far cheaper to move and to index than the string keys, and
// within one detection run they are stable. Times travel as Unix seconds.

// ProjectionSink receives the rows of ReadProjection. Nodes arrive before
// the relationships that reference them, but a sink must accept a
// relationship to a node it has not seen (a concurrent ingest can add one
// between two queries).
type ProjectionSink interface {
	Account(ref int64, id string, createdAt int64, country string, allowlisted bool)
	IP(ref int64, addr string, asn uint32, asOrg, country, kind string)
	Device(ref int64, id string)
	Target(ref int64, block string, offset int64)
	// Edge is a USED_IP, USED_DEVICE or LOOKED_UP relationship (rel).
	Edge(rel string, account, resource, first, last, count, hits int64)
	Match(target, account int64)
}

// projectionQueries are the reads in order: resources, then accounts with
// their relationships, then matches. Each account comes as ONE record
// carrying its USED_IP, USED_DEVICE and LOOKED_UP relationships as lists:
// Bolt's cost is per record far more than per value, and this cut a read
// to a third of one-record-per-relationship. Targets come grouped by
// number block for the same reason (e-mail targets have no block and need
// no attributes; they appear through the lookups that reference them).
var projectionQueries = []struct {
	stage, count, read string
}{
	{"ips", "MATCH (i:IP) RETURN count(i) AS n",
		"MATCH (i:IP) RETURN id(i), i.addr, i.asn, i.asnOrg, i.country, i.kind"},
	{"devices", "MATCH (d:Device) RETURN count(d) AS n",
		"MATCH (d:Device) RETURN id(d), d.id"},
	{"targets", "MATCH (t:Target) RETURN count(t) AS n",
		"MATCH (t:Target) WHERE t.offset >= 0 RETURN t.block, collect(id(t)), collect(t.offset)"},
	{"accounts", "MATCH (a:Account) RETURN count(a) AS n",
		`MATCH (a:Account)
RETURN id(a), a.id, a.createdAt.epochSeconds, a.country, coalesce(a.allowlisted, false),
  [(a)-[r:USED_IP]->(i:IP) | [id(i), r.first.epochSeconds, r.last.epochSeconds, r.count]],
  [(a)-[r:USED_DEVICE]->(d:Device) | [id(d), r.first.epochSeconds, r.last.epochSeconds, r.count]],
  [(a)-[r:LOOKED_UP]->(t:Target) | [id(t), r.first.epochSeconds, r.last.epochSeconds, r.count, coalesce(r.hits, 0)]]`},
	{"MATCHED", "MATCH ()-[r:MATCHED]->() RETURN count(r) AS n",
		"MATCH (t:Target)-[:MATCHED]->(a:Account) RETURN id(t), id(a)"},
}

// projectionFetch is how many records the driver pulls per round trip.
const projectionFetch = 5000

// ReadProjection streams the whole projection into sink. progress, if not
// nil, is called with the stage (ips, devices, targets, accounts, MATCHED),
// the nodes or relationships read so far and the stage's total, every
// 10,000 records and at the end of each stage.
func (s *Store) ReadProjection(ctx context.Context, sink ProjectionSink, progress func(stage string, done, total int)) error {
	return s.ReadProjectionVia(ctx, ProjectionAuto, sink, progress)
}

// ReadProjectionVia is ReadProjection by a chosen path: ProjectionPacked
// (the managed server's lockstep.projection procedure), ProjectionCypher
// (plain Cypher, which any Neo4j 5 answers) or ProjectionAuto (packed when
// the server has the procedure). Both give the sink the same calls,
// possibly in another order.
func (s *Store) ReadProjectionVia(ctx context.Context, via string, sink ProjectionSink, progress func(stage string, done, total int)) (err error) {
	defer wrap(&err, "Store.ReadProjection(%s)", via)
	switch via {
	case ProjectionAuto, ProjectionPacked:
		ok, err := s.hasProcedure(ctx, packedProcedure)
		if err != nil {
			return err
		}
		if ok {
			return s.readPacked(ctx, sink, progress)
		}
		if via == ProjectionPacked {
			return fmt.Errorf("%w: the server has no %s procedure (only the managed Neo4j ships it)", ErrInvalidArgument, packedProcedure)
		}
	case ProjectionCypher:
	default:
		return fmt.Errorf("%w: projection read %q: want %s, %s or %s", ErrInvalidArgument, via, ProjectionAuto, ProjectionPacked, ProjectionCypher)
	}
	for _, q := range projectionQueries {
		total, err := s.countOf(ctx, q.count)
		if err != nil {
			return fmt.Errorf("%s: %w", q.stage, err)
		}
		done, recs := 0, 0
		if progress != nil {
			progress(q.stage, 0, total)
		}
		each := projectionRow(q.stage, sink)
		err = s.Stream(ctx, q.read, nil, projectionFetch, func(rec *Record) error {
			n, err := each(rec.Values)
			if err != nil {
				return fmt.Errorf("%s record %d: %w", q.stage, recs+1, err)
			}
			recs++
			done += n
			if progress != nil && recs%10000 == 0 {
				progress(q.stage, done, total)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", q.stage, err)
		}
		if progress != nil {
			progress(q.stage, max(done, total), max(done, total))
		}
	}
	return nil
}

func (s *Store) countOf(ctx context.Context, cypher string) (int, error) {
	recs, err := s.Query(ctx, cypher, nil)
	if err != nil {
		return 0, err
	}
	if len(recs) != 1 || len(recs[0].Values) != 1 {
		return 0, fmt.Errorf("%s: want one count", cypher)
	}
	n, _ := recs[0].Values[0].(int64)
	return int(n), nil
}

// projectionRow returns the decoder of one stage's records; it returns
// how many items (nodes, or targets of a block) the record held.
func projectionRow(stage string, sink ProjectionSink) func(v []any) (int, error) {
	switch stage {
	case "ips":
		return func(v []any) (int, error) {
			sink.IP(i64(v[0]), strOr(v[1]), uint32(i64(v[2])), strOr(v[3]), strOr(v[4]), strOr(v[5]))
			return 1, nil
		}
	case "devices":
		return func(v []any) (int, error) {
			sink.Device(i64(v[0]), strOr(v[1]))
			return 1, nil
		}
	case "targets":
		return func(v []any) (int, error) {
			block := strOr(v[0])
			ids, _ := v[1].([]any)
			offs, _ := v[2].([]any)
			if len(ids) != len(offs) {
				return 0, fmt.Errorf("block %q: %d ids but %d offsets", block, len(ids), len(offs))
			}
			for i := range ids {
				sink.Target(i64(ids[i]), block, i64(offs[i]))
			}
			return len(ids), nil
		}
	case "accounts":
		return func(v []any) (int, error) {
			id, err := str(v, 1, "Account.id")
			if err != nil {
				return 0, err
			}
			if id == "" {
				return 0, fmt.Errorf("account node %v without id", v[0])
			}
			a := i64(v[0])
			allow, _ := v[4].(bool)
			sink.Account(a, id, i64(v[2]), strOr(v[3]), allow)
			for col, rel := range []string{RelUsedIP, RelUsedDevice, RelLookedUp} {
				edges, _ := v[5+col].([]any)
				for _, e := range edges {
					f, ok := e.([]any)
					if !ok || len(f) < 4 {
						return 0, fmt.Errorf("account %s: malformed %s entry %v", id, rel, e)
					}
					var hits int64
					if len(f) > 4 {
						hits = i64(f[4])
					}
					sink.Edge(rel, a, i64(f[0]), i64(f[1]), i64(f[2]), max(1, i64(f[3])), hits)
				}
			}
			return 1, nil
		}
	case "MATCHED":
		return func(v []any) (int, error) {
			sink.Match(i64(v[0]), i64(v[1]))
			return 1, nil
		}
	}
	panic("store: unknown projection stage " + stage)
}

// i64 reads an integer column; null (a missing property) reads as 0.
func i64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func strOr(v any) string {
	s, _ := v.(string)
	return s
}

func str(v []any, i int, field string) (string, error) {
	s, ok := v[i].(string)
	if !ok && v[i] != nil {
		return "", fmt.Errorf("%s is %T, want a string", field, v[i])
	}
	return s, nil
}

// SeedAccounts returns the ids of accounts that analysts confirmed as
// fake: the (non-victim) members of networks whose review status is
// CONFIRMED. Detection uses them to seed personalized PageRank.
func (s *Store) SeedAccounts(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "Store.SeedAccounts")
	var out []string
	err = s.Read(ctx, `MATCH (n:Network {reviewStatus: 'CONFIRMED'})<-[m:MEMBER_OF]-(a:Account)
WHERE coalesce(m.role, '') <> 'victim'
RETURN DISTINCT a.id ORDER BY a.id`, nil, func() { out = out[:0] }, func(rec *Record) error {
		if id, ok := rec.Values[0].(string); ok {
			out = append(out, id)
		}
		return nil
	})
	return out, err
}
