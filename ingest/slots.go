package ingest

import "github.com/lockstep-dev/lockstep/store"

// slotTable is an open-addressing hash table from a 64-bit key to a dense
// index, for the two largest maps of a chunk (distinct targets and
// LOOKED_UP edges: one entry per lookup, nearly). A Go map needs a lookup
// and then an insert for each new key, and hashes a target's 64-byte hex
// key each time; here one probe sequence does both, and the key is a
// 64-bit number (the edge's two node indexes, or the first 64 bits of the
// target's HMAC, which are uniformly distributed already). Capacity is a
// power of two, at most half full; linear probing.
type slotTable struct {
	slots []slot
	n     int
	mask  uint64
}

type slot struct {
	h uint64
	v int32 // index + 1; 0 is an empty slot
}

// mix spreads a key over the table (Fibonacci hashing); the table uses the
// high bits.
func mix(h uint64) uint64 { return h * 0x9E3779B97F4A7C15 }

func (t *slotTable) pos(h uint64) uint64 { return (mix(h) >> 32) & t.mask }

// reset empties the table, keeping its storage.
func (t *slotTable) reset() {
	clear(t.slots)
	t.n = 0
}

// grow doubles the table (from 1024 slots) when an insert would make it
// more than half full.
func (t *slotTable) grow() {
	if len(t.slots) > 0 && 2*(t.n+1) <= len(t.slots) {
		return
	}
	old := t.slots
	size := max(1024, 2*len(old))
	t.slots = make([]slot, size)
	t.mask = uint64(size - 1)
	for _, s := range old {
		if s.v != 0 {
			i := t.pos(s.h)
			for t.slots[i].v != 0 {
				i = (i + 1) & t.mask
			}
			t.slots[i] = s
		}
	}
}

// exact returns the slot holding key, or the empty slot where it goes
// (then set its h and v, and count it in n).
func (t *slotTable) exact(key uint64) *slot {
	t.grow()
	i := t.pos(key)
	for {
		s := &t.slots[i]
		if s.v == 0 || s.h == key {
			return s
		}
		i = (i + 1) & t.mask
	}
}

// target returns the slot of the target with this key (h is the key's
// first 64 bits), or the empty slot where it goes. Two keys that share
// their first 64 bits are told apart by the full key.
func (t *slotTable) target(h uint64, key string, rows []store.TargetRow) *slot {
	t.grow()
	i := t.pos(h)
	for {
		s := &t.slots[i]
		if s.v == 0 || s.h == h && rows[s.v-1].Key == key {
			return s
		}
		i = (i + 1) & t.mask
	}
}

// hexPrefix reads the first 16 hex digits of a target key as a number. A
// key that is not hex (never from target.Hasher) still gives some number:
// only the spread over the table would suffer, not correctness.
func hexPrefix(key string) uint64 {
	var h uint64
	for i := 0; i < 16 && i < len(key); i++ {
		c := key[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			d = c & 0xf
		}
		h = h<<4 | uint64(d)
	}
	return h
}
