package projection

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestResourceEdgesInAccountOrder: whatever order edges arrive in, each
// resource lists every account that touched it once, in increasing
// account order (Project relies on it), with duplicate rows merged.
func TestResourceEdgesInAccountOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bl := NewBuilder(200)
	want := map[string]map[int32]bool{}
	for i := range 200 {
		bl.Account(fmt.Sprintf("a%03d", i), 0, "")
	}
	for range 5000 {
		a, d := rng.IntN(200), rng.IntN(40)
		bl.Edge(Device, fmt.Sprintf("a%03d", a), fmt.Sprintf("d%02d", d), 1, 2, 1, 0)
		key := fmt.Sprintf("d%02d", d)
		if want[key] == nil {
			want[key] = map[int32]bool{}
		}
		want[key][int32(a)] = true
	}
	b := bl.Finish()
	for r := range int32(b.NumResources(Device)) {
		var got []int32
		b.ResourceEdges(Device, r, -1, func(e *Edge) {
			if e.Resource != r {
				t.Fatalf("resource %d lists an edge of resource %d", r, e.Resource)
			}
			got = append(got, e.Account)
		})
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("resource %s: accounts %v not strictly increasing", b.Keys[Device][r], got)
		}
		if len(got) != len(want[b.Keys[Device][r]]) || b.ResourceDegree(Device, r) != len(got) {
			t.Errorf("resource %s: %d accounts (degree %d), want %d", b.Keys[Device][r], len(got), b.ResourceDegree(Device, r), len(want[b.Keys[Device][r]]))
		}
		for _, a := range got {
			if !want[b.Keys[Device][r]][a] {
				t.Errorf("resource %s lists account %d, which never touched it", b.Keys[Device][r], a)
			}
		}
		// Asked for the accounts after one, it lists exactly the tail.
		for _, after := range []int32{0, 57, got[len(got)/2], 199} {
			var tail []int32
			b.ResourceEdges(Device, r, after, func(e *Edge) { tail = append(tail, e.Account) })
			var wantTail []int32
			for _, a := range got {
				if a > after {
					wantTail = append(wantTail, a)
				}
			}
			if !slices.Equal(tail, wantTail) {
				t.Errorf("resource %s after account %d: %v, want %v", b.Keys[Device][r], after, tail, wantTail)
			}
		}
	}
}

// TestEdgesSortedAndMerged: edges arriving in any order, some rows of one
// (account, resource) pair repeated, come out sorted by (account,
// resource) with each pair's rows merged: earliest first, latest last,
// counts and hits summed.
func TestEdgesSortedAndMerged(t *testing.T) {
	// Few edges an account (the usual case) and many.
	for _, rows := range []int{900, 20000} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) { checkEdgesSortedAndMerged(t, rows) })
	}
}

func checkEdgesSortedAndMerged(t *testing.T, rows int) {
	rng := rand.New(rand.NewPCG(3, uint64(rows)))
	bl := NewBuilder(0)
	const accounts = 300
	for a := range int64(accounts) {
		bl.AccountRef(a, fmt.Sprintf("a%03d", a), 0, "") // dense id a
	}
	type pair struct{ a, r int64 }
	want := map[pair]Edge{}
	for range rows {
		a, r := rng.Int64N(accounts), 1000+rng.Int64N(500)
		first := rng.Int64N(1000)
		last, count, hits := first+rng.Int64N(100), 1+rng.Int64N(5), rng.Int64N(3)
		bl.EdgeRef(Target, a, r, first, last, count, hits)
		w, ok := want[pair{a, r}]
		if !ok {
			w = Edge{First: first, Last: last}
		}
		w.First, w.Last = min(w.First, first), max(w.Last, last)
		w.Count += int32(count)
		w.Hits += int32(hits)
		want[pair{a, r}] = w
	}
	b := bl.Finish()
	es := b.Edges[Target]
	if len(es) != len(want) {
		t.Fatalf("%d edges, want %d distinct pairs", len(es), len(want))
	}
	for i := 1; i < len(es); i++ {
		x, y := es[i-1], es[i]
		if x.Account > y.Account || x.Account == y.Account && x.Resource >= y.Resource {
			t.Fatalf("edges %d and %d out of (account, resource) order: %+v, %+v", i-1, i, x, y)
		}
	}
	for a := range int32(accounts) {
		for _, e := range b.AccountEdges(Target, a) {
			if e.Account != a {
				t.Fatalf("AccountEdges(%d) holds an edge of account %d", a, e.Account)
			}
			w := want[pair{int64(a), b.Refs[Target][e.Resource]}]
			if e.First != w.First || e.Last != w.Last || e.Count != w.Count || e.Hits != w.Hits {
				t.Errorf("account %d, target ref %d: %+v, want first %d last %d count %d hits %d",
					a, b.Refs[Target][e.Resource], e, w.First, w.Last, w.Count, w.Hits)
			}
		}
	}
}

// TestDenseIDsFollowArrival: resources get dense ids in the order rows
// first name them, whichever call names them (EdgeRef holds edges back
// and looks their resources up in batches; that must not reorder ids),
// and each edge keeps its resource.
func TestDenseIDsFollowArrival(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bl := NewBuilder(0)
	var order []int64
	seen := map[int64]bool{}
	name := func(ref int64) {
		if !seen[ref] {
			seen[ref] = true
			order = append(order, ref)
		}
	}
	for a := range int64(50) {
		bl.AccountRef(a, fmt.Sprint("a", a), 0, "") // dense id a
	}
	type row struct{ a, ref int64 }
	var edges []row
	for i := range 5000 {
		ref := 1000 + rng.Int64N(3000)
		switch rng.IntN(10) {
		case 0:
			bl.TargetRef(ref, "blk", 1)
			name(ref)
		case 1:
			bl.MatchRef(ref, int64(i%50))
			name(ref)
		default:
			bl.EdgeRef(Target, int64(i%50), ref, 1, 2, 1, 0)
			name(ref)
			edges = append(edges, row{int64(i % 50), ref})
		}
	}
	b := bl.Finish()
	if !slices.Equal(b.Refs[Target], order) {
		t.Fatalf("dense ids out of arrival order: first refs %v, want %v", b.Refs[Target][:10], order[:10])
	}
	got := map[row]bool{}
	for _, e := range b.Edges[Target] {
		got[row{int64(e.Account), b.Refs[Target][e.Resource]}] = true
	}
	for _, e := range edges {
		if !got[e] {
			t.Fatalf("edge account %d -> ref %d lost", e.a, e.ref)
		}
	}
}
