package projection

// Index maps string keys (account ids, IP addresses, device ids, target
// keys, number blocks) to dense int32 ids 0..Len()-1 in order of first
// appearance. It is the one place where Lockstep turns account ids into
// the dense ids the algorithms work on, and back.
type Index struct {
	keys []string
	pos  map[string]int32
}

// NewIndex returns an empty index with room for about n keys.
func NewIndex(n int) *Index {
	return &Index{keys: make([]string, 0, n), pos: make(map[string]int32, n)}
}

// Add returns key's dense id, assigning the next one if key is new.
func (x *Index) Add(key string) int32 {
	if id, ok := x.pos[key]; ok {
		return id
	}
	id := int32(len(x.keys))
	x.keys = append(x.keys, key)
	x.pos[key] = id
	return id
}

// Lookup returns key's dense id and whether it is known.
func (x *Index) Lookup(key string) (int32, bool) {
	id, ok := x.pos[key]
	return id, ok
}

// Key returns the key of dense id i; it panics if i is out of range.
func (x *Index) Key(i int32) string { return x.keys[i] }

// Len returns the number of keys.
func (x *Index) Len() int { return len(x.keys) }
