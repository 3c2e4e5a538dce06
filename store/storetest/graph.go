package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// Whole-graph views for tests that compare two ways of loading the same
// data (transactional against bulk, a load against a re-load): only store
// speaks Cypher, so the queries that read everything live here.

func graphCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// DumpGraph lists every node (labels and all properties), every
// relationship (type, both ends by their key, all properties) and every
// batch marker (id and properties but the time it was written), one line
// each, sorted. Values print with their Go type, so a DateTime stored with
// another zone, an int stored as a float or a missing property all show.
func DumpGraph(t testing.TB, s *store.Store) []string {
	t.Helper()
	ctx := graphCtx(t)
	var lines []string
	props := func(v any) string {
		m, _ := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		for _, k := range keys {
			val := m[k]
			if tm, ok := val.(time.Time); ok {
				_, off := tm.Zone()
				val = fmt.Sprintf("%s[%s%+d]", tm.UTC().Format(time.RFC3339Nano), tm.Location(), off)
			}
			fmt.Fprintf(&b, "%s=%T:%v ", k, m[k], val)
		}
		return b.String()
	}
	for _, q := range []string{
		"MATCH (n) WHERE NOT n:IngestBatch RETURN 'node', labels(n), properties(n)",
		`MATCH (a)-[r]->(b) RETURN type(r), [labels(a)[0], coalesce(a.id, a.addr, a.key), labels(b)[0], coalesce(b.id, b.addr, b.key)], properties(r)`,
		"MATCH (n:IngestBatch) RETURN 'marker', [n.id], properties(n {.*, at: null})",
	} {
		recs, err := s.Query(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			lines = append(lines, fmt.Sprintf("%v %v %s", r.Values[0], r.Values[1], props(r.Values[2])))
		}
	}
	slices.Sort(lines)
	return lines
}

// SameGraph fails the test with the first lines that differ.
func SameGraph(t testing.TB, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var diff []string
	gs, ws := map[string]bool{}, map[string]bool{}
	for _, l := range got {
		gs[l] = true
	}
	for _, l := range want {
		ws[l] = true
	}
	for _, l := range got {
		if !ws[l] && len(diff) < 8 {
			diff = append(diff, "+ "+l)
		}
	}
	for _, l := range want {
		if !gs[l] && len(diff) < 16 {
			diff = append(diff, "- "+l)
		}
	}
	t.Errorf("%s: %d lines, want %d; first differences (+ got, - want):\n%s", what, len(got), len(want), strings.Join(diff, "\n"))
}

// Snapshot summarises the whole graph (less ingest's batch markers and
// Migrate's bookkeeping): node counts by label, and per
// relationship type its count and the sums of count, hits and first/last,
// so that any double-applied batch or lost edge changes it.
func Snapshot(t testing.TB, s *store.Store) string {
	t.Helper()
	ctx := graphCtx(t)
	var b strings.Builder
	recs, err := s.Query(ctx, `MATCH (n) WHERE NOT n:IngestBatch AND NOT n:Migration
		WITH labels(n)[0] AS label, count(*) AS n ORDER BY label RETURN label, n`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		fmt.Fprintf(&b, "%v=%v ", r.Values[0], r.Values[1])
	}
	recs, err = s.Query(ctx, `MATCH ()-[r]->() WITH type(r) AS rel, r ORDER BY rel
		RETURN rel, count(r) AS n, sum(r.count) AS c, sum(coalesce(r.hits, 0)) AS h,
		       sum(r.first.epochSeconds) AS f, sum(r.last.epochSeconds) AS l`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		fmt.Fprintf(&b, "%v:n=%v,count=%v,hits=%v,first=%v,last=%v ", r.Values...)
	}
	return b.String()
}

// Schema lists a database's indexes (with their constraints' names), by
// name, type, what they cover and state; a token lookup index by what it
// covers alone (its name is generated).
func Schema(t testing.TB, s *store.Store) []string {
	t.Helper()
	recs, err := s.Query(graphCtx(t), `SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, state, owningConstraint
RETURN CASE type WHEN 'LOOKUP' THEN '' ELSE name END + ' ' + type + ' ' + entityType + ' ' +
  coalesce(reduce(s = '', l IN labelsOrTypes | s + l + ','), '*') + ' ' +
  coalesce(reduce(s = '', p IN properties | s + p + ','), '-') + ' ' + state + ' ' + coalesce(owningConstraint, '') AS idx
ORDER BY idx`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		v, _ := store.Get[string](r, "idx")
		out = append(out, v)
	}
	return out
}

// DropSchema drops every constraint and index of s but the token lookup
// indexes every database has: how a benchmark measures building them.
func DropSchema(b testing.TB, s *store.Store) {
	ctx := context.Background()
	// Constraints first: dropping one drops the index it owns.
	for _, kind := range []struct{ show, drop string }{
		{"SHOW CONSTRAINTS YIELD name RETURN name", "DROP CONSTRAINT"},
		{"SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", "DROP INDEX"},
	} {
		recs, err := s.Query(ctx, kind.show, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			name, err := store.Get[string](r, "name")
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Write(ctx, kind.drop+" `"+name+"`", nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
