package projection

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

type edgeSpec struct {
	kind        Kind
	account     string
	resource    string
	first, last int64
}

func build(specs []edgeSpec, targets map[string][2]any) *Bipartite {
	bl := NewBuilder(16)
	for key, t := range targets {
		bl.Target(key, t[0].(string), int64(t[1].(int)))
	}
	for _, s := range specs {
		bl.Edge(s.kind, s.account, s.resource, s.first, s.last, 1, 0)
	}
	return bl.Finish()
}

func weight(r Result, b *Bipartite, x, y string) float64 {
	u, _ := b.Accounts.Lookup(x)
	v, _ := b.Accounts.Lookup(y)
	for w, wt := range r.Graph.Adjacent(u) {
		if w == v {
			return wt
		}
	}
	return 0
}

// walk returns n lookups by acc in block "+1 415 555" from offset from,
// stride apart, and the targets they touch.
func walk(acc string, from, n, stride int) ([]edgeSpec, map[string][2]any) {
	var out []edgeSpec
	tg := map[string][2]any{}
	for i := from; i < from+n*stride; i += stride {
		key := fmt.Sprintf("n%d", i)
		tg[key] = [2]any{"+1 415 555", i}
		out = append(out, edgeSpec{Target, acc, key, int64(i), int64(i)})
	}
	return out, tg
}

// walks joins the lookups of several walks.
func walks(ws ...func() ([]edgeSpec, map[string][2]any)) ([]edgeSpec, map[string][2]any) {
	var out []edgeSpec
	tg := map[string][2]any{}
	for _, w := range ws {
		e, t := w()
		out = append(out, e...)
		for k, v := range t {
			tg[k] = v
		}
	}
	return out, tg
}

func TestProjectPairs(t *testing.T) {
	p := DefaultParams()
	many := func(prefix string, k int, kind Kind, res string) []edgeSpec {
		var out []edgeSpec
		for i := range k {
			out = append(out, edgeSpec{kind, fmt.Sprintf("%s%d", prefix, i), res, 0, 0})
		}
		return out
	}
	targets := func(acc string, n int, at int64) []edgeSpec {
		var out []edgeSpec
		for i := range n {
			out = append(out, edgeSpec{Target, acc, fmt.Sprintf("t%d", i), at + int64(i), at + int64(i)})
		}
		return out
	}
	w := func(acc string, from, n, stride int) func() ([]edgeSpec, map[string][2]any) {
		return func() ([]edgeSpec, map[string][2]any) { return walk(acc, from, n, stride) }
	}
	r2 := Rarity(2)
	splitE, splitT := walks(w("a", 0, 25, 2), w("b", 1, 25, 2))   // interleaved halves of one walk
	shortE, shortT := walks(w("a", 0, 6, 1), w("b", 100, 30, 40)) // a walks 6 in a row; b scatters 30
	scatE, scatT := walks(w("a", 0, 24, 97), w("b", 5000, 24, 101))
	fewE, fewT := walks(w("a", 0, 4, 1), w("b", 10, 25, 1))
	cases := []struct {
		name    string
		edges   []edgeSpec
		targets map[string][2]any
		x, y    string
		want    float64
	}{
		{"one shared IP is below the threshold", []edgeSpec{{IP, "a", "1.1.1.1", 0, 0}, {IP, "b", "1.1.1.1", 0, 0}}, nil, "a", "b", 0},
		{"shared IP and device", []edgeSpec{{IP, "a", "1.1.1.1", 0, 0}, {IP, "b", "1.1.1.1", 0, 0}, {Device, "a", "d", 0, 0}, {Device, "b", "d", 0, 0}}, nil, "a", "b", r2 + 1.5*r2},
		{"hub IP links nobody", append(many("u", 201, IP, "nat"), append(many("u", 2, Device, "d1"), many("u", 2, Device, "d2")...)...), nil, "u0", "u1", 2 * 1.5 * r2},
		{"two shared targets are organic", append(targets("a", 2, 0), targets("b", 2, 100000)...), nil, "a", "b", 0},
		{"three shared targets far apart in time are organic", append(targets("a", 3, 0), targets("b", 3, 100000)...), nil, "a", "b", 0},
		{"three shared targets in lockstep", append(targets("a", 3, 0), targets("b", 3, 60)...), nil, "a", "b", 3 * r2},
		{"split sweep of one block", splitE, splitT, "a", "b", 6 * r2},
		{"a short walk of consecutive numbers is a sweep", shortE, shortT, "a", "b", 6 * r2},
		{"24 scattered numbers of a block are no sweep", scatE, scatT, "a", "b", 0},
		{"4 consecutive numbers are too few", fewE, fewT, "a", "b", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := build(c.edges, c.targets)
			r := Project(b, p)
			if got := weight(r, b, c.x, c.y); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("weight(%s,%s) = %v, want %v (stats %+v)", c.x, c.y, got, c.want, r.Stats)
			}
		})
	}
}

func TestProjectReportsHubs(t *testing.T) {
	var specs []edgeSpec
	for i := range 300 {
		specs = append(specs, edgeSpec{IP, fmt.Sprintf("u%d", i), "100.64.0.1", 0, 0})
	}
	b := build(specs, nil)
	r := Project(b, DefaultParams())
	if r.Stats.HubsDropped["ip"] != 1 || len(r.Stats.LargestHubs) != 1 || r.Stats.LargestHubs[0].Accounts != 300 {
		t.Fatalf("hubs = %v %v, want one ip hub of 300", r.Stats.HubsDropped, r.Stats.LargestHubs)
	}
	if r.Graph.Edges() != 0 {
		t.Fatalf("hub produced %d edges", r.Graph.Edges())
	}
}

// TestProjectDeterministic checks that the graph does not depend on the
// number of workers or on the order rows arrive in.
func TestProjectDeterministic(t *testing.T) {
	var specs []edgeSpec
	for i := range 5000 {
		a := fmt.Sprintf("a%d", i)
		specs = append(specs,
			edgeSpec{IP, a, fmt.Sprintf("ip%d", (i*7)%900), 0, 0},
			edgeSpec{Device, a, fmt.Sprintf("dev%d", (i*13)%1500), 0, 0},
		)
		for j := range 5 {
			specs = append(specs, edgeSpec{Target, a, fmt.Sprintf("t%d", (i*31+j*17)%2000), int64(i % 50 * 60), int64(i % 50 * 60)})
		}
	}
	b1 := build(specs, nil)
	p := DefaultParams()
	p.Workers = 1
	r1 := Project(b1, p)
	rev := make([]edgeSpec, len(specs))
	for i, s := range specs {
		rev[len(specs)-1-i] = s
	}
	b2 := build(rev, nil)
	p.Workers = 4
	r2 := Project(b2, p)
	if r1.Graph.Edges() == 0 {
		t.Fatal("no edges: the test graph is too sparse to test anything")
	}
	// Dense ids differ with input order, so compare by account ids.
	type pair struct{ x, y string }
	set := func(r Result, b *Bipartite) map[pair]float64 {
		m := map[pair]float64{}
		for _, e := range r.Graph.EdgeList() {
			x, y := b.Accounts.Key(e.U), b.Accounts.Key(e.V)
			if x > y {
				x, y = y, x
			}
			m[pair{x, y}] = math.Round(e.W*1e9) / 1e9
		}
		return m
	}
	if !reflect.DeepEqual(set(r1, b1), set(r2, b2)) {
		t.Fatal("projection depends on input order or worker count")
	}
}

// TestThinBlocks: accounts that each look up three scattered, unmatched
// numbers in each of the same three blocks are linked though none sweeps a
// block; an account with the same lookups that also finds people (an
// address book: a third of its lookups matched) is not, and neither is one
// that shares only one block with them.
func TestThinBlocks(t *testing.T) {
	bl := NewBuilder(8)
	n := 0
	look := func(acc, block string, offsets []int, hit bool) {
		for _, off := range offsets {
			key := fmt.Sprintf("%s-%s-%d", acc, block, off)
			bl.Target(key, block, int64(off))
			hits := 0
			if hit {
				hits = 1
			}
			bl.Edge(Target, acc, key, int64(n), int64(n), 1, hits)
			n++
		}
	}
	blocks := []string{"+1 415 201", "+1 415 202", "+1 415 203"}
	for i, acc := range []string{"r1", "r2", "r3"} {
		for _, b := range blocks {
			look(acc, b, []int{100*i + 10, 100*i + 40, 100*i + 70}, false)
		}
	}
	for _, b := range blocks {
		look("book", b, []int{5010, 5040, 5070}, false)
		look("book", b+"9", []int{1, 3, 5, 7, 9}, true)
	}
	look("one", blocks[0], []int{7010, 7040, 7070}, false)
	// Enough misses elsewhere (a block of its own) for "one" to be shown
	// blind (Blind): three lookups alone cannot tell.
	look("one", "+1 415 299", []int{10, 40, 70, 90}, false)
	b := bl.Finish()
	r := Project(b, DefaultParams())
	// Three blocks touched thinly by r1, r2, r3, the first also by "one".
	want := 2*Rarity(3) + Rarity(4)
	for _, pair := range [][2]string{{"r1", "r2"}, {"r1", "r3"}, {"r2", "r3"}} {
		if w := weight(r, b, pair[0], pair[1]); math.Abs(w-want) > 1e-9 {
			t.Errorf("%s-%s: weight %v, want %v", pair[0], pair[1], w, want)
		}
	}
	for _, other := range []string{"book", "one"} {
		if w := weight(r, b, "r1", other); w != 0 {
			t.Errorf("r1-%s linked with weight %v", other, w)
		}
	}
	p := DefaultParams()
	p.ThinMinShared = 4
	if w := weight(Project(b, p), b, "r1", "r2"); w != 0 {
		t.Errorf("with thinMinShared 4, three shared blocks still link r1-r2 (%v)", w)
	}
}

// TestBlind: the blind test weighs the evidence, not a point estimate: a
// few lookups show nothing, one hit in a dozen is not blind, none in
// hundreds or one in a hundred is, a tenth matched never is.
func TestBlind(t *testing.T) {
	for _, c := range []struct {
		n, hits int64
		want    bool
	}{
		{0, 0, false}, {3, 0, false}, {6, 0, false}, {7, 0, true}, {12, 1, false}, {18, 1, true},
		{21, 2, false}, {29, 2, true}, {100, 1, true}, {590, 7, true}, {612, 61, false}, {5000, 450, true}, {5000, 500, false},
	} {
		if got := Blind(c.n, c.hits); got != c.want {
			t.Errorf("Blind(%d, %d) = %v, want %v", c.n, c.hits, got, c.want)
		}
	}
}

// TestHeavyScatterLinksNobody: accounts that each scatter dozens of
// unmatched numbers over the same blocks, no two adjacent (a support
// desk's callers in a country of few blocks), neither sweep them nor touch
// them thinly, so they are not linked; the same accounts with a few
// numbers a block (a thin spread) are.
func TestHeavyScatterLinksNobody(t *testing.T) {
	for _, c := range []struct {
		name     string
		perBlock int
		linked   bool
	}{
		{"thin: 3 numbers a block", 3, true},
		{"heavy: 30 scattered numbers a block", 30, false},
		{"heavy: 15 scattered numbers a block", 15, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			bl := NewBuilder(8)
			n := 0
			for i, acc := range []string{"d1", "d2", "d3"} {
				for blk := range 4 {
					block := fmt.Sprintf("+1 415 30%d", blk)
					for j := range c.perBlock {
						// Spread over the block's 100 groups, never
						// beside another account's number.
						off := (j*331 + i*97) % 10000 / 4 * 4
						key := fmt.Sprintf("%s-%s-%d", acc, block, off)
						bl.Target(key, block, int64(off))
						bl.Edge(Target, acc, key, int64(n), int64(n), 1, 0)
						n += 600
					}
				}
			}
			b := bl.Finish()
			r := Project(b, DefaultParams())
			if w := weight(r, b, "d1", "d2"); (w > 0) != c.linked {
				t.Errorf("d1-d2 weight %v, want linked %v (stats %+v)", w, c.linked, r.Stats)
			}
		})
	}
}

// TestBystanderInSweptBlock: an address book whose few unmatched contacts
// lie inside a block a sweep covered has looked-up neighbours there by
// the sweep's doing; most of its misses lie elsewhere, so it did not walk
// the run and is not linked to the sweeper.
func TestBystanderInSweptBlock(t *testing.T) {
	bl := NewBuilder(8)
	add := func(acc, block string, off, at int64, hit bool) {
		key := fmt.Sprintf("%s-%d", block, off)
		bl.Target(key, block, off)
		h := 0
		if hit {
			h = 1
		}
		bl.Edge(Target, acc, key, at, at, 1, h)
	}
	for off := range int64(3000) {
		if off%10 != 3 {
			add("sweeper", "+1 415 400", off, off*3, false)
		}
	}
	for i := range int64(6) {
		add("book", "+1 415 400", 10*i+3, 50000+i, false) // beside the sweep
	}
	for i := range int64(200) {
		add("book", fmt.Sprintf("+1 415 5%02d", i%90), 37*i%10000, 50010+i, i%3 == 0)
	}
	b := bl.Finish()
	r := Project(b, DefaultParams())
	if w := weight(r, b, "sweeper", "book"); w != 0 {
		t.Errorf("the bystander is linked to the sweeper with weight %v", w)
	}
}

// TestLockstepOnMatchedNumbersLinksNobody: two accounts that look up the
// same people (numbers that matched an account) within minutes are a
// sweep passing a friend's address book, or friends; lockstep counts
// numbers that matched nobody.
func TestLockstepOnMatchedNumbersLinksNobody(t *testing.T) {
	for _, hit := range []bool{false, true} {
		var specs []edgeSpec
		for j := range 5 {
			tg := fmt.Sprintf("t%d", j)
			specs = append(specs, edgeSpec{Target, "a", tg, int64(j), 0}, edgeSpec{Target, "b", tg, int64(j + 60), 0})
		}
		bl := NewBuilder(8)
		for _, sp := range specs {
			h := 0
			if hit {
				h = 1
			}
			bl.Edge(sp.kind, sp.account, sp.resource, sp.first, sp.first, 1, h)
		}
		b := bl.Finish()
		if w := weight(Project(b, DefaultParams()), b, "a", "b"); (w > 0) == hit {
			t.Errorf("five shared targets in lockstep, matched %v: weight %v", hit, w)
		}
	}
}

// TestBesideLookedMatchesDefinition: a target is beside a looked-up number
// when some target of its block that someone looked up sits at its offset
// plus or minus one, whatever the order targets arrived in, with two
// targets on one number, and with numbers registered but never looked up.
func TestBesideLookedMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	bl := NewBuilder(4)
	blocks := []string{"+1 415 555", "+1 415 556", "+44 20 7946"}
	var keys []string
	for i := range 600 {
		key := fmt.Sprintf("t%d", i)
		bl.Target(key, blocks[rng.IntN(len(blocks))], int64(rng.IntN(80)))
		keys = append(keys, key)
	}
	bl.Target("mail", "", -1)
	for i, key := range keys {
		if rng.IntN(3) > 0 { // a third are never looked up
			bl.Edge(Target, fmt.Sprintf("a%d", i%9), key, 0, 0, 1, 0)
		}
	}
	bl.Edge(Target, "a0", "mail", 0, 0, 1, 0)
	b := bl.Finish()
	got := besideLooked(b)
	checked := 0
	for x := range b.TargetBlock {
		want := false
		for y := range b.TargetBlock {
			if b.TargetBlock[x] >= 0 && b.TargetBlock[y] == b.TargetBlock[x] && b.ResourceDegree(Target, int32(y)) > 0 {
				if d := b.TargetOffset[y] - b.TargetOffset[x]; d == 1 || d == -1 {
					want = true
				}
			}
		}
		if b.ResourceDegree(Target, int32(x)) == 0 || b.TargetBlock[x] < 0 {
			continue // never asked: only looked-up numbers reach the pass
		}
		checked++
		if got[x] != want {
			t.Errorf("target %d (block %d, offset %d): beside = %v, want %v", x, b.TargetBlock[x], b.TargetOffset[x], got[x], want)
		}
	}
	if checked < 300 {
		t.Fatalf("only %d looked-up targets checked", checked)
	}
}
