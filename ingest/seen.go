package ingest

import "hash/maphash"

// nodeCache remembers which nodes this run has written, and with which
// properties, so that later chunks skip MERGEs that would change nothing.
// It is only an optimisation: a node missing from it is merged again. Keys
// are 128-bit hashes (two seeded maphashes), so a collision, which would
// skip a node that does not exist yet, is out of reach (about 2^-64 for
// millions of nodes). Memory is bounded by maxSeen entries.
type nodeCache struct {
	seeds [3]maphash.Seed
	m     map[[2]uint64]uint64
}

const maxSeen = 4 << 20 // about 200 MB

type seenKey = [2]uint64

// pending is a filtered set of rows and the cache entries to add once they
// are committed.
type pending[T any] struct {
	rows []T
	keys []seenKey
	vals []uint64
}

func (c *nodeCache) init() {
	if c.m == nil {
		c.m = make(map[[2]uint64]uint64)
		for i := range c.seeds {
			c.seeds[i] = maphash.MakeSeed()
		}
	}
}

// filterSeen drops the rows whose node was written with the same
// properties before, and the rows without properties (a bare reference)
// whose node was written at all. id gives a row's node identity and its
// properties ("" for none; the store keeps stored properties that a row
// leaves empty, so a bare row changes nothing on an existing node).
func filterSeen[T any](c *nodeCache, rows []T, id func(*T) (key, props string)) pending[T] {
	c.init()
	var p pending[T]
	for i := range rows {
		key, props := id(&rows[i])
		k := seenKey{maphash.String(c.seeds[0], key), maphash.String(c.seeds[1], key)}
		old, ok := c.m[k]
		if ok && props == "" {
			continue
		}
		v := maphash.String(c.seeds[2], props)
		if ok && old == v {
			continue
		}
		p.rows = append(p.rows, rows[i])
		p.keys = append(p.keys, k)
		p.vals = append(p.vals, v)
	}
	return p
}

// commit records the rows as written.
func (p *pending[T]) commit(c *nodeCache) {
	if len(c.m)+len(p.keys) > maxSeen {
		clear(c.m)
	}
	for i, k := range p.keys {
		c.m[k] = p.vals[i]
	}
}
