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
		b.ResourceEdges(Device, r, func(e *Edge) {
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
	}
}
