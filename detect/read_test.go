package detect

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/lockstep-dev/lockstep/store"
)

// lineSink records every sink call as a line naming nodes by their ids
// and keys, not by node references, so two reads can be compared.
type lineSink struct {
	refs  map[int64]string
	lines []string
	calls []string // in arrival order, for the determinism check
	edges []struct {
		rel                          string
		a, r, first, last, cnt, hits int64
	}
	matches [][2]int64
}

func (s *lineSink) Account(ref int64, id string, createdAt int64, country string, allow bool) {
	s.refs[ref] = "account:" + id
	s.lines = append(s.lines, fmt.Sprintf("account %s %d %s %v", id, createdAt, country, allow))
	s.calls = append(s.calls, id)
}
func (s *lineSink) Expect(n store.ProjectionSize) {
	s.lines = append(s.lines, fmt.Sprintf("expect %+v", n))
	s.calls = append(s.calls, "expect")
}
func (s *lineSink) IP(ref int64, addr string, asn uint32, asOrg, country, kind string) {
	s.refs[ref] = "ip:" + addr
	s.lines = append(s.lines, fmt.Sprintf("ip %s %d %s %s %s", addr, asn, asOrg, country, kind))
	s.calls = append(s.calls, addr)
}
func (s *lineSink) Device(ref int64, id string) {
	s.refs[ref] = "device:" + id
	s.lines = append(s.lines, "device "+id)
	s.calls = append(s.calls, id)
}
func (s *lineSink) Target(ref int64, block string, offset int64) {
	s.refs[ref] = fmt.Sprintf("target:%s/%d", block, offset)
	s.lines = append(s.lines, fmt.Sprintf("target %s %d", block, offset))
	s.calls = append(s.calls, fmt.Sprint(ref))
}
func (s *lineSink) Edge(rel string, a, r, first, last, count, hits int64) {
	s.edges = append(s.edges, struct {
		rel                          string
		a, r, first, last, cnt, hits int64
	}{rel, a, r, first, last, count, hits})
	s.calls = append(s.calls, fmt.Sprint(rel, a, r))
}
func (s *lineSink) Match(t, a int64) {
	s.matches = append(s.matches, [2]int64{t, a})
	s.calls = append(s.calls, fmt.Sprint("match", t, a))
}

// canonical resolves references (known only after every node arrived)
// and sorts.
func (s *lineSink) canonical() []string {
	name := func(ref int64) string {
		if n, ok := s.refs[ref]; ok {
			return n
		}
		return fmt.Sprintf("node#%d", ref) // e-mail targets have no node row
	}
	out := slices.Clone(s.lines)
	for _, e := range s.edges {
		out = append(out, fmt.Sprintf("%s %s %s %d %d %d %d", e.rel, name(e.a), name(e.r), e.first, e.last, e.cnt, e.hits))
	}
	for _, m := range s.matches {
		out = append(out, fmt.Sprintf("MATCHED %s %s", name(m[0]), name(m[1])))
	}
	slices.Sort(out)
	return out
}

func read(t *testing.T, st *store.Store, via string) *lineSink {
	t.Helper()
	s := &lineSink{refs: map[int64]string{}}
	if err := st.ReadProjectionVia(context.Background(), via, s, nil); err != nil {
		t.Fatalf("read via %s: %v", via, err)
	}
	return s
}

// checkPackedRead: the managed server's packed projection procedure gives
// detection exactly what the plain Cypher read gives, on the loaded world
// in st, and in the same order on every read (detection's results depend
// on the order nodes arrive in).
func checkPackedRead(t *testing.T, st *store.Store) {
	cypher := read(t, st, store.ProjectionCypher)
	packed := read(t, st, store.ProjectionPacked)
	want, got := cypher.canonical(), packed.canonical()
	if len(want) < 10000 {
		t.Fatalf("only %d items read: the world did not load", len(want))
	}
	if !slices.Equal(want, got) {
		for i := range min(len(want), len(got)) {
			if want[i] != got[i] {
				t.Fatalf("packed read differs from Cypher at item %d of %d/%d: %q vs %q", i, len(got), len(want), got[i], want[i])
			}
		}
		t.Fatalf("packed read has %d items, Cypher %d", len(got), len(want))
	}
	again := read(t, st, store.ProjectionPacked)
	if !slices.Equal(packed.calls, again.calls) {
		t.Error("two packed reads of the same data called the sink in different orders")
	}
	t.Logf("%d items equal", len(got))
}
