package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// count returns the single integer column n of a read query.
func count(t *testing.T, s *store.Store, cypher string, params map[string]any) int64 {
	t.Helper()
	recs, err := s.Query(ctx(t), cypher, params)
	if err != nil {
		t.Fatalf("%s: %v", cypher, err)
	}
	if len(recs) != 1 {
		t.Fatalf("%s: %d records, want 1", cypher, len(recs))
	}
	n, err := store.Get[int64](recs[0], "n")
	if err != nil {
		t.Fatalf("%s: %v", cypher, err)
	}
	return n
}

func TestMigrateIdempotent(t *testing.T) {
	s := storetest.New(t) // already migrated once
	for i := 0; i < 2; i++ {
		if err := s.Migrate(ctx(t)); err != nil {
			t.Fatalf("Migrate #%d: %v", i+2, err)
		}
	}
	constraints := count(t, s, "SHOW CONSTRAINTS YIELD name WHERE name IN $names RETURN count(*) AS n",
		map[string]any{"names": []any{"account_id", "ip_addr", "device_id", "target_key", "detection_run_id",
			"network_id", "suspension_list_id", "review_id", "audit_id", "api_key_id"}})
	if constraints != 10 {
		t.Errorf("%d of the 10 uniqueness constraints exist", constraints)
	}
	offline := count(t, s, "SHOW INDEXES YIELD state WHERE state <> 'ONLINE' RETURN count(*) AS n", nil)
	if offline != 0 {
		t.Errorf("%d indexes not online after Migrate", offline)
	}
	// The constraint really holds.
	err := s.Write(ctx(t), "CREATE (:Account {id: 'dup'}), (:Account {id: 'dup'})", nil)
	if err == nil {
		t.Fatal("two Accounts with one id were accepted")
	}
}

func TestWriteRowsIdempotentMerge(t *testing.T) {
	s := storetest.New(t)
	const upsert = `UNWIND $rows AS row
MERGE (a:Account {id: row.id})
SET a.country = row.country
MERGE (i:IP {addr: row.ip})
MERGE (a)-[u:USED_IP]->(i)
SET u.count = row.count, u.first = row.first`
	first := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var rows []map[string]any
	for i := 0; i < 2500; i++ {
		rows = append(rows, map[string]any{
			"id": fmt.Sprintf("acct-%04d", i), "country": "NL", "ip": fmt.Sprintf("10.0.%d.%d", i/256, i%256),
			"count": int64(i % 7), "first": first, // sum over 2500 rows: 357*21 = 7497
		})
	}
	for load := 1; load <= 2; load++ {
		if err := s.WriteRows(ctx(t), upsert, rows); err != nil {
			t.Fatalf("load %d: %v", load, err)
		}
		for _, c := range []struct {
			cypher string
			want   int64
		}{
			{"MATCH (a:Account) RETURN count(a) AS n", 2500},
			{"MATCH (i:IP) RETURN count(i) AS n", 2500},
			{"MATCH ()-[u:USED_IP]->() RETURN count(u) AS n", 2500},
			{"MATCH ()-[u:USED_IP]->() RETURN sum(u.count) AS n", 7497},
		} {
			if got := count(t, s, c.cypher, nil); got != c.want {
				t.Errorf("after load %d: %s = %d, want %d", load, c.cypher, got, c.want)
			}
		}
	}
	recs, err := s.Query(ctx(t), "MATCH (:Account {id: $id})-[u:USED_IP]->() RETURN u.first AS first", map[string]any{"id": "acct-0001"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("read back: %v (%d records)", err, len(recs))
	}
	got, err := store.Get[time.Time](recs[0], "first")
	if err != nil || !got.Equal(first) {
		t.Errorf("first = %v (%v), want %v stored as a DateTime", got, err, first)
	}
	if err := s.WriteRows(ctx(t), upsert, nil); err != nil {
		t.Errorf("empty rows: %v", err)
	}
}

// TestLocalTimesAccepted: Neo4j refuses the zone name "Local" that the
// driver sends for time.Now(); the store must send such times as UTC.
func TestLocalTimesAccepted(t *testing.T) {
	s := storetest.New(t)
	now := time.Now()
	rows := []map[string]any{{"id": "a1", "at": now}}
	if err := s.WriteRows(ctx(t), "UNWIND $rows AS row MERGE (a:Account {id: row.id}) SET a.createdAt = row.at", rows); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Query(ctx(t), "MATCH (a:Account) WHERE a.createdAt <= $now RETURN a.createdAt AS at", map[string]any{"now": time.Now()})
	if err != nil || len(recs) != 1 {
		t.Fatalf("read back: %v (%d records)", err, len(recs))
	}
	got, err := store.Get[time.Time](recs[0], "at")
	if err != nil || !got.Equal(now) {
		t.Errorf("createdAt = %v (%v), want %v", got, err, now)
	}
}

func TestClearEmpties(t *testing.T) {
	s := storetest.New(t)
	// A hub with more relationships than one clear batch, plus loose nodes.
	err := s.Write(ctx(t), `CREATE (h:IP {addr: 'hub'})
WITH h UNWIND range(1, 12000) AS i
CREATE (:Account {id: toString(i)})-[:USED_IP]->(h)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx(t), "UNWIND range(1, 50) AS i CREATE (:Device {id: toString(i)})", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "MATCH (n) RETURN count(n) AS n", nil); n != 0 {
		t.Errorf("%d nodes left after Clear", n)
	}
	if n := count(t, s, "MATCH ()-[r]->() RETURN count(r) AS n", nil); n != 0 {
		t.Errorf("%d relationships left after Clear", n)
	}
	if err := s.Clear(ctx(t)); err != nil {
		t.Errorf("Clear of an empty database: %v", err)
	}
}

func TestReadAndStream(t *testing.T) {
	s := storetest.New(t)
	if err := s.Write(ctx(t), "UNWIND range(1, 3000) AS i CREATE (:Account {id: toString(i), n: i})", nil); err != nil {
		t.Fatal(err)
	}
	const q = "MATCH (a:Account) WHERE a.n > $min RETURN a.n AS n ORDER BY n"
	t.Run("Read", func(t *testing.T) {
		var sum, begins int64
		err := s.Read(ctx(t), q, map[string]any{"min": 1000}, func() { sum = 0; begins++ }, func(r *store.Record) error {
			n, err := store.Get[int64](r, "n")
			sum += n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64((1001 + 3000) * 2000 / 2); sum != want || begins != 1 {
			t.Errorf("sum %d begins %d, want %d and 1", sum, begins, want)
		}
	})
	t.Run("Stream", func(t *testing.T) {
		var seen, prev int64
		err := s.Stream(ctx(t), q, map[string]any{"min": 0}, 100, func(r *store.Record) error {
			n, err := store.Get[int64](r, "n")
			if n != prev+1 {
				return fmt.Errorf("got %d after %d", n, prev)
			}
			prev = n
			seen++
			return err
		})
		if err != nil || seen != 3000 {
			t.Errorf("seen %d, err %v; want 3000, nil", seen, err)
		}
	})
	t.Run("callback error stops and is returned", func(t *testing.T) {
		stop := errors.New("enough")
		calls := 0
		for name, read := range map[string]func(func(*store.Record) error) error{
			"Read":   func(f func(*store.Record) error) error { return s.Read(ctx(t), q, map[string]any{"min": 0}, nil, f) },
			"Stream": func(f func(*store.Record) error) error { return s.Stream(ctx(t), q, map[string]any{"min": 0}, 0, f) },
		} {
			calls = 0
			err := read(func(*store.Record) error { calls++; return stop })
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("%s: err %v after %d calls; want %v after 1", name, err, calls, stop)
			}
		}
	})
}

func TestErrors(t *testing.T) {
	s := storetest.New(t)
	uri, user, password := storetest.Server(t)
	for _, c := range []struct {
		name string
		run  func() error
		want error
		text string
	}{
		{"wrong password", func() error {
			bad, err := store.Open(ctx(t), uri, user, password+"-wrong")
			if err == nil {
				bad.Close(ctx(t))
			}
			return err
		}, store.ErrUnauthorized, "NEO4J_PASSWORD"},
		{"nothing listening", func() error {
			_, err := store.Open(ctx(t), "bolt://127.0.0.1:1", user, password)
			return err
		}, store.ErrUnavailable, "127.0.0.1:1"},
		{"bad scheme", func() error {
			_, err := store.Open(ctx(t), "http://127.0.0.1:7474", user, password)
			return err
		}, store.ErrInvalidArgument, "http"},
		{"syntax error", func() error { return s.Write(ctx(t), "CREATE (oops", nil) }, store.ErrInvalidArgument, "oops"},
		{"missing parameter", func() error { _, err := s.Query(ctx(t), "RETURN $x AS x", nil); return err }, store.ErrInvalidArgument, "x"},
		{"empty cypher", func() error { return s.WriteRows(ctx(t), " ", []map[string]any{{}}) }, store.ErrInvalidArgument, "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("err = %q, want it to mention %q", err, c.text)
			}
		})
	}
	// The right password still works after the wrong one.
	good, err := store.Open(ctx(t), uri, user, password)
	if err != nil {
		t.Fatalf("right password after a wrong one: %v", err)
	}
	good.Close(ctx(t))
}

func TestNeo4jScheme(t *testing.T) {
	uri, user, password := storetest.Server(t)
	routed := strings.Replace(uri, "bolt://", "neo4j://", 1)
	if routed == uri {
		t.Skipf("test server URI %s is not bolt://", uri)
	}
	s, err := store.Open(ctx(t), routed, user, password)
	if err != nil {
		t.Fatalf("neo4j:// scheme: %v", err)
	}
	defer s.Close(ctx(t))
	if n := count(t, s, "RETURN 42 AS n", nil); n != 42 {
		t.Errorf("RETURN 42 gave %d", n)
	}
}

func TestMigrateCreatesEverySchemaItem(t *testing.T) {
	s := storetest.New(t)
	// A database from before an index was dropped from the schema: Migrate
	// removes it.
	if err := s.Write(ctx(t), "CREATE INDEX target_block IF NOT EXISTS FOR (n:Target) ON (n.block)", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`^CREATE (?:CONSTRAINT|INDEX) (\w+) IF NOT EXISTS`)
	have := map[string]bool{}
	for _, q := range []string{"SHOW CONSTRAINTS YIELD name RETURN name", "SHOW INDEXES YIELD name RETURN name"} {
		recs, err := s.Query(ctx(t), q, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			name, _ := store.Get[string](r, "name")
			have[name] = true
		}
	}
	drop := regexp.MustCompile(`^DROP (?:CONSTRAINT|INDEX) (\w+) IF EXISTS$`)
	for _, stmt := range store.Schema() {
		if m := drop.FindStringSubmatch(stmt); m != nil {
			if have[m[1]] {
				t.Errorf("%s still there after Migrate (%s)", m[1], stmt)
			}
			continue
		}
		m := named.FindStringSubmatch(stmt)
		if m == nil {
			t.Errorf("schema statement is neither a named CREATE ... IF NOT EXISTS nor a DROP ... IF EXISTS: %s", stmt)
			continue
		}
		if !have[m[1]] {
			t.Errorf("%s missing after Migrate (%s)", m[1], stmt)
		}
	}
}

// TestWriteRowsRetriesDeadlocks has writers lock the same nodes in opposite
// orders, which makes Neo4j abort some transactions as deadlocked (a
// transient error). Every write must still land exactly once: the driver
// retries the aborted ones and their partial work was rolled back.
func TestWriteRowsRetriesDeadlocks(t *testing.T) {
	s := storetest.New(t)
	const nodes, writers, rounds = 300, 4, 8
	var rows, reversed []map[string]any
	for i := 0; i < nodes; i++ {
		rows = append(rows, map[string]any{"id": fmt.Sprintf("d%03d", i)})
	}
	for i := len(rows) - 1; i >= 0; i-- {
		reversed = append(reversed, rows[i])
	}
	if err := s.WriteRows(ctx(t), "UNWIND $rows AS row MERGE (a:Account {id: row.id}) SET a.n = 0", rows); err != nil {
		t.Fatal(err)
	}
	// Deliberately not idempotent, so a write applied twice or half shows.
	const bump = "UNWIND $rows AS row MATCH (a:Account {id: row.id}) SET a.n = a.n + 1"
	errs := make(chan error, writers*rounds)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			order := rows
			if w%2 == 1 {
				order = reversed
			}
			for r := 0; r < rounds; r++ {
				errs <- s.WriteRows(ctx(t), bump, order)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, "MATCH (a:Account) WHERE a.n <> $want RETURN count(a) AS n", map[string]any{"want": writers * rounds}); n != 0 {
		t.Errorf("%d accounts were not bumped exactly %d times", n, writers*rounds)
	}
}

// BenchmarkWriteRows measures one WriteRows batch of 10,000 login edges
// (MERGE account, IP and USED_IP) into an indexed, initially empty graph;
// b.N batches write distinct rows. Reports rows/s.
func BenchmarkWriteRows(b *testing.B) {
	s := storetest.New(b)
	ctx := context.Background()
	const batch = 10000
	const upsert = `UNWIND $rows AS row
MERGE (a:Account {id: row.account})
MERGE (i:IP {addr: row.ip})
MERGE (a)-[u:USED_IP]->(i)
ON CREATE SET u.first = row.first, u.last = row.last, u.count = row.count
ON MATCH SET u.first = CASE WHEN row.first < u.first THEN row.first ELSE u.first END,
             u.last = CASE WHEN row.last > u.last THEN row.last ELSE u.last END,
             u.count = u.count + row.count`
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]map[string]any, batch)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		for i := range rows {
			k := n*batch + i
			rows[i] = map[string]any{
				"account": fmt.Sprintf("acct-%08d", k), "ip": fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255),
				"first": t0, "last": t0.Add(time.Hour), "count": int64(3),
			}
		}
		b.StartTimer()
		if err := s.WriteRows(ctx, upsert, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
}

// TestMigrateConcurrent runs Migrate from several goroutines on a database
// without the schema, as when several commands start at once on a fresh
// server: every one must succeed and leave the full schema.
func TestMigrateConcurrent(t *testing.T) {
	s := storetest.New(t)
	named := regexp.MustCompile(`^CREATE (CONSTRAINT|INDEX) (\w+) `)
	for _, stmt := range store.Schema() {
		if m := named.FindStringSubmatch(stmt); m != nil {
			// DROP takes no parameters; the names are our own constants.
			if err := s.Write(ctx(t), "DROP "+m[1]+" "+m[2]+" IF EXISTS", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	const n = 3
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { errs <- s.Migrate(ctx(t)) }()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	if got := count(t, s, "SHOW CONSTRAINTS YIELD name RETURN count(*) AS n", nil); got < 10 {
		t.Errorf("%d constraints after concurrent Migrate, want at least 10", got)
	}
}
