package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// The packed projection read. The managed Neo4j ships a procedure,
// lockstep.projection (deploy/neo4j/procedures/Projection.java), that walks the graph
// with Neo4j's kernel cursors and returns it as binary chunks of varints. Through
// plain Cypher every property of every relationship is a boxed value on
// both sides of Bolt; on a million-account world that read took over a
// minute, nearly all of it encoding and decoding values one by one.
//
// Chunk format (version packedFormat), a sequence of items, each a tag
// byte then its fields; uvarint and varint are encoding/binary's, a string
// is a uvarint length then UTF-8 bytes:
//
//	1 IP:      ref, addr, asn (uvarint), asnOrg, country, kind
//	2 Device:  ref, id
//	3 Target:  ref, block, offset (varint); phone numbers only
//	4 Account: ref, id, createdAt (varint Unix s), country, allowlisted (byte),
//	           then for USED_IP, USED_DEVICE, LOOKED_UP in turn: a count
//	           (uvarint) and per relationship: other ref, first (varint),
//	           last-first (varint), count (uvarint) and, for LOOKED_UP only,
//	           hits (uvarint)
//	5 Match:   target ref, account ref
//
// refs are Neo4j node ids (uvarint), as in the Cypher read. The resources
// stage sends IPs, devices and targets; the accounts stage accounts, each
// followed by the Match items of the MATCHED relationships that end at it.
const (
	packedProcedure = "lockstep.projection"
	packedFormat    = 1
	// packedParts is how many sessions read at once: Neo4j packs one
	// part while the Go side decodes another.
	packedParts = 2
)

const (
	tagIP = 1 + iota
	tagDevice
	tagTarget
	tagAccount
	tagMatch
)

// Projection reads (ProjectionVia).
const (
	ProjectionAuto   = "auto"   // packed when the server has the procedure, else Cypher
	ProjectionPacked = "packed" // the procedure, or an error
	ProjectionCypher = "cypher" // plain Cypher, any Neo4j 5
)

// hasProcedure reports whether the server offers the named procedure.
func (s *Store) hasProcedure(ctx context.Context, name string) (bool, error) {
	recs, err := s.Query(ctx, "SHOW PROCEDURES YIELD name WHERE name = $name RETURN count(*) AS n", map[string]any{"name": name})
	if err != nil {
		return false, err
	}
	if len(recs) != 1 {
		return false, nil
	}
	n, err := Get[int64](recs[0], "n")
	return n > 0, err
}

// readPacked streams the projection through lockstep.projection: the
// resources stage, then the accounts stage, each split into packedParts
// parts read in parallel sessions. Chunks are decoded in a fixed
// round-robin order of parts, so the sink sees the same sequence on every
// run over the same data (detection's dense ids, and so its results,
// depend on that order).
func (s *Store) readPacked(ctx context.Context, sink ProjectionSink, progress func(stage string, done, total int)) error {
	totals, size, err := s.projectionSize(ctx)
	if err != nil {
		return err
	}
	sink.Expect(size)
	d := &packedDecoder{sink: sink, progress: progress, totals: totals, done: map[string]int{}}
	for _, stage := range []string{"resources", "accounts"} {
		kinds := []string{"ips", "devices", "targets"}
		if stage == "accounts" {
			kinds = []string{"accounts", "MATCHED"}
		}
		for _, k := range kinds {
			d.report(k, true)
		}
		if err := s.readPackedStage(ctx, stage, d); err != nil {
			return fmt.Errorf("%s: %w", stage, err)
		}
		for _, k := range kinds {
			d.finish(k)
		}
	}
	return nil
}

func (s *Store) readPackedStage(ctx context.Context, stage string, d *packedDecoder) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	chunks := make([]chan []byte, packedParts)
	var wg sync.WaitGroup
	errs := make([]error, packedParts)
	for part := range packedParts {
		ch := make(chan []byte, 2)
		chunks[part] = ch
		wg.Go(func() {
			defer close(ch)
			err := s.Stream(ctx, "CALL lockstep.projection($stage, $part, $parts) YIELD format, data RETURN format, data",
				map[string]any{"stage": stage, "part": part, "parts": packedParts}, 4, func(rec *Record) error {
					f, err := Get[int64](rec, "format")
					if err != nil {
						return err
					}
					if f != packedFormat {
						return fmt.Errorf("%s speaks packed format %d, this Lockstep reads %d: restart the managed Neo4j so it loads the procedure of this version", packedProcedure, f, packedFormat)
					}
					data, err := Get[[]byte](rec, "data")
					if err != nil {
						return fmt.Errorf("%s: %w", packedProcedure, err)
					}
					select {
					case ch <- data:
						return nil
					case <-ctx.Done():
						return context.Cause(ctx)
					}
				})
			if err != nil {
				errs[part] = err
				cancel(err)
			}
		})
	}
	var decodeErr error
	for open := packedParts; open > 0; {
		open = 0
		for part, ch := range chunks {
			if ch == nil {
				continue
			}
			data, ok := <-ch
			if !ok {
				chunks[part] = nil
				continue
			}
			open++
			if decodeErr == nil {
				if decodeErr = d.decode(data); decodeErr != nil {
					cancel(decodeErr)
				}
			}
		}
	}
	wg.Wait()
	if decodeErr != nil {
		return decodeErr
	}
	return errors.Join(errs...)
}

// packedDecoder turns chunks into sink calls and counts progress per kind.
type packedDecoder struct {
	sink     ProjectionSink
	progress func(stage string, done, total int)
	totals   map[string]int
	done     map[string]int
}

func (d *packedDecoder) report(kind string, force bool) {
	if d.progress != nil && (force || d.done[kind]%10000 == 0) {
		d.progress(kind, d.done[kind], d.totals[kind])
	}
}

func (d *packedDecoder) finish(kind string) {
	if d.progress != nil {
		n := max(d.done[kind], d.totals[kind])
		d.progress(kind, n, n)
	}
}

func (d *packedDecoder) count(kind string) {
	d.done[kind]++
	d.report(kind, false)
}

func (d *packedDecoder) decode(data []byte) error {
	r := packedReader{b: data}
	for r.more() {
		at := r.at
		switch tag := r.byte(); tag {
		case tagIP:
			ref, addr, asn := r.ref(), r.string(), r.uvarint()
			org, country, kind := r.string(), r.string(), r.string()
			if r.err == nil {
				d.sink.IP(ref, addr, uint32(asn), org, country, kind)
				d.count("ips")
			}
		case tagDevice:
			ref, id := r.ref(), r.string()
			if r.err == nil {
				d.sink.Device(ref, id)
				d.count("devices")
			}
		case tagTarget:
			ref, block, offset := r.ref(), r.string(), r.varint()
			if r.err == nil {
				d.sink.Target(ref, block, offset)
				d.count("targets")
			}
		case tagMatch:
			t, a := r.ref(), r.ref()
			if r.err == nil {
				d.sink.Match(t, a)
				d.count("MATCHED")
			}
		case tagAccount:
			ref, id, created, country := r.ref(), r.string(), r.varint(), r.string()
			allow := r.byte() == 1
			if r.err != nil {
				break
			}
			if id == "" {
				return fmt.Errorf("account node %d without id", ref)
			}
			d.sink.Account(ref, id, created, country, allow)
			for _, rel := range []string{RelUsedIP, RelUsedDevice, RelLookedUp} {
				n := r.uvarint()
				for range n {
					if r.err != nil {
						break
					}
					res, first := r.ref(), r.varint()
					last, count := first+r.varint(), int64(r.uvarint())
					var hits int64
					if rel == RelLookedUp {
						hits = int64(r.uvarint())
					}
					if r.err == nil {
						d.sink.Edge(rel, ref, res, first, last, max(1, count), hits)
					}
				}
			}
			d.count("accounts")
		default:
			return fmt.Errorf("packed chunk: unknown tag %d at byte %d", tag, at)
		}
		if r.err != nil {
			return fmt.Errorf("packed chunk: item at byte %d: %w", at, r.err)
		}
	}
	return nil
}

// packedReader reads the chunk encoding; the first error sticks and every
// later read returns zero.
type packedReader struct {
	b   []byte
	at  int
	err error
}

var errTruncated = errors.New("truncated")

func (r *packedReader) more() bool { return r.err == nil && r.at < len(r.b) }

func (r *packedReader) byte() byte {
	if r.err != nil || r.at >= len(r.b) {
		r.fail()
		return 0
	}
	r.at++
	return r.b[r.at-1]
}

func (r *packedReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func (r *packedReader) varint() int64 { return readVarint(r, binary.Varint) }

// readVarint reads one varint with read (binary.Uvarint or binary.Varint).
func readVarint[T int64 | uint64](r *packedReader, read func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := read(r.b[r.at:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.at += n
	return v
}

func (r *packedReader) ref() int64 {
	v := r.uvarint()
	if v > 1<<62 {
		r.fail()
		return 0
	}
	return int64(v)
}

func (r *packedReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)-r.at) {
		r.fail()
		return ""
	}
	s := string(r.b[r.at : r.at+int(n)])
	r.at += int(n)
	return s
}

func (r *packedReader) fail() {
	if r.err == nil {
		r.err = errTruncated
	}
}
