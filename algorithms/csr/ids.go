package csr

// IDs maps arbitrary node names (account ids, IP addresses, names in an
// edge-list file) to dense node ids 0..Len()-1 in order of first
// appearance, and back. It is the one place where outside names become
// graph ids.
type IDs struct {
	index map[string]int32
	names []string
}

// ID returns name's id, assigning the next one when name is new. It
// panics beyond 2^31-1 names, the range of a node id.
func (m *IDs) ID(name string) int32 {
	if id, ok := m.index[name]; ok {
		return id
	}
	if m.index == nil {
		m.index = make(map[string]int32)
	}
	if len(m.names) == 1<<31-1 {
		panic("csr: more than 2^31-1 node names")
	}
	id := int32(len(m.names))
	m.index[name] = id
	m.names = append(m.names, name)
	return id
}

// Lookup returns name's id, or false when it has none.
func (m *IDs) Lookup(name string) (int32, bool) {
	id, ok := m.index[name]
	return id, ok
}

// Name returns the name of id; it panics if id was never assigned.
func (m *IDs) Name(id int32) string { return m.names[id] }

// Names returns every name indexed by id; callers must not modify it.
func (m *IDs) Names() []string { return m.names }

// Len returns the number of names.
func (m *IDs) Len() int { return len(m.names) }
