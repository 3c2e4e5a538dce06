package ingest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// Spill records: what the bulk sink (bulk.go) writes to its partition
// files while the input is parsed, and reads back to aggregate each
// partition. One record is a tag byte and its fields: strings are a
// uvarint length and bytes, integers varints, times Unix seconds (varint)
// and nanoseconds (uvarint). The files live only for one bulk load, so the
// format has no version.
const (
	spillAccount byte = iota + 1
	spillIP
	spillDevice
	spillTarget
	spillEdge
	spillMatched
)

// Relationship types of spilled edges, as one byte.
const (
	relUsedIP byte = iota + 1
	relUsedDevice
	relLookedUp
)

var relNames = [...]string{relUsedIP: store.RelUsedIP, relUsedDevice: store.RelUsedDevice, relLookedUp: store.RelLookedUp}

func relByte(rel string) (byte, error) {
	for b, n := range relNames {
		if n == rel && b != 0 {
			return byte(b), nil
		}
	}
	return 0, fmt.Errorf("bulk: unknown relationship type %q", rel)
}

// spillRec is one decoded record; which fields are set depends on tag.
type spillRec struct {
	tag      byte
	account  store.AccountRow
	ip       store.IPRow
	device   store.DeviceRow
	target   store.TargetRow
	rel      byte
	edge     edgeAgg // count, hits, times; from/to unused
	from, to string  // edge and MATCHED ends (MATCHED: from = target, to = account)
}

type spillEnc struct{ b []byte }

func (e *spillEnc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *spillEnc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *spillEnc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *spillEnc) time(sec int64, nsec int32) {
	e.varint(sec)
	e.uvarint(uint64(nsec))
}

func (e *spillEnc) account(r *store.AccountRow) {
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
	e.b = append(e.b, spillAccount, f)
	e.str(r.ID)
	if f&1 != 0 {
		e.str(r.Handle)
	}
	if f&2 != 0 {
		e.time(r.CreatedAt.Unix(), int32(r.CreatedAt.Nanosecond()))
	}
	if f&4 != 0 {
		e.str(r.Country)
	}
}

func (e *spillEnc) ip(r *store.IPRow) {
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
	e.b = append(e.b, spillIP, f)
	e.str(r.Addr)
	if f&1 != 0 {
		e.uvarint(uint64(r.ASN))
	}
	if f&2 != 0 {
		e.str(r.ASOrg)
	}
	if f&4 != 0 {
		e.str(r.Country)
	}
	if f&8 != 0 {
		e.str(r.Kind)
	}
}

func (e *spillEnc) device(r *store.DeviceRow) {
	e.b = append(e.b, spillDevice)
	e.str(r.ID)
	e.str(r.OS)
	e.str(r.Client)
}

func (e *spillEnc) target(key string, r *store.TargetRow) {
	e.b = append(e.b, spillTarget)
	e.str(key)
	e.str(r.Masked)
	e.str(r.Kind)
	e.str(r.Region)
	e.str(r.Block)
	e.varint(int64(r.Offset))
	var invalid byte
	if r.Invalid {
		invalid = 1
	}
	e.b = append(e.b, invalid)
}

func (e *spillEnc) edge(rel byte, r *store.EdgeRow) {
	e.b = append(e.b, spillEdge, rel)
	e.str(r.From)
	e.str(r.To)
	e.time(r.First.Unix(), int32(r.First.Nanosecond()))
	e.time(r.Last.Unix(), int32(r.Last.Nanosecond()))
	e.uvarint(uint64(r.Count))
	e.uvarint(uint64(r.Hits))
}

func (e *spillEnc) matched(r *store.MatchRow) {
	e.b = append(e.b, spillMatched)
	e.str(r.Target)
	e.str(r.Account)
}

// Join records: the second pass of the merge (bulk_input.go). The first
// pass numbers every node and knows an edge's account end by its node id;
// the other end (IP, Device, Target) lives in the partition of its own key,
// so the edge travels there as a join record (rel, near id, far key,
// properties) and the node ids of that partition's IPs, devices and targets
// as id records (tag, key, id). Both are read back by one worker per
// partition, which writes the importer's relationship rows with numeric
// ids at both ends.
const joinMatched byte = relLookedUp + 1 // MATCHED: far = target (start), near = account (end)

type joinRec struct {
	rel  byte   // relUsedIP, relUsedDevice, relLookedUp or joinMatched
	near int64  // node id of the account end
	far  string // key of the other end
	edge edgeAgg
}

func (e *spillEnc) join(rel byte, near int64, far string, a *edgeAgg) {
	e.b = append(e.b, rel)
	e.uvarint(uint64(near))
	e.str(far)
	if rel != joinMatched {
		e.time(a.firstSec, a.firstNsec)
		e.time(a.lastSec, a.lastNsec)
		e.uvarint(uint64(a.count))
		e.uvarint(uint64(a.hits))
	}
}

func (e *spillEnc) nodeID(tag byte, key string, id int64) {
	e.b = append(e.b, tag)
	e.str(key)
	e.uvarint(uint64(id))
}

// nextJoin decodes the next join record; io.EOF at a clean end.
func (d *spillDec) nextJoin(r *joinRec) (err error) {
	start := d.off
	defer func() {
		if err != nil && err != io.EOF {
			err = fmt.Errorf("join record at byte %d: %w", start, err)
		}
	}()
	if r.rel, err = d.byte(); err != nil {
		return err
	}
	if r.rel == 0 || r.rel > joinMatched {
		return errSpillCorrupt
	}
	near, err := d.uvarint()
	if err != nil {
		return err
	}
	if near > 1<<62 {
		return errSpillCorrupt
	}
	r.near = int64(near)
	if r.far, err = d.str(); err != nil {
		return err
	}
	r.edge = edgeAgg{}
	if r.rel == joinMatched {
		return nil
	}
	e := &r.edge
	if e.firstSec, e.firstNsec, err = d.time(); err != nil {
		return err
	}
	if e.lastSec, e.lastNsec, err = d.time(); err != nil {
		return err
	}
	c, err := d.uvarint()
	if err != nil {
		return err
	}
	h, err := d.uvarint()
	e.count, e.hits = int64(c), int64(h)
	return err
}

// nextID decodes the next id record; io.EOF at a clean end.
func (d *spillDec) nextID() (tag byte, key string, id int64, err error) {
	start := d.off
	defer func() {
		if err != nil && err != io.EOF {
			err = fmt.Errorf("id record at byte %d: %w", start, err)
		}
	}()
	if tag, err = d.byte(); err != nil {
		return
	}
	if tag != spillIP && tag != spillDevice && tag != spillTarget {
		return 0, "", 0, errSpillCorrupt
	}
	if key, err = d.str(); err != nil {
		return
	}
	u, err := d.uvarint()
	if err == nil && u > 1<<62 {
		err = errSpillCorrupt
	}
	return tag, key, int64(u), err
}

// spillDec reads records back.
type spillDec struct {
	r   *bufio.Reader
	off int64
	buf []byte
}

var errSpillCorrupt = errors.New("bulk: corrupt spill record")

func (d *spillDec) byte() (byte, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, err
	}
	d.off++
	return c, nil
}

func (d *spillDec) uvarint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := d.byte()
		if err != nil {
			return 0, noEOF(err)
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errSpillCorrupt
}

func (d *spillDec) varint() (int64, error) {
	u, err := d.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

func (d *spillDec) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > 1<<20 {
		return "", errSpillCorrupt
	}
	if cap(d.buf) < int(n) {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		return "", noEOF(err)
	}
	d.off += int64(n)
	return string(b), nil
}

func (d *spillDec) time() (int64, int32, error) {
	s, err := d.varint()
	if err != nil {
		return 0, 0, err
	}
	ns, err := d.uvarint()
	if err != nil {
		return 0, 0, err
	}
	if ns >= 1e9 {
		return 0, 0, errSpillCorrupt
	}
	return s, int32(ns), nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// next decodes the next record into r; io.EOF at a clean end.
func (d *spillDec) next(r *spillRec) (err error) {
	start := d.off
	defer func() {
		if err != nil && err != io.EOF {
			err = fmt.Errorf("spill record at byte %d: %w", start, err)
		}
	}()
	tag, err := d.byte()
	if err != nil {
		return err
	}
	*r = spillRec{tag: tag}
	// s reads a string into *p unless an earlier field failed.
	s := func(p *string) {
		if err == nil {
			*p, err = d.str()
		}
	}
	switch tag {
	case spillAccount:
		var f byte
		if f, err = d.byte(); err != nil {
			return noEOF(err)
		}
		a := &r.account
		s(&a.ID)
		if f&1 != 0 {
			s(&a.Handle)
		}
		if f&2 != 0 && err == nil {
			var sec int64
			var ns int32
			if sec, ns, err = d.time(); err == nil {
				a.CreatedAt = time.Unix(sec, int64(ns)).UTC()
			}
		}
		if f&4 != 0 {
			s(&a.Country)
		}
		if f&8 != 0 {
			v := f&16 != 0
			a.Verified = &v
		}
	case spillIP:
		var f byte
		if f, err = d.byte(); err != nil {
			return noEOF(err)
		}
		ip := &r.ip
		s(&ip.Addr)
		if f&1 != 0 && err == nil {
			var asn uint64
			if asn, err = d.uvarint(); err == nil {
				if asn > 1<<32-1 {
					return errSpillCorrupt
				}
				ip.ASN = uint32(asn)
			}
		}
		if f&2 != 0 {
			s(&ip.ASOrg)
		}
		if f&4 != 0 {
			s(&ip.Country)
		}
		if f&8 != 0 {
			s(&ip.Kind)
		}
	case spillDevice:
		s(&r.device.ID)
		s(&r.device.OS)
		s(&r.device.Client)
	case spillTarget:
		t := &r.target
		s(&t.Key)
		s(&t.Masked)
		s(&t.Kind)
		s(&t.Region)
		s(&t.Block)
		if err == nil {
			var off int64
			off, err = d.varint()
			t.Offset = int(off)
		}
		if err == nil {
			var invalid byte
			if invalid, err = d.byte(); err != nil {
				return noEOF(err)
			}
			if invalid > 1 {
				return errSpillCorrupt
			}
			t.Invalid = invalid == 1
		}
	case spillEdge:
		if r.rel, err = d.byte(); err != nil {
			return noEOF(err)
		}
		if r.rel == 0 || int(r.rel) >= len(relNames) {
			return errSpillCorrupt
		}
		s(&r.from)
		s(&r.to)
		e := &r.edge
		if err == nil {
			e.firstSec, e.firstNsec, err = d.time()
		}
		if err == nil {
			e.lastSec, e.lastNsec, err = d.time()
		}
		var c, h uint64
		if err == nil {
			c, err = d.uvarint()
		}
		if err == nil {
			h, err = d.uvarint()
		}
		e.count, e.hits = int64(c), int64(h)
	case spillMatched:
		s(&r.from)
		s(&r.to)
	default:
		return errSpillCorrupt
	}
	return err
}
