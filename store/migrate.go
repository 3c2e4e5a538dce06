package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/lockstep-dev/lockstep/target"
)

// schema is every constraint and index Lockstep needs, the one list that
// Migrate (an empty or live database) and BuildSchema (the store a bulk
// import wrote) both create, each only if missing, so Migrate can run at
// every start. Names are fixed so a changed
// definition shows up as a second index rather than silently replacing one.
// A rule no longer wanted is deleted here and dropped by a DROP ... IF
// EXISTS below, so databases made before it went lose it too.
var schema = []string{
	// Uniqueness (each also gives a range index for lookups by that key).
	"CREATE CONSTRAINT account_id IF NOT EXISTS FOR (n:Account) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT ip_addr IF NOT EXISTS FOR (n:IP) REQUIRE n.addr IS UNIQUE",
	"CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT target_key IF NOT EXISTS FOR (n:Target) REQUIRE n.key IS UNIQUE",
	"CREATE CONSTRAINT detection_run_id IF NOT EXISTS FOR (n:DetectionRun) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT network_id IF NOT EXISTS FOR (n:Network) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT suspension_list_id IF NOT EXISTS FOR (n:SuspensionList) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT review_id IF NOT EXISTS FOR (n:Review) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (n:Audit) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE",
	// Ingest's batch markers: the constraint is what makes a batch apply
	// once (store/ingest.go, WriteEdges).
	"CREATE CONSTRAINT ingest_batch_id IF NOT EXISTS FOR (n:IngestBatch) REQUIRE n.id IS UNIQUE",
	// Counters (network handles, handles.go): one node per counter, so
	// concurrent MERGEs lock the same node.
	"CREATE CONSTRAINT sequence_id IF NOT EXISTS FOR (n:Sequence) REQUIRE n.id IS UNIQUE",
	// What the API and detection filter and sort on.
	"CREATE INDEX api_key_hash IF NOT EXISTS FOR (n:ApiKey) ON (n.hash)",
	"CREATE INDEX network_run_id IF NOT EXISTS FOR (n:Network) ON (n.runId)",
	"CREATE INDEX network_score IF NOT EXISTS FOR (n:Network) ON (n.score)",
	"CREATE INDEX network_handle IF NOT EXISTS FOR (n:Network) ON (n.handle)",
	"CREATE INDEX network_run_score IF NOT EXISTS FOR (n:Network) ON (n.runId, n.score)",
	"CREATE INDEX account_country IF NOT EXISTS FOR (n:Account) ON (n.country)",
	"CREATE INDEX detection_run_started IF NOT EXISTS FOR (n:DetectionRun) ON (n.startedAt)",
	"CREATE INDEX audit_at IF NOT EXISTS FOR (n:Audit) ON (n.at)",
	"CREATE INDEX audit_subject IF NOT EXISTS FOR (n:Audit) ON (n.subject)",
	// No statement filters Account by status, IP by kind or Target by block
	// (they are only returned), so these indexes were pure cost: updated
	// on every write and populated after every bulk load (target_block
	// alone took 12 s of a 1M-account load's schema build).
	"DROP INDEX account_status IF EXISTS",
	"DROP INDEX ip_kind IF EXISTS",
	"DROP INDEX target_block IF EXISTS",
}

// Migrate creates the constraints and indexes that are missing and waits
// until all are online, so the writes and reads that follow use them. It is
// safe to run any number of times and concurrently with other Migrates.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer wrap(&err, "Store.Migrate")
	for _, stmt := range schema {
		// Schema commands cannot share a transaction with other
		// statements; each runs alone, retried like any write.
		if err := s.write(ctx, stmt, nil); err != nil && !raceLost(err) {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	// Indexes populate in the background; wait so callers never scan.
	if err := s.write(ctx, "CALL db.awaitIndexes($seconds)", map[string]any{"seconds": int64(300)}); err != nil {
		return fmt.Errorf("waiting for indexes to come online: %w", err)
	}
	if err := s.regroupMasks(ctx); err != nil {
		return err
	}
	if err := s.migrateContributions(ctx); err != nil {
		return err
	}
	if err := s.migrateExposure(ctx); err != nil {
		return err
	}
	return s.migrateHandles(ctx)
}

// groupMasksDone marks a store whose phone targets all have the masked
// form of their group of 100 (target.GroupLabel), so that Migrate scans
// the targets once, not at every start.
const groupMasksDone = "group-masks"

// remaskPage is how many targets regroupMasks reads and writes at a time.
var remaskPage = 10000

// regroupMasks rewrites the masked form of phone targets stored before
// masks named groups of 100: the old form showed the last two digits,
// which with the block and the group (Account.sweep's label and bins) was
// the whole number (docs/API.md, "Privacy of looked-up numbers"). The new
// form is a function of block and offset/100, both stored, so it is
// recomputed here; the offset's last two digits are never read. Pages go
// by key (the unique index orders them), each page one retried write, so
// an interrupted migration resumes where the marker is still missing.
func (s *Store) regroupMasks(ctx context.Context) error {
	done, err := s.Query(ctx, "MATCH (m:Migration {id: $id}) RETURN m.id", map[string]any{"id": groupMasksDone})
	if err != nil {
		return fmt.Errorf("reading migration marker: %w", err)
	}
	if len(done) > 0 {
		return nil
	}
	after := ""
	for {
		recs, err := s.Query(ctx, `MATCH (t:Target) WHERE t.key > $after
RETURN t.key AS key, t.kind = 'phone' AND t.block IS NOT NULL AND 0 <= t.offset < 10000 AS phone, t.block AS block, t.offset / 100 AS grp, t.masked AS masked
ORDER BY t.key LIMIT $n`, map[string]any{"after": after, "n": int64(remaskPage)})
		if err != nil {
			return fmt.Errorf("reading targets to remask: %w", err)
		}
		var rows []map[string]any
		for _, r := range recs {
			key, _ := r.Values[0].(string)
			after = key
			if phone, _ := r.Values[1].(bool); !phone {
				continue
			}
			block, _ := r.Values[2].(string)
			grp, _ := r.Values[3].(int64)
			// Only what differs is written: a store loaded since masks
			// named groups (a bulk import) costs one read pass.
			if masked, old := target.GroupLabel(block, int(grp)*100), r.Values[4]; masked != old {
				rows = append(rows, map[string]any{"key": key, "masked": masked})
			}
		}
		if err := s.WriteRows(ctx, "UNWIND $rows AS r MATCH (t:Target {key: r.key}) SET t.masked = r.masked", rows); err != nil {
			return fmt.Errorf("remasking targets: %w", err)
		}
		if len(recs) < remaskPage {
			break
		}
	}
	return s.markMigrated(ctx)
}

// markMigrated records that every phone target has its group mask.
func (s *Store) markMigrated(ctx context.Context) error {
	return s.write(ctx, "MERGE (:Migration {id: $id})", map[string]any{"id": groupMasksDone})
}

// migrateExposure rewrites victims stored by earlier versions as
// MEMBER_OF {role: 'victim'} into (:Network)-[:EXPOSED {rank, score}]->(:Account),
// 200 networks a transaction. A converted network has no victim
// membership left, so running it again finds nothing to do.
func (s *Store) migrateExposure(ctx context.Context) error {
	for {
		n, err := s.writeCount(ctx, `MATCH (n:Network) WHERE EXISTS { (n)<-[:MEMBER_OF {role: 'victim'}]-(:Account) }
WITH n LIMIT 200
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF {role: 'victim'}]-(a:Account)
  WITH m, a ORDER BY m.score DESC, a.id
  WITH collect({m: m, a: a}) AS vs
  UNWIND range(0, size(vs) - 1) AS i
  WITH vs[i].m AS m, vs[i].a AS a, i
  MERGE (n)-[e:EXPOSED]->(a)
  SET e.rank = i + 1, e.score = m.score
  DELETE m
}
RETURN count(n) AS n`, nil)
		if err != nil {
			return fmt.Errorf("moving victims from MEMBER_OF to EXPOSED: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

// BuildSchema creates the same constraints and indexes as Migrate, for a
// database that already holds much data (the store a bulk import wrote,
// docs/INGEST.md): creating each in its own transaction, as Migrate does,
// populates them one after another, one scan of its label each, and a
// uniqueness constraint blocks its transaction until its index is built
// and verified. Here all plain indexes are created in ONE transaction, so
// that one population job fills them all in a single pass over the store,
// while the constraints are created concurrently, each in its own
// transaction, so that their populations overlap (Neo4j runs up to
// internal.dbms.index_population.parallelism = 2 population jobs at a
// time). It returns once every index is online.
func (s *Store) BuildSchema(ctx context.Context) (err error) {
	defer wrap(&err, "Store.BuildSchema")
	var constraints, indexes []string
	for _, stmt := range schema {
		switch {
		case strings.HasPrefix(stmt, "CREATE CONSTRAINT"):
			constraints = append(constraints, stmt)
		case strings.HasPrefix(stmt, "CREATE INDEX"):
			indexes = append(indexes, stmt)
		}
		// DROPs: the imported store has only what this builds.
	}
	sess := s.session(ctx, neo4j.AccessModeWrite, 0)
	_, err = sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		for _, stmt := range indexes {
			res, err := tx.Run(ctx, stmt, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", stmt, err)
			}
			if _, err := res.Consume(ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", stmt, err)
			}
		}
		return nil, nil
	})
	sess.Close(context.WithoutCancel(ctx))
	if err := classifyIn(ctx, err); err != nil && !raceLost(err) {
		return err
	}
	// Target's first: the largest label here (and the longest keys), it
	// bounds the wall time.
	slices.SortStableFunc(constraints, func(a, b string) int {
		return cmp.Compare(bool2int(!strings.Contains(a, "(n:Target)")), bool2int(!strings.Contains(b, "(n:Target)")))
	})
	next := make(chan string)
	errs := make([]error, len(constraints))
	var wg sync.WaitGroup
	for i := range min(len(constraints), schemaWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for stmt := range next {
				if err := s.write(ctx, stmt, nil); err != nil && !raceLost(err) && errs[i] == nil {
					errs[i] = fmt.Errorf("%s: %w", stmt, err)
				}
			}
		}()
	}
	for _, stmt := range constraints {
		next <- stmt
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := s.write(ctx, "CALL db.awaitIndexes($seconds)", map[string]any{"seconds": int64(3600)}); err != nil {
		return fmt.Errorf("waiting for indexes to come online: %w", err)
	}
	// An imported store was written by this version: its masks already
	// name groups and it has no victims stored as members, so it is
	// marked as Migrate leaves a migrated one, without the read pass.
	return s.markMigrated(ctx)
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

// schemaWorkers is how many constraints BuildSchema creates at a time.
var schemaWorkers = 2

// raceLost reports the error of a CREATE ... IF NOT EXISTS that ran at the
// same time as an identical one elsewhere: the check passed in both, one
// created the rule, the other found it there. The schema is as wanted.
func raceLost(err error) bool {
	var ne *neo4j.Neo4jError
	return errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"
}
