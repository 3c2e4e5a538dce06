package ingest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lockstep-dev/lockstep/store"
)

// TestSlotTableExact checks get-or-insert against a Go map, through
// several growths and a reset.
func TestSlotTableExact(t *testing.T) {
	var tab slotTable
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range 2 {
		want := map[uint64]int32{}
		for range 50000 {
			// Small keys repeat often; 0 is a valid key.
			k := rnd.Uint64N(30000)
			if rnd.IntN(4) == 0 {
				k = rnd.Uint64()
			}
			s := tab.exact(k)
			v, ok := want[k]
			if ok != (s.v != 0) || ok && s.v != v {
				t.Fatalf("round %d key %d: slot %+v, map has %d (%v)", round, k, *s, v, ok)
			}
			if !ok {
				want[k] = int32(len(want) + 1)
				s.h, s.v = k, want[k]
				tab.n++
			}
		}
		if tab.n != len(want) || 2*tab.n > len(tab.slots) {
			t.Fatalf("n %d, want %d, %d slots", tab.n, len(want), len(tab.slots))
		}
		tab.reset()
	}
}

// TestSlotTableTargetPrefixCollision: keys with the same first 64 bits
// are different targets.
func TestSlotTableTargetPrefixCollision(t *testing.T) {
	var tab slotTable
	var rows []store.TargetRow
	prefix := "0123456789abcdef"
	var keys []string
	for i := range 3000 {
		keys = append(keys, fmt.Sprintf("%s%048x", prefix, i))
		keys = append(keys, fmt.Sprintf("%016x%048x", i, i))
	}
	for pass := range 2 {
		for _, k := range keys {
			h := hexPrefix(k)
			s := tab.target(h, k, rows)
			if pass == 0 && s.v == 0 {
				rows = append(rows, store.TargetRow{Key: k})
				s.h, s.v = h, int32(len(rows))
				tab.n++
				continue
			}
			if s.v == 0 || rows[s.v-1].Key != k {
				t.Fatalf("pass %d: key %s not found (slot %+v)", pass, k, *s)
			}
		}
	}
	if len(rows) != len(keys) {
		t.Fatalf("%d rows for %d distinct keys", len(rows), len(keys))
	}
	if hexPrefix("ffffffffffffffff00") != 1<<64-1 || hexPrefix("0000000000000001") != 1 {
		t.Error("hexPrefix")
	}
}
