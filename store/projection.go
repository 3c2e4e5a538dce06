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
	// Expect is called once, before any row, with what the read is about
	// to deliver, so the sink can size its arrays once instead of growing
	// them (copying grown arrays took from a sixth to half of the Go
	// side's read CPU on the 300k world).
	Expect(ProjectionSize)
	Account(ref int64, id string, createdAt int64, country string, allowlisted bool)
	IP(ref int64, addr string, asn uint32, asOrg, country, kind string)
	Device(ref int64, id string)
	Target(ref int64, block string, offset int64)
	// Edge is a USED_IP, USED_DEVICE or LOOKED_UP relationship (rel).
	Edge(rel string, account, resource, first, last, count, hits int64)
	Match(target, account int64)
}

// ProjectionSize is how many nodes and relationships of each kind a read
// is about to deliver, counted just before it (Neo4j answers these counts
// from its count store): a hint to size by, never a bound, since an
// ingest running beside the read can add more.
type ProjectionSize struct {
	Accounts, IPs, Devices, Targets       int
	UsedIP, UsedDevice, LookedUp, Matched int
}

// relationshipCounts count the relationships the accounts stage reads.
var relationshipCounts = []struct{ rel, count string }{
	{RelUsedIP, "MATCH ()-[r:USED_IP]->() RETURN count(r) AS n"},
	{RelUsedDevice, "MATCH ()-[r:USED_DEVICE]->() RETURN count(r) AS n"},
	{RelLookedUp, "MATCH ()-[r:LOOKED_UP]->() RETURN count(r) AS n"},
}

// projectionSize counts what the read will deliver: totals by stage (the
// progress totals) and the sink's size hint.
func (s *Store) projectionSize(ctx context.Context) (map[string]int, ProjectionSize, error) {
	totals := map[string]int{}
	for _, q := range projectionQueries {
		n, err := s.countOf(ctx, q.count)
		if err != nil {
			return nil, ProjectionSize{}, fmt.Errorf("%s: %w", q.stage, err)
		}
		totals[q.stage] = n
	}
	for _, q := range relationshipCounts {
		n, err := s.countOf(ctx, q.count)
		if err != nil {
			return nil, ProjectionSize{}, fmt.Errorf("%s: %w", q.rel, err)
		}
		totals[q.rel] = n
	}
	return totals, ProjectionSize{
		Accounts: totals["accounts"], IPs: totals["ips"], Devices: totals["devices"], Targets: totals["targets"],
		UsedIP: totals[RelUsedIP], UsedDevice: totals[RelUsedDevice], LookedUp: totals[RelLookedUp], Matched: totals["MATCHED"],
	}, nil
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
		"MATCH (i:IP) RETURN id(i) AS ref, i.addr AS addr, i.asn AS asn, i.asnOrg AS asnOrg, i.country AS country, i.kind AS kind"},
	{"devices", "MATCH (d:Device) RETURN count(d) AS n",
		"MATCH (d:Device) RETURN id(d) AS ref, d.id AS id"},
	{"targets", "MATCH (t:Target) RETURN count(t) AS n",
		"MATCH (t:Target) WHERE t.offset >= 0 RETURN t.block AS block, collect(id(t)) AS refs, collect(t.offset) AS offsets"},
	{"accounts", "MATCH (a:Account) RETURN count(a) AS n",
		`MATCH (a:Account)
RETURN id(a) AS ref, a.id AS id, a.createdAt.epochSeconds AS createdAt, a.country AS country,
  coalesce(a.allowlisted, false) AS allowlisted,
  [(a)-[r:USED_IP]->(i:IP) | [id(i), r.first.epochSeconds, r.last.epochSeconds, r.count]] AS USED_IP,
  [(a)-[r:USED_DEVICE]->(d:Device) | [id(d), r.first.epochSeconds, r.last.epochSeconds, r.count]] AS USED_DEVICE,
  [(a)-[r:LOOKED_UP]->(t:Target) | [id(t), r.first.epochSeconds, r.last.epochSeconds, r.count, coalesce(r.hits, 0)]] AS LOOKED_UP`},
	{"MATCHED", "MATCH ()-[r:MATCHED]->() RETURN count(r) AS n",
		"MATCH (t:Target)-[:MATCHED]->(a:Account) RETURN id(t) AS target, id(a) AS account"},
}

// projectionFetch is how many records the driver pulls per round trip.
const projectionFetch = 5000

// ReadPath is how detection's projection read reached the data: the
// managed server's procedure, or plain Cypher, which any Neo4j 5 answers
// (a cluster or a server Lockstep does not manage). Recorded on each run.
type ReadPath string

const (
	ReadProcedure ReadPath = "PROCEDURE"
	ReadCypher    ReadPath = "CYPHER"
)

// ReadProjection streams the whole projection into sink, through the
// procedure when the server has it and plain Cypher otherwise, and says
// which. progress, if not nil, is called with the stage (ips, devices,
// targets, accounts, MATCHED), the nodes or relationships read so far and
// the stage's total, every 10,000 records and at the end of each stage.
func (s *Store) ReadProjection(ctx context.Context, sink ProjectionSink, progress func(stage string, done, total int)) (ReadPath, error) {
	return s.readProjection(ctx, ProjectionAuto, sink, progress)
}

// ReadProjectionVia is ReadProjection by a chosen path: ProjectionPacked
// (the managed server's lockstep.projection procedure), ProjectionCypher
// (plain Cypher, which any Neo4j 5 answers) or ProjectionAuto (packed when
// the server has the procedure). Both give the sink the same calls,
// possibly in another order.
func (s *Store) ReadProjectionVia(ctx context.Context, via string, sink ProjectionSink, progress func(stage string, done, total int)) error {
	_, err := s.readProjection(ctx, via, sink, progress)
	return err
}

func (s *Store) readProjection(ctx context.Context, via string, sink ProjectionSink, progress func(stage string, done, total int)) (_ ReadPath, err error) {
	defer wrap(&err, "Store.ReadProjection(%s)", via)
	switch via {
	case ProjectionAuto, ProjectionPacked:
		ok, err := s.hasProcedure(ctx, packedProcedure)
		if err != nil {
			return "", err
		}
		if ok {
			return ReadProcedure, s.readPacked(ctx, sink, progress)
		}
		if via == ProjectionPacked {
			return "", fmt.Errorf("%w: the server has no %s procedure (only the managed Neo4j ships it)", ErrInvalidArgument, packedProcedure)
		}
	case ProjectionCypher:
	default:
		return "", fmt.Errorf("%w: projection read %q: want %s, %s or %s", ErrInvalidArgument, via, ProjectionAuto, ProjectionPacked, ProjectionCypher)
	}
	return ReadCypher, s.readCypher(ctx, sink, progress)
}

// readCypher streams the projection through plain Cypher, stage by stage.
func (s *Store) readCypher(ctx context.Context, sink ProjectionSink, progress func(stage string, done, total int)) error {
	totals, size, err := s.projectionSize(ctx)
	if err != nil {
		return err
	}
	sink.Expect(size)
	for _, q := range projectionQueries {
		total := totals[q.stage]
		done, recs := 0, 0
		if progress != nil {
			progress(q.stage, 0, total)
		}
		each := projectionRow(q.stage, sink)
		err = s.Stream(ctx, q.read, nil, projectionFetch, func(rec *Record) error {
			n, err := each(rec)
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
	if len(recs) != 1 {
		return 0, fmt.Errorf("%s: want one count", cypher)
	}
	n, err := Get[int64](recs[0], "n")
	return int(n), err
}

// projectionRow returns the decoder of one stage's records; it returns
// how many items (nodes, or targets of a block) the record held. A null
// (a missing property) reads as the zero value; a value of another type
// is an error naming the column.
func projectionRow(stage string, sink ProjectionSink) func(rec *Record) (int, error) {
	switch stage {
	case "ips":
		return func(rec *Record) (int, error) {
			var c cols
			ref, addr, asn := get[int64](&c, rec, "ref"), get[string](&c, rec, "addr"), get[int64](&c, rec, "asn")
			org, country, kind := get[string](&c, rec, "asnOrg"), get[string](&c, rec, "country"), get[string](&c, rec, "kind")
			if c.err != nil {
				return 0, c.err
			}
			sink.IP(ref, addr, uint32(asn), org, country, kind)
			return 1, nil
		}
	case "devices":
		return func(rec *Record) (int, error) {
			var c cols
			ref, id := get[int64](&c, rec, "ref"), get[string](&c, rec, "id")
			if c.err != nil {
				return 0, c.err
			}
			sink.Device(ref, id)
			return 1, nil
		}
	case "targets":
		return func(rec *Record) (int, error) {
			var c cols
			block, refs, offs := get[string](&c, rec, "block"), get[[]any](&c, rec, "refs"), get[[]any](&c, rec, "offsets")
			if c.err != nil {
				return 0, c.err
			}
			if len(refs) != len(offs) {
				return 0, fmt.Errorf("block %q: %d ids but %d offsets", block, len(refs), len(offs))
			}
			for i := range refs {
				ref, err := elem[int64](refs[i], "Target ref")
				if err != nil {
					return 0, err
				}
				off, err := elem[int64](offs[i], "Target.offset")
				if err != nil {
					return 0, err
				}
				sink.Target(ref, block, off)
			}
			return len(refs), nil
		}
	case "accounts":
		return func(rec *Record) (int, error) {
			var c cols
			ref, id, created := get[int64](&c, rec, "ref"), get[string](&c, rec, "id"), get[int64](&c, rec, "createdAt")
			country, allow := get[string](&c, rec, "country"), get[bool](&c, rec, "allowlisted")
			if c.err != nil {
				return 0, c.err
			}
			if id == "" {
				return 0, fmt.Errorf("account node %d without id", ref)
			}
			sink.Account(ref, id, created, country, allow)
			for _, rel := range []string{RelUsedIP, RelUsedDevice, RelLookedUp} {
				edges, err := Get[[]any](rec, rel)
				if err != nil {
					return 0, err
				}
				for _, e := range edges {
					if err := accountEdge(sink, rel, ref, e); err != nil {
						return 0, fmt.Errorf("account %s: %s entry %v: %w", id, rel, e, err)
					}
				}
			}
			return 1, nil
		}
	case "MATCHED":
		return func(rec *Record) (int, error) {
			var c cols
			target, account := get[int64](&c, rec, "target"), get[int64](&c, rec, "account")
			if c.err != nil {
				return 0, c.err
			}
			sink.Match(target, account)
			return 1, nil
		}
	}
	panic("store: unknown projection stage " + stage)
}

// accountEdge hands the sink one entry of an account's relationship list:
// [resource ref, first, last, count] and, for LOOKED_UP, hits.
func accountEdge(sink ProjectionSink, rel string, account int64, e any) error {
	f, err := elem[[]any](e, rel+" entry")
	if err != nil {
		return err
	}
	if len(f) < 4 {
		return fmt.Errorf("%d fields, want at least 4", len(f))
	}
	var v [5]int64
	for i := range min(len(f), len(v)) {
		if v[i], err = elem[int64](f[i], rel+" field"); err != nil {
			return err
		}
	}
	sink.Edge(rel, account, v[0], v[1], v[2], max(1, v[3]), v[4])
	return nil
}

// SeedAccounts returns the ids of accounts that analysts confirmed as
// fake: the (non-victim) members of networks whose review status is
// CONFIRMED. Detection uses them to seed personalized PageRank.
func (s *Store) SeedAccounts(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "Store.SeedAccounts")
	var out []string
	err = s.Read(ctx, `MATCH (n:Network {reviewStatus: 'CONFIRMED'})<-[m:MEMBER_OF]-(a:Account)
WHERE coalesce(m.role, '') <> 'victim'
RETURN DISTINCT a.id AS id ORDER BY id`, nil, func() { out = out[:0] }, func(rec *Record) error {
		id, err := Get[string](rec, "id")
		if err == nil && id != "" {
			out = append(out, id)
		}
		return err
	})
	return out, err
}
