package server_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
)

// sweepBlock is Account.sweep's item as the UI reads it.
type sweepBlock struct {
	Block      string
	Distinct   int
	Lookups    int
	LongestRun int
	Bins       []int
}

const sweepQuery = `query($id: ID!) { account(id: $id) { id sweep { block distinct lookups longestRun bins } } }`

// seedSweep adds two accounts to the fixture world: "sweeper" looked up
// 1,000 consecutive numbers of +1 212 555 (offsets 2950..3949, each twice,
// written in shuffled order), 3 scattered numbers of +1 718 555 and 2
// e-mail addresses; "organic" looked up 20 scattered numbers of +1 646 555
// (one consecutive pair among them) and one number in each of 24 other
// blocks. It returns every raw number it used.
func seedSweep(t *testing.T, h *harness) []string {
	t.Helper()
	ctx := ctxT(t)
	hs := target.NewHasher(hmacKey)
	var raw []string
	var targets, lookups []map[string]any
	add := func(account, value string, count int) {
		tg, err := hs.Normalise(value, "", "")
		if err != nil {
			t.Fatalf("normalise %s…: %v", value[:min(5, len(value))], err)
		}
		if tg.Kind == target.Phone {
			raw = append(raw, value)
		}
		targets = append(targets, map[string]any{"key": tg.Key, "masked": tg.Masked, "kind": tg.Kind, "region": tg.Region, "block": tg.Block, "offset": tg.Offset})
		lookups = append(lookups, map[string]any{"a": account, "t": tg.Key, "count": count})
	}
	offsets := make([]int, 1000)
	for i := range offsets {
		offsets[i] = 2950 + i
	}
	rand.New(rand.NewPCG(7, 11)).Shuffle(len(offsets), func(i, j int) { offsets[i], offsets[j] = offsets[j], offsets[i] })
	for _, o := range offsets {
		add("sweeper", fmt.Sprintf("+1212555%04d", o), 2)
	}
	for _, o := range []int{17, 4410, 8093} {
		add("sweeper", fmt.Sprintf("+1718555%04d", o), 1)
	}
	add("sweeper", "someone@example.org", 5)
	add("sweeper", "other@example.net", 5)
	for i, o := range []int{123, 901, 1777, 2345, 2346, 3012, 3987, 4455, 5120, 5803, 6034, 6661, 7002, 7450, 7999, 8123, 8640, 9001, 9333, 9876} {
		add("organic", fmt.Sprintf("+1646555%04d", o), 1+i%3)
	}
	for e := 560; e < 584; e++ {
		add("organic", fmt.Sprintf("+1646%03d%04d", e, 4000+e), 1)
	}
	w := func(cypher string, rows []map[string]any) {
		t.Helper()
		if err := h.st.WriteRows(ctx, cypher, rows); err != nil {
			t.Fatal(err)
		}
	}
	w(`UNWIND $rows AS r CREATE (:Account {id: r.id, verified: false, createdAt: datetime('2026-01-01T00:00:00Z')})`,
		[]map[string]any{{"id": "sweeper"}, {"id": "organic"}})
	w(`UNWIND $rows AS r MERGE (t:Target {key: r.key}) SET t.masked = r.masked, t.kind = r.kind, t.region = r.region, t.block = r.block, t.offset = r.offset`, targets)
	w(`UNWIND $rows AS r MATCH (a:Account {id: r.a}), (t:Target {key: r.t})
CREATE (a)-[:LOOKED_UP {first: datetime('2026-02-01T00:00:00Z'), last: datetime('2026-02-02T00:00:00Z'), count: r.count, hits: 0}]->(t)`, lookups)
	return raw
}

// binsOf is the UI's binSweep with 100 bins (frontend/src/lib/sweep.ts):
// distinct offsets per bin of 100.
func binsOf(offsets ...int) []int {
	bins := make([]int, 100)
	seen := map[int]bool{}
	for _, o := range offsets {
		if !seen[o] {
			seen[o] = true
			bins[min(99, o/100)]++
		}
	}
	return bins
}

func TestAccountSweep(t *testing.T) {
	h := newHarness(t, server.Config{})
	raw := seedSweep(t, h)
	t.Cleanup(func() { scanBodies(t, h, raw) })

	get := func(t *testing.T, role store.Role, id string) []sweepBlock {
		var got struct {
			Account struct {
				ID    string
				Sweep []sweepBlock
			}
		}
		h.sub(t).ok(role, sweepQuery, map[string]any{"id": id}, &got)
		if got.Account.ID != id {
			t.Fatalf("account = %q, want %q", got.Account.ID, id)
		}
		return got.Account.Sweep
	}

	t.Run("sweeper", func(t *testing.T) {
		s := get(t, viewer, "sweeper")
		if len(s) != 2 {
			t.Fatalf("sweep has %d blocks, want 2 (the e-mails are left out): %+v", len(s), s)
		}
		sw := s[0]
		walk := make([]int, 1000)
		for i := range walk {
			walk[i] = 2950 + i
		}
		if sw.Block != "+1 212-555-xxxx" || sw.Distinct != 1000 || sw.Lookups != 2000 || sw.LongestRun != 900 || !slices.Equal(sw.Bins, binsOf(walk...)) {
			t.Errorf("sweep block = %+v\nwant +1 212-555-xxxx, distinct 1000, lookups 2000, longestRun 900 (whole groups 30..38), bins %v", sw, binsOf(walk...))
		}
		// Spot-check binSweep's answer by hand too: half bins at both ends.
		if sw.Bins[29] != 50 || sw.Bins[30] != 100 || sw.Bins[38] != 100 || sw.Bins[39] != 50 || sw.Bins[40] != 0 {
			t.Errorf("bins 29..40 = %v", sw.Bins[29:41])
		}
		other := s[1]
		if other.Block != "+1 718-555-xxxx" || other.Distinct != 3 || other.Lookups != 3 || other.LongestRun != 0 || !slices.Equal(other.Bins, binsOf(17, 4410, 8093)) {
			t.Errorf("second block = %+v", other)
		}
	})

	t.Run("organic", func(t *testing.T) {
		s := get(t, viewer, "organic")
		if len(s) != store.MaxSweepBlocks {
			t.Fatalf("sweep has %d blocks, want the cap %d of 25", len(s), store.MaxSweepBlocks)
		}
		top := s[0]
		scattered := []int{123, 901, 1777, 2345, 2346, 3012, 3987, 4455, 5120, 5803, 6034, 6661, 7002, 7450, 7999, 8123, 8640, 9001, 9333, 9876}
		if top.Block != "+1 646-555-xxxx" || top.Distinct != 20 || top.LongestRun != 0 || top.Lookups != 39 || !slices.Equal(top.Bins, binsOf(scattered...)) {
			t.Errorf("top block = %+v", top)
		}
		for i, b := range s[1:] {
			if b.Distinct != 1 || b.LongestRun != 0 || len(b.Bins) != 100 || !strings.HasSuffix(b.Block, "xxxx") {
				t.Errorf("block %d = %+v", i+1, b)
			}
			if i > 0 && s[i].Distinct == b.Distinct && s[i].Lookups == b.Lookups && s[i].Block > b.Block {
				t.Errorf("blocks %d and %d out of order: %q before %q", i, i+1, s[i].Block, b.Block)
			}
		}
	})

	t.Run("no phone lookups", func(t *testing.T) {
		if s := get(t, viewer, "a12"); len(s) != 0 {
			t.Errorf("a12 looked nothing up, sweep = %+v", s)
		}
	})

	t.Run("fixture account", func(t *testing.T) {
		// a01 looked up +1 415 555 0101..0104, each 3 times.
		s := get(t, viewer, "a01")
		if len(s) != 1 || s[0].Block != "+1 415-555-xxxx" || s[0].Distinct != 4 || s[0].Lookups != 12 || s[0].LongestRun != 0 || s[0].Bins[1] != 4 {
			t.Errorf("a01 sweep = %+v", s)
		}
	})

	t.Run("roles", func(t *testing.T) {
		for _, r := range []store.Role{viewer, analyst, admin} {
			if s := get(t, r, "sweeper"); len(s) != 2 || s[0].LongestRun != 900 {
				t.Errorf("%s: sweep = %+v", r, s)
			}
		}
		resp := h.sub(t).doKey("", sweepQuery, map[string]any{"id": "sweeper"})
		if resp.Status != http.StatusUnauthorized {
			t.Errorf("no key: status %d, want 401", resp.Status)
		}
	})

	t.Run("page of accounts", func(t *testing.T) {
		// Batched by the dataloader: both accounts in one request.
		var got struct {
			A, B struct{ Sweep []sweepBlock }
		}
		h.sub(t).ok(viewer, `{ a: account(id: "sweeper") { sweep { longestRun } } b: account(id: "organic") { sweep { longestRun } } }`, nil, &got)
		if len(got.A.Sweep) != 2 || got.A.Sweep[0].LongestRun != 900 || len(got.B.Sweep) != 20 || got.B.Sweep[0].LongestRun != 0 {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("complexity", func(t *testing.T) {
		// A page of networks asking for every member's sweep reads every
		// phone lookup of a thousand accounts: refused before it runs.
		h.sub(t).fails(viewer, `{ networks(first: 20) { edges { node { members(first: 50) { edges { node { account { sweep { bins } } } } } } } } }`,
			nil, "COMPLEXITY_LIMIT_EXCEEDED", "complexity")
	})
}

// scanBodies fails the test if any of raw, in any usual spelling, appears
// in a response body or log line (the harness checks its own numbers).
func scanBodies(t *testing.T, h *harness, raw []string) {
	all := h.bodies.String() + "\n" + h.logs.String()
	if !strings.Contains(all, `"longestRun":900`) {
		t.Errorf("scan saw no sweep response: the check would pass vacuously")
	}
	for _, n := range raw {
		digits := strings.TrimPrefix(n, "+")
		for _, form := range []string{n, digits, digits[1:], digits[1:4] + "-" + digits[4:7] + "-" + digits[7:], digits[len(digits)-7:]} {
			if strings.Contains(all, form) {
				t.Errorf("raw number %s… (as %q) appears in a response or log line", n[:5], form)
				return
			}
		}
	}
}

// BenchmarkAccountSweep measures Account.sweep over HTTP for a ring member
// that walked a whole block (10,000 numbers) plus 500 numbers scattered over
// 50 other blocks: the worst case the account view asks for.
func BenchmarkAccountSweep(b *testing.B) {
	h := newHarness(b, server.Config{})
	ctx := ctxT(b)
	hs := target.NewHasher(hmacKey)
	var targets, lookups []map[string]any
	add := func(value string) {
		tg, err := hs.Normalise(value, "", "")
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, map[string]any{"key": tg.Key, "masked": tg.Masked, "kind": tg.Kind, "region": tg.Region, "block": tg.Block, "offset": tg.Offset})
		lookups = append(lookups, map[string]any{"t": tg.Key})
	}
	for o := range 10000 {
		add(fmt.Sprintf("+1212555%04d", o))
	}
	for e := range 50 {
		for i := range 10 {
			add(fmt.Sprintf("+1646%03d%04d", 520+e, i*997))
		}
	}
	for _, w := range []struct {
		cypher string
		rows   []map[string]any
	}{
		{`UNWIND $rows AS r CREATE (:Account {id: r.id, verified: false})`, []map[string]any{{"id": "ring"}}},
		{`UNWIND $rows AS r CREATE (:Target {key: r.key, masked: r.masked, kind: r.kind, region: r.region, block: r.block, offset: r.offset})`, targets},
		{`UNWIND $rows AS r MATCH (a:Account {id: 'ring'}), (t:Target {key: r.t}) CREATE (a)-[:LOOKED_UP {count: 1, hits: 0}]->(t)`, lookups},
	} {
		if err := h.st.WriteRows(ctx, w.cypher, w.rows); err != nil {
			b.Fatal(err)
		}
	}
	check := func() {
		var got struct{ Account struct{ Sweep []sweepBlock } }
		h.ok(viewer, sweepQuery, map[string]any{"id": "ring"}, &got)
		if s := got.Account.Sweep; len(s) != store.MaxSweepBlocks || s[0].Distinct != 10000 || s[0].LongestRun != 10000 {
			b.Fatalf("sweep = %d blocks, first %+v", len(s), s[0])
		}
	}
	for range 5 { // warm Neo4j's query cache and JIT
		check()
	}
	b.ResetTimer()
	for b.Loop() {
		check()
	}
}
