package ingest

import (
	"bufio"
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lockstep-dev/lockstep/store"
)

// bulkSink is the Sink of a bulk load: instead of writing to Neo4j it
// spills every row the pipeline hands over to one of K partition files,
// chosen by a hash of the row's node key (nodes) or of its account end
// (edges and MATCHED), and records the batch markers the transactional
// path would create. It answers IngestBatches and WriteEdges from the
// markers of this run, so that a chunk met twice (the same file given
// twice) is skipped exactly as the transactional path skips it.
//
// Order matters for node properties (the last non-empty value in input
// order wins): the pipeline's node stage merges one chunk's nodes only
// after the previous chunk's are done, and a chunk names each node once,
// so the order of a partition's records is the input order of chunks.
type bulkSink struct {
	parts []*spillPart
	seed  maphash.Seed

	mu      sync.Mutex
	markers map[string]bool
	chunks  []chunkMarker // in commit order
	subs    []string      // sub-batch markers, in commit order

	// targets remembers (by 128-bit hash) the Target nodes already
	// spilled: a target is named by every LOOKED_UP row, but all its
	// properties follow from its key, so one record is enough. Bounded:
	// when full it stops remembering and the partition merge drops the
	// duplicates instead.
	tmu     sync.Mutex
	targets map[[2]uint64]struct{}
	tseeds  [2]maphash.Seed
}

type chunkMarker struct {
	id, file             string
	chunk, lines, events int64
}

// spillPart is one partition file.
type spillPart struct {
	mu   sync.Mutex
	path string
	f    *os.File
	w    *bufio.Writer
	n    int64 // bytes written
}

// append writes b to the part's file; callers on several goroutines share
// a part. what names the file in an error.
func (p *spillPart) append(b []byte, what string) error {
	p.mu.Lock()
	_, err := p.w.Write(b)
	p.n += int64(len(b))
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("bulk: %s %s: %w", what, p.path, err)
	}
	return nil
}

const maxSpilledTargets = 8 << 20

func newBulkSink(dir string, k int) (*bulkSink, error) {
	s := &bulkSink{seed: maphash.MakeSeed(), markers: map[string]bool{}, targets: map[[2]uint64]struct{}{}}
	s.tseeds[0], s.tseeds[1] = maphash.MakeSeed(), maphash.MakeSeed()
	for i := 0; i < k; i++ {
		p := &spillPart{path: filepath.Join(dir, fmt.Sprintf("part-%04d.spill", i))}
		f, err := os.OpenFile(p.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("bulk: %w", err)
		}
		p.f, p.w = f, bufio.NewWriterSize(f, 64<<10)
		s.parts = append(s.parts, p)
	}
	return s, nil
}

// close flushes and closes the partition files.
func (s *bulkSink) close() error {
	var first error
	for _, p := range s.parts {
		if p.f == nil {
			continue
		}
		if err := p.w.Flush(); err != nil && first == nil {
			first = fmt.Errorf("bulk: spill %s: %w", p.path, err)
		}
		if err := p.f.Close(); err != nil && first == nil {
			first = fmt.Errorf("bulk: spill %s: %w", p.path, err)
		}
		p.f = nil
	}
	return first
}

func (s *bulkSink) part(key string) int {
	return int(maphash.String(s.seed, key) % uint64(len(s.parts)))
}

// spill encodes rows into per-partition buffers (enc writes one row and
// returns the key its partition follows) and appends each buffer to its
// file under the file's lock, so concurrent callers never interleave
// inside a record.
func spill[T any](s *bulkSink, rows []T, enc func(e *spillEnc, r *T) string) error {
	bufs := make(map[int]*spillEnc)
	var tmp spillEnc
	for i := range rows {
		tmp.b = tmp.b[:0]
		p := s.part(enc(&tmp, &rows[i]))
		b := bufs[p]
		if b == nil {
			b = &spillEnc{}
			bufs[p] = b
		}
		b.b = append(b.b, tmp.b...)
	}
	return s.flush(bufs)
}

func (s *bulkSink) flush(bufs map[int]*spillEnc) error {
	for i, b := range bufs {
		if err := s.parts[i].append(b.b, "spill"); err != nil {
			return err
		}
	}
	return nil
}

func (s *bulkSink) MergeAccounts(_ context.Context, rows []store.AccountRow) error {
	return spill(s, rows, func(e *spillEnc, r *store.AccountRow) string { e.account(r); return "a" + r.ID })
}

func (s *bulkSink) MergeIPs(_ context.Context, rows []store.IPRow) error {
	return spill(s, rows, func(e *spillEnc, r *store.IPRow) string { e.ip(r); return "i" + r.Addr })
}

func (s *bulkSink) MergeDevices(_ context.Context, rows []store.DeviceRow) error {
	return spill(s, rows, func(e *spillEnc, r *store.DeviceRow) string { e.device(r); return "d" + r.ID })
}

func (s *bulkSink) MergeTargets(_ context.Context, rows []store.TargetRow) error {
	return spill(s, rows, func(e *spillEnc, r *store.TargetRow) string { e.target(r.Key, r); return "t" + r.Key })
}

func (s *bulkSink) MergeMatched(_ context.Context, rows []store.MatchRow) error {
	return spill(s, rows, func(e *spillEnc, r *store.MatchRow) string { e.matched(r); return "a" + r.Account })
}

// WriteEdges spills a sub-batch's edges (by account) and, for LOOKED_UP,
// the targets not spilled before (by key), and records its marker; a
// marker recorded before means the sub-batch was "committed": ErrBatchDone.
func (s *bulkSink) WriteEdges(_ context.Context, batch, rel string, rows []store.EdgeRow) error {
	rb, err := relByte(rel)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.markers[batch] {
		s.mu.Unlock()
		return store.ErrBatchDone
	}
	s.markers[batch] = true
	s.subs = append(s.subs, batch)
	s.mu.Unlock()
	bufs := make(map[int]*spillEnc)
	put := func(key string, enc func(e *spillEnc)) {
		p := s.part(key)
		b := bufs[p]
		if b == nil {
			b = &spillEnc{}
			bufs[p] = b
		}
		enc(b)
	}
	for i := range rows {
		r := &rows[i]
		put("a"+r.From, func(e *spillEnc) { e.edge(rb, r) })
		if rb == relLookedUp {
			if r.Target == nil {
				return fmt.Errorf("bulk: LOOKED_UP row without its target's properties (batch %s)", batch)
			}
			if s.newTarget(r.To) {
				put("t"+r.To, func(e *spillEnc) { e.target(r.To, r.Target) })
			}
		}
	}
	return s.flush(bufs)
}

func (s *bulkSink) newTarget(key string) bool {
	h := [2]uint64{maphash.String(s.tseeds[0], key), maphash.String(s.tseeds[1], key)}
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if _, ok := s.targets[h]; ok {
		return false
	}
	if len(s.targets) < maxSpilledTargets {
		s.targets[h] = struct{}{}
	}
	return true
}

func (s *bulkSink) IngestBatches(_ context.Context, prefix string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	done := map[string]bool{}
	for id := range s.markers {
		if strings.HasPrefix(id, prefix) {
			done[id] = true
		}
	}
	return done, nil
}

func (s *bulkSink) MarkIngestBatch(_ context.Context, id string, props map[string]any) error {
	m := chunkMarker{id: id}
	m.file, _ = props["file"].(string)
	m.chunk, _ = props["chunk"].(int64)
	m.lines, _ = props["lines"].(int64)
	m.events, _ = props["events"].(int64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.markers[id] {
		s.markers[id] = true
		s.chunks = append(s.chunks, m)
	}
	return nil
}
