package detect

import (
	"fmt"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/target"
)

// MemoryBuilder builds the bipartite graph straight from raw events, the
// way ingest would store them, without Neo4j: for tests and benchmarks of
// the pure pipeline. Targets go through the same normalisation as ingest
// (target), so blocks and offsets match what the store holds.
type MemoryBuilder struct {
	bl   *projection.Builder
	h    *target.Hasher
	seen map[string]bool // target keys already described
}

// NewMemoryBuilder returns a builder hashing targets with key.
func NewMemoryBuilder(key []byte) *MemoryBuilder {
	return &MemoryBuilder{bl: projection.NewBuilder(1 << 14), h: target.NewHasher(key), seen: map[string]bool{}}
}

// Add adds one event; events.Record kinds other than account, login and
// lookup are errors.
func (m *MemoryBuilder) Add(r *events.Record) error {
	switch r.Kind {
	case events.KindAccount:
		var created int64
		if r.CreatedAt != nil {
			created = r.CreatedAt.Unix()
		}
		m.bl.Account(r.ID, created, r.Country)
	case events.KindLogin:
		if r.Time == nil {
			return fmt.Errorf("login of %s without time", r.Account)
		}
		t := r.Time.Unix()
		if r.IP != "" {
			m.bl.IP(r.IP, r.IPASN, r.IPASOrg, r.IPCountry, r.IPKind)
			m.bl.Edge(projection.IP, r.Account, r.IP, t, t, 1, 0)
		}
		if r.Device != "" {
			m.bl.Edge(projection.Device, r.Account, r.Device, t, t, 1, 0)
		}
	case events.KindLookup:
		if r.Time == nil {
			return fmt.Errorf("lookup of %s without time", r.Account)
		}
		tg, err := m.h.Normalise(r.Target, r.TargetKind, r.Region)
		if err != nil {
			return fmt.Errorf("lookup by %s: %w", r.Account, err)
		}
		if !m.seen[tg.Key] {
			m.seen[tg.Key] = true
			m.bl.Target(tg.Key, tg.Block, int64(tg.Offset))
		}
		t := r.Time.Unix()
		hits := 0
		if r.Matched != "" {
			hits = 1
			m.bl.Match(tg.Key, r.Matched)
		}
		m.bl.Edge(projection.Target, r.Account, tg.Key, t, t, 1, hits)
	default:
		return fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return nil
}

// Finish returns the graph; the builder must not be used afterwards.
func (m *MemoryBuilder) Finish() *projection.Bipartite {
	m.seen = nil
	return m.bl.Finish()
}
