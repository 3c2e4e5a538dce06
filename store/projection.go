package store

import (
	"context"
	"fmt"
)

// Detection reads. Detection needs every account, IP, device and target
// with the few attributes scoring uses, and every USED_IP, USED_DEVICE,
// LOOKED_UP and MATCHED relationship. Each is one query streamed in a
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

// projectionQueries are the reads in order: nodes, then relationships.
var projectionQueries = []struct {
	stage, count, read string
}{
	{"accounts", "MATCH (a:Account) RETURN count(a) AS n",
		"MATCH (a:Account) RETURN id(a), a.id, a.createdAt.epochSeconds, a.country, coalesce(a.allowlisted, false)"},
	{"ips", "MATCH (i:IP) RETURN count(i) AS n",
		"MATCH (i:IP) RETURN id(i), i.addr, i.asn, i.asnOrg, i.country, i.kind"},
	{"devices", "MATCH (d:Device) RETURN count(d) AS n",
		"MATCH (d:Device) RETURN id(d), d.id"},
	{"targets", "MATCH (t:Target) RETURN count(t) AS n",
		"MATCH (t:Target) RETURN id(t), t.block, t.offset"},
	{RelUsedIP, "MATCH ()-[r:USED_IP]->() RETURN count(r) AS n",
		"MATCH (a:Account)-[r:USED_IP]->(i:IP) RETURN id(a), id(i), r.first.epochSeconds, r.last.epochSeconds, r.count, 0"},
	{RelUsedDevice, "MATCH ()-[r:USED_DEVICE]->() RETURN count(r) AS n",
		"MATCH (a:Account)-[r:USED_DEVICE]->(d:Device) RETURN id(a), id(d), r.first.epochSeconds, r.last.epochSeconds, r.count, 0"},
	{RelLookedUp, "MATCH ()-[r:LOOKED_UP]->() RETURN count(r) AS n",
		"MATCH (a:Account)-[r:LOOKED_UP]->(t:Target) RETURN id(a), id(t), r.first.epochSeconds, r.last.epochSeconds, r.count, coalesce(r.hits, 0)"},
	{"MATCHED", "MATCH ()-[r:MATCHED]->() RETURN count(r) AS n",
		"MATCH (t:Target)-[:MATCHED]->(a:Account) RETURN id(t), id(a)"},
}

// projectionFetch is how many records the driver pulls per round trip.
const projectionFetch = 20000

// ReadProjection streams the whole projection into sink. progress, if not
// nil, is called with the stage (accounts, ips, devices, targets, USED_IP,
// USED_DEVICE, LOOKED_UP, MATCHED), the records read so far and the
// stage's total, every 100,000 records and at the end of each stage.
func (s *Store) ReadProjection(ctx context.Context, sink ProjectionSink, progress func(stage string, done, total int)) (err error) {
	defer wrap(&err, "Store.ReadProjection")
	for _, q := range projectionQueries {
		total, err := s.writelessCount(ctx, q.count)
		if err != nil {
			return fmt.Errorf("%s: %w", q.stage, err)
		}
		done := 0
		if progress != nil {
			progress(q.stage, 0, total)
		}
		each := projectionRow(q.stage, sink)
		err = s.Stream(ctx, q.read, nil, projectionFetch, func(rec *Record) error {
			if err := each(rec.Values); err != nil {
				return fmt.Errorf("%s record %d: %w", q.stage, done+1, err)
			}
			done++
			if progress != nil && done%100000 == 0 {
				progress(q.stage, done, total)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", q.stage, err)
		}
		if progress != nil {
			progress(q.stage, done, max(done, total))
		}
	}
	return nil
}

func (s *Store) writelessCount(ctx context.Context, cypher string) (int, error) {
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

// projectionRow returns the decoder of one stage's records.
func projectionRow(stage string, sink ProjectionSink) func(v []any) error {
	switch stage {
	case "accounts":
		return func(v []any) error {
			id, err := str(v, 1, "Account.id")
			if err != nil || id == "" {
				return fmt.Errorf("account node %v without id", v[0])
			}
			allow, _ := v[4].(bool)
			sink.Account(i64(v[0]), id, i64(v[2]), strOr(v[3]), allow)
			return nil
		}
	case "ips":
		return func(v []any) error {
			sink.IP(i64(v[0]), strOr(v[1]), uint32(i64(v[2])), strOr(v[3]), strOr(v[4]), strOr(v[5]))
			return nil
		}
	case "devices":
		return func(v []any) error {
			sink.Device(i64(v[0]), strOr(v[1]))
			return nil
		}
	case "targets":
		return func(v []any) error {
			off := int64(-1)
			if v[2] != nil {
				off = i64(v[2])
			}
			sink.Target(i64(v[0]), strOr(v[1]), off)
			return nil
		}
	case "MATCHED":
		return func(v []any) error {
			sink.Match(i64(v[0]), i64(v[1]))
			return nil
		}
	}
	rel := stage
	return func(v []any) error {
		sink.Edge(rel, i64(v[0]), i64(v[1]), i64(v[2]), i64(v[3]), max(1, i64(v[4])), i64(v[5]))
		return nil
	}
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
