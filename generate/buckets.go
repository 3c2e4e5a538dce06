package generate

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Event kinds inside the generator.
const (
	evAccount = iota
	evLogin
	evLookup
)

// ev is one event in compact form (26 bytes on disk). Its meaning by kind:
// account: acct. login: a = ip id, b = device number. lookup: c = country
// index or target code, a = number index, account index or random e-mail
// id, b = 1 + matched account (0: no match).
type ev struct {
	t    int64
	a    uint64
	acct int32
	b    uint32
	kind uint8
	c    uint8
}

const evSize = 26

func (e *ev) encode(p []byte) {
	binary.LittleEndian.PutUint64(p[0:], uint64(e.t))
	binary.LittleEndian.PutUint64(p[8:], e.a)
	binary.LittleEndian.PutUint32(p[16:], uint32(e.acct))
	binary.LittleEndian.PutUint32(p[20:], e.b)
	p[24], p[25] = e.kind, e.c
}

func (e *ev) decode(p []byte) {
	e.t = int64(binary.LittleEndian.Uint64(p[0:]))
	e.a = binary.LittleEndian.Uint64(p[8:])
	e.acct = int32(binary.LittleEndian.Uint32(p[16:]))
	e.b = binary.LittleEndian.Uint32(p[20:])
	e.kind, e.c = p[24], p[25]
}

// bucketSet spills events to one temporary file per window day as they are
// generated (in any order), so that the world can then be written in time
// order one day at a time: memory holds one day of events, never the world.
type bucketSet struct {
	dir   string
	start int64
	files []*os.File
	ws    []*bufio.Writer
	buf   [evSize]byte
	err   error
}

func newBucketSet(tmpRoot string, start int64, days int) (*bucketSet, error) {
	dir, err := os.MkdirTemp(tmpRoot, ".lockstep-generate-*")
	if err != nil {
		return nil, fmt.Errorf("generate: temporary directory: %w", err)
	}
	return &bucketSet{dir: dir, start: start, files: make([]*os.File, days), ws: make([]*bufio.Writer, days)}, nil
}

// add stores e in its day's bucket; the caller keeps e.t inside the window.
func (b *bucketSet) add(e ev) {
	if b.err != nil {
		return
	}
	d := int((e.t - b.start) / day)
	if b.ws[d] == nil {
		f, err := os.Create(filepath.Join(b.dir, "day-"+strconv.Itoa(d)))
		if err != nil {
			b.err = fmt.Errorf("generate: day bucket: %w", err)
			return
		}
		b.files[d], b.ws[d] = f, bufio.NewWriterSize(f, 64<<10)
	}
	e.encode(b.buf[:])
	if _, err := b.ws[d].Write(b.buf[:]); err != nil {
		b.err = fmt.Errorf("generate: day bucket %s: %w", b.files[d].Name(), err)
	}
}

// day reads day d's events back sorted by time (ties in generation order)
// into buf, and removes the bucket.
func (b *bucketSet) day(d int, buf []ev) ([]ev, error) {
	buf = buf[:0]
	if b.err != nil || b.ws[d] == nil {
		return buf, b.err
	}
	if err := b.ws[d].Flush(); err != nil {
		return buf, fmt.Errorf("generate: day bucket %s: %w", b.files[d].Name(), err)
	}
	name := b.files[d].Name()
	b.files[d].Close()
	b.ws[d] = nil
	raw, err := os.ReadFile(name)
	if err != nil {
		return buf, fmt.Errorf("generate: day bucket: %w", err)
	}
	os.Remove(name)
	// Counting sort on the second of the day: linear, and stable, so ties
	// keep the order in which they were generated (the file's order).
	n := len(raw) / evSize
	var counts [day + 1]int32
	dayStart := b.start + int64(d)*day
	for p := 0; p < n; p++ {
		sec := int64(binary.LittleEndian.Uint64(raw[p*evSize:])) - dayStart
		counts[sec+1]++
	}
	for i := 1; i <= day; i++ {
		counts[i] += counts[i-1]
	}
	buf = slices.Grow(buf, n)[:n]
	for p := 0; p < n; p++ {
		var e ev
		e.decode(raw[p*evSize:])
		sec := e.t - dayStart
		buf[counts[sec]] = e
		counts[sec]++
	}
	return buf, nil
}

// close removes whatever is left.
func (b *bucketSet) close() {
	for _, f := range b.files {
		if f != nil {
			f.Close()
		}
	}
	os.RemoveAll(b.dir)
}

// account, login and lookup are the only ways events enter the world. They
// keep every event inside the window and never before its account exists.
func (w *world) account(a int32) {
	w.out.add(ev{t: w.created[a], kind: evAccount, acct: a})
}

func (w *world) clamp(a int32, t int64) int64 {
	return min(max(t, w.start, w.created[a]), w.end-1)
}

func (w *world) login(a int32, t int64, ip uint64, dev uint32) {
	w.out.add(ev{t: w.clamp(a, t), kind: evLogin, acct: a, a: ip, b: dev})
	w.logins++
}

// lookup records a lookup of target (c, k) and returns 1 + the account it
// matched, or 0. The answer is computed here from the target and the time
// alone, so it is the same for everyone who looks the target up.
func (w *world) lookup(a int32, t int64, c uint8, k uint64) uint32 {
	t = w.clamp(a, t)
	var m uint32
	switch c {
	case targetEmailAccount:
		if w.created[k] <= t {
			m = uint32(k) + 1
		}
	case targetEmailOther:
	default:
		if isInvalidCode(c) {
			break // no account has a number no plan allows
		}
		m = w.matchPhone(int(c), k, t)
	}
	w.out.add(ev{t: t, kind: evLookup, acct: a, c: c, a: k, b: m})
	w.lookups++
	return m
}
