package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The packed ingest write. The managed Neo4j ships a procedure,
// lockstep.ingest (deploy/neo4j/procedures/Ingest.java), that applies one
// batch of aggregated rows with Neo4j's core API, in the caller's
// transaction. Through Cypher, every row is a map of boxed values that Bolt
// decodes and the Cypher runtime interprets; Neo4j spent about 65 µs of CPU
// per record that way (as much as with its own LOAD CSV). The procedure
// does exactly what the Cypher statements in ingest.go do, MERGE semantics
// and batch markers included; servers without it get the Cypher.
//
// Call: lockstep.ingest(format, batch, kind, data) YIELD done, rows.
// format is ingestFormat; batch is a marker id ("" for none): it is
// created first, and if it exists the call changes nothing and returns
// done = true. kind names the rows in data.
//
// data is a sequence of rows, each a run of fields; uvarint and varint are
// encoding/binary's, a string is a uvarint length then UTF-8 bytes, a time
// is Unix seconds (varint) then nanoseconds (uvarint), stored as a DateTime
// in UTC; "flags" is one byte whose bits say which optional fields follow
// (an absent field leaves the stored property as it is):
//
//	accounts:    flags (1 handle, 2 createdAt, 4 country, 8 verified is set,
//	             16 verified is true), id, [handle], [createdAt], [country]
//	ips:         flags (1 asn, 2 asnOrg, 4 country, 8 kind), addr, [asn
//	             (uvarint)], [asnOrg], [country], [kind]
//	devices:     flags (1 os, 2 client), id, [os], [client]
//	targets:     key, then the target's properties (below)
//	USED_IP,
//	USED_DEVICE: from (account id), to (addr or device id), first, last,
//	             count (uvarint)
//	LOOKED_UP:   from, to (target key), first, last, count (uvarint), hits
//	             (uvarint), then the target's properties
//	MATCHED:     target key, account id
//
// The target's properties (set only when the Target is created): masked,
// kind, region ("" for none), block, offset (varint).
const (
	ingestProcedure = "lockstep.ingest"
	ingestFormat    = 1
)

// Ingest write paths (IngestVia).
const (
	IngestAuto   = "auto"   // packed when the server has the procedure, else Cypher
	IngestPacked = "packed" // the procedure, or an error
	IngestCypher = "cypher" // plain Cypher, any Neo4j 5
)

// IngestWriter writes ingest batches by one path. Its methods are those of
// Store (MergeAccounts, WriteEdges, ...), so it can stand where a Store
// does (ingest.Sink).
type IngestWriter struct {
	s      *Store
	packed bool
}

// IngestVia returns a writer that writes by the chosen path
// (IngestPacked, IngestCypher or IngestAuto). IngestPacked fails if the
// server lacks the procedure (only the managed Neo4j ships it).
func (s *Store) IngestVia(ctx context.Context, via string) (*IngestWriter, error) {
	switch via {
	case IngestCypher:
		return &IngestWriter{s: s}, nil
	case IngestPacked, IngestAuto, "":
		ok, err := s.hasIngestProcedure(ctx)
		if err != nil {
			return nil, fmt.Errorf("Store.IngestVia(%s): %w", via, err)
		}
		if !ok && via == IngestPacked {
			return nil, fmt.Errorf("%w: the server has no %s procedure (only the managed Neo4j ships it)", ErrInvalidArgument, ingestProcedure)
		}
		return &IngestWriter{s: s, packed: ok}, nil
	}
	return nil, fmt.Errorf("%w: ingest path %q (want auto, packed or cypher)", ErrInvalidArgument, via)
}

// Packed reports whether w writes through the procedure.
func (w *IngestWriter) Packed() bool { return w.packed }

// ingestProcs caches, per Store, whether its server has the procedure, so
// that Store's own ingest methods pick the path once (Store itself has no
// field for it; its struct belongs to store.go).
var ingestProcs sync.Map // *Store -> bool

func (s *Store) hasIngestProcedure(ctx context.Context) (bool, error) {
	if v, ok := ingestProcs.Load(s); ok {
		return v.(bool), nil
	}
	ok, err := s.hasProcedure(ctx, ingestProcedure)
	if err != nil {
		return false, err
	}
	ingestProcs.Store(s, ok)
	return ok, nil
}

// auto is the writer behind Store's own ingest methods.
func (s *Store) autoIngest(ctx context.Context) (*IngestWriter, error) {
	return s.IngestVia(ctx, IngestAuto)
}

// MergeAccounts merges accounts (one transaction).
func (w *IngestWriter) MergeAccounts(ctx context.Context, rows []AccountRow) error {
	if !w.packed {
		return w.s.mergeAccountsCypher(ctx, rows)
	}
	return w.call(ctx, "", "accounts", len(rows), encodeAccounts(rows))
}

// MergeIPs merges IP addresses (one transaction).
func (w *IngestWriter) MergeIPs(ctx context.Context, rows []IPRow) error {
	if !w.packed {
		return w.s.mergeIPsCypher(ctx, rows)
	}
	return w.call(ctx, "", "ips", len(rows), encodeIPs(rows))
}

// MergeDevices merges devices (one transaction).
func (w *IngestWriter) MergeDevices(ctx context.Context, rows []DeviceRow) error {
	if !w.packed {
		return w.s.mergeDevicesCypher(ctx, rows)
	}
	return w.call(ctx, "", "devices", len(rows), encodeDevices(rows))
}

// MergeTargets merges lookup targets (one transaction).
func (w *IngestWriter) MergeTargets(ctx context.Context, rows []TargetRow) error {
	if !w.packed {
		return w.s.mergeTargetsCypher(ctx, rows)
	}
	return w.call(ctx, "", "targets", len(rows), encodeTargets(rows))
}

// MergeMatched merges MATCHED relationships (one transaction).
func (w *IngestWriter) MergeMatched(ctx context.Context, rows []MatchRow) error {
	if !w.packed {
		return w.s.mergeMatchedCypher(ctx, rows)
	}
	return w.call(ctx, "", "MATCHED", len(rows), encodeMatched(rows))
}

// WriteEdges is Store.WriteEdges by w's path.
func (w *IngestWriter) WriteEdges(ctx context.Context, batch, rel string, rows []EdgeRow) error {
	if !w.packed {
		return w.s.writeEdgesCypher(ctx, batch, rel, rows)
	}
	if batch == "" {
		return fmt.Errorf("%w: WriteEdges without a batch id", ErrInvalidArgument)
	}
	data, err := encodeEdges(rel, rows)
	if err != nil {
		return fmt.Errorf("Store.WriteEdges(%s, %s, %d rows): %w", batch, rel, len(rows), err)
	}
	return w.call(ctx, batch, rel, len(rows), data)
}

// IngestBatches is Store.IngestBatches (the same on both paths).
func (w *IngestWriter) IngestBatches(ctx context.Context, prefix string) (map[string]bool, error) {
	return w.s.IngestBatches(ctx, prefix)
}

// MarkIngestBatch is Store.MarkIngestBatch (the same on both paths).
func (w *IngestWriter) MarkIngestBatch(ctx context.Context, id string, props map[string]any) error {
	return w.s.MarkIngestBatch(ctx, id, props)
}

const ingestCall = "CALL lockstep.ingest($format, $batch, $kind, $data) YIELD done, rows RETURN done, rows"

// call runs the procedure in one retried write transaction. It returns
// ErrBatchDone when the batch's marker existed.
func (w *IngestWriter) call(ctx context.Context, batch, kind string, n int, data []byte) error {
	if n == 0 && batch == "" {
		return nil
	}
	sess := w.s.session(ctx, neo4j.AccessModeWrite, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	params := map[string]any{"format": int64(ingestFormat), "batch": batch, "kind": kind, "data": data}
	res, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		r, err := tx.Run(ctx, ingestCall, params)
		if err != nil {
			return nil, err
		}
		rec, err := r.Single(ctx)
		if err != nil {
			return nil, err
		}
		done, _ := rec.Values[0].(bool)
		return done, nil
	})
	var ne *neo4j.Neo4jError
	if errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.ConstraintValidationFailed" && batch != "" {
		// Another transaction committed the same marker at the same time.
		return ErrBatchDone
	}
	if err != nil {
		return fmt.Errorf("lockstep.ingest(%s, %q, %d rows): %w", kind, batch, n, classifyIn(ctx, err))
	}
	if done, _ := res.(bool); done {
		return ErrBatchDone
	}
	return nil
}

// packedWriter appends the encoding's fields.
type packedWriter struct{ b []byte }

func (p *packedWriter) flags(f byte)     { p.b = append(p.b, f) }
func (p *packedWriter) uvarint(v uint64) { p.b = binary.AppendUvarint(p.b, v) }
func (p *packedWriter) varint(v int64)   { p.b = binary.AppendVarint(p.b, v) }
func (p *packedWriter) string(s string)  { p.uvarint(uint64(len(s))); p.b = append(p.b, s...) }
func (p *packedWriter) time(t time.Time) { p.varint(t.Unix()); p.uvarint(uint64(t.Nanosecond())) }
func (p *packedWriter) opt(s string) { // an optional string present in flags
	if s != "" {
		p.string(s)
	}
}

func encodeAccounts(rows []AccountRow) []byte {
	p := packedWriter{b: make([]byte, 0, len(rows)*24)}
	for _, r := range rows {
		var f byte
		if r.Handle != "" {
			f |= 1
		}
		if !r.CreatedAt.IsZero() {
			f |= 2
		}
		if r.Country != "" {
			f |= 4
		}
		if r.Verified != nil {
			f |= 8
			if *r.Verified {
				f |= 16
			}
		}
		p.flags(f)
		p.string(r.ID)
		p.opt(r.Handle)
		if f&2 != 0 {
			p.time(r.CreatedAt)
		}
		p.opt(r.Country)
	}
	return p.b
}

func encodeIPs(rows []IPRow) []byte {
	p := packedWriter{b: make([]byte, 0, len(rows)*32)}
	for _, r := range rows {
		var f byte
		if r.ASN != 0 {
			f |= 1
		}
		if r.ASOrg != "" {
			f |= 2
		}
		if r.Country != "" {
			f |= 4
		}
		if r.Kind != "" {
			f |= 8
		}
		p.flags(f)
		p.string(r.Addr)
		if r.ASN != 0 {
			p.uvarint(uint64(r.ASN))
		}
		p.opt(r.ASOrg)
		p.opt(r.Country)
		p.opt(r.Kind)
	}
	return p.b
}

func encodeDevices(rows []DeviceRow) []byte {
	p := packedWriter{b: make([]byte, 0, len(rows)*24)}
	for _, r := range rows {
		var f byte
		if r.OS != "" {
			f |= 1
		}
		if r.Client != "" {
			f |= 2
		}
		p.flags(f)
		p.string(r.ID)
		p.opt(r.OS)
		p.opt(r.Client)
	}
	return p.b
}

func (p *packedWriter) target(t *TargetRow) {
	p.string(t.Masked)
	p.string(t.Kind)
	p.string(t.Region)
	p.string(t.Block)
	p.varint(int64(t.Offset))
}

func encodeTargets(rows []TargetRow) []byte {
	p := packedWriter{b: make([]byte, 0, len(rows)*112)}
	for i := range rows {
		p.string(rows[i].Key)
		p.target(&rows[i])
	}
	return p.b
}

func encodeMatched(rows []MatchRow) []byte {
	p := packedWriter{b: make([]byte, 0, len(rows)*80)}
	for _, r := range rows {
		p.string(r.Target)
		p.string(r.Account)
	}
	return p.b
}

func encodeEdges(rel string, rows []EdgeRow) ([]byte, error) {
	if _, ok := edgeCypher[rel]; !ok {
		return nil, fmt.Errorf("%w: relationship type %q", ErrInvalidArgument, rel)
	}
	p := packedWriter{b: make([]byte, 0, len(rows)*48)}
	for i := range rows {
		r := &rows[i]
		p.string(r.From)
		p.string(r.To)
		p.time(r.First)
		p.time(r.Last)
		p.uvarint(uint64(max(r.Count, 0)))
		if rel == RelLookedUp {
			if r.Target == nil {
				return nil, fmt.Errorf("%w: LOOKED_UP row without its target's properties", ErrInvalidArgument)
			}
			p.uvarint(uint64(max(r.Hits, 0)))
			p.target(r.Target)
		}
	}
	return p.b, nil
}
