package ingest

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// The importer's input: binary files that Neo4j's batch importer reads
// through Lockstep's own Input (deploy/neo4j/procedures/BulkImport.java, which
// documents the format): neither side formats or parses CSV or date-times.
// Each label and relationship type has one data file per merge worker. A
// file is a sequence of blocks (a 4-byte big-endian length, then whole
// rows), the importer's unit of parallel work. A row is its node id (or its
// start and end ids) and one tagged field per property key, so that the
// store holds what the transactional path stores: DateTime in UTC, 64-bit
// integers, booleans, and no property where the merge has no value (the
// merge rule never stores an empty string).
//
// Node ids are ours (the importer runs with id type ACTUAL): the merge
// numbers the nodes 0..N-1 and writes the number as the row's id (not
// stored as a property) and the key as an ordinary string property, and
// relationship rows carry the numbers of both ends. The importer then
// needs no ID mapper (a sorted array of every key, searched once per
// relationship end: a third of its CPU with string ids).

// inputFile is one kind of importer input.
type inputFile struct {
	name string // label or relationship type
	rel  bool
	file string   // file name stem
	keys []string // property keys, in their order in a row
}

var inputFiles = []inputFile{
	{name: "Account", file: "account", keys: []string{"id", "handle", "createdAt", "country", "verified", "status"}},
	{name: "IP", file: "ip", keys: []string{"addr", "asn", "asnOrg", "country", "kind"}},
	{name: "Device", file: "device", keys: []string{"id", "os", "client"}},
	{name: "Target", file: "target", keys: []string{"key", "masked", "kind", "region", "block", "offset", "invalid"}},
	{name: "IngestBatch", file: "marker", keys: []string{"id", "file", "chunk", "lines", "events", "at"}},
	{name: store.RelUsedIP, rel: true, file: "used_ip", keys: []string{"first", "last", "count"}},
	{name: store.RelUsedDevice, rel: true, file: "used_device", keys: []string{"first", "last", "count"}},
	{name: store.RelLookedUp, rel: true, file: "looked_up", keys: []string{"first", "last", "count", "hits"}},
	{name: "MATCHED", rel: true, file: "matched"},
}

// Indexes into inputFiles.
const (
	inAccount = iota
	inIP
	inDevice
	inTarget
	inMarker
	numInputNodes // the node inputs come first
	inUsedIP      = iota - 1
	inUsedDevice
	inLookedUp
	inMatched
	numInputs
)

// Field tags (BulkImport.java).
const (
	tagAbsent byte = iota
	tagString
	tagLong
	tagDateTime
	tagFalse
	tagTrue
)

// inputBlock is the size at which a file's block is written: big enough
// that handing out blocks costs the importer nothing, small enough that
// its threads share the last file's rows.
const inputBlock = 1 << 20

// inputSet is one worker's data files, one per inputFiles entry.
type inputSet struct {
	f     [numInputs]*os.File
	w     [numInputs]*bufio.Writer
	block [numInputs][]byte // rows not yet written
	rows  [numInputs]int64
	bytes [numInputs]int64 // row bytes, for the importer's estimates
	line  []byte
}

func inputData(dir, stem string, worker int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%d.bin", stem, worker))
}

func openInputSet(dir string, worker int) (*inputSet, error) {
	s := &inputSet{}
	for i, c := range inputFiles {
		f, err := os.OpenFile(inputData(dir, c.file, worker), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("bulk: %w", err)
		}
		s.f[i], s.w[i] = f, bufio.NewWriterSize(f, 256<<10)
	}
	return s, nil
}

// flush writes file i's pending rows as one block.
func (s *inputSet) flush(i int) error {
	if len(s.block[i]) == 0 {
		return nil
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(s.block[i])))
	if _, err := s.w[i].Write(n[:]); err != nil {
		return err
	}
	_, err := s.w[i].Write(s.block[i])
	s.block[i] = s.block[i][:0]
	return err
}

func (s *inputSet) close() error {
	var first error
	for i, f := range s.f {
		if f == nil {
			continue
		}
		if err := s.flush(i); err != nil && first == nil {
			first = fmt.Errorf("bulk: %s: %w", f.Name(), err)
		}
		if err := s.w[i].Flush(); err != nil && first == nil {
			first = fmt.Errorf("bulk: %s: %w", f.Name(), err)
		}
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("bulk: %s: %w", f.Name(), err)
		}
		s.f[i] = nil
	}
	return first
}

// row starts a row with a node id (or a relationship's start id).
func (s *inputSet) row(id int64) {
	s.line = binary.AppendUvarint(s.line[:0], uint64(id))
}

// end is a relationship's end id, right after row.
func (s *inputSet) end(id int64) { s.line = binary.AppendUvarint(s.line, uint64(id)) }

// str appends a string field ("" is no property).
func (s *inputSet) str(v string) {
	if v == "" {
		s.empty()
		return
	}
	s.line = append(s.line, tagString)
	s.line = binary.AppendUvarint(s.line, uint64(len(v)))
	s.line = append(s.line, v...)
}

func (s *inputSet) int(v int64) {
	s.line = append(s.line, tagLong)
	s.line = binary.AppendVarint(s.line, v)
}

func (s *inputSet) time(sec int64, nsec int32) {
	s.line = append(s.line, tagDateTime)
	s.line = binary.AppendVarint(s.line, sec)
	s.line = binary.AppendUvarint(s.line, uint64(nsec))
}

func (s *inputSet) bool(v bool) {
	if v {
		s.line = append(s.line, tagTrue)
	} else {
		s.line = append(s.line, tagFalse)
	}
}

func (s *inputSet) empty() { s.line = append(s.line, tagAbsent) }

// done adds the row to file i.
func (s *inputSet) done(i int) error {
	s.rows[i]++
	s.bytes[i] += int64(len(s.line))
	s.block[i] = append(s.block[i], s.line...)
	if len(s.block[i]) >= inputBlock {
		return s.flush(i)
	}
	return nil
}

// node and edge state of one partition while it is merged.
type (
	accNode struct {
		handle, country string
		createdSec      int64
		createdNsec     int32
		created         bool
		verified        int8 // 0 unset, 1 false, 2 true
	}
	ipNode struct {
		asn                uint32
		org, country, kind string
	}
	devNode struct{ os, client string }
	edgeKey struct {
		rel      byte
		from, to string
	}
	matchKey struct{ target, account string }
)

// idAlloc hands out node ids: dense, a block per partition in the order
// the partitions finish (ids need not follow any order, only be unique).
type idAlloc struct {
	mu   sync.Mutex
	next int64
}

func (a *idAlloc) take(n int64) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	base := a.next
	a.next += n
	return base
}

// merger runs the two passes of the merge over the spill partitions.
type merger struct {
	sink  *bulkSink
	ids   idAlloc
	joins []*spillPart // join records, by the partition of the far end's key
}

func idsPath(p *spillPart) string { return p.path + ".ids" }

// router buffers one worker's join records per destination partition and
// appends them to the shared join files under each file's lock.
type router struct {
	m    *merger
	bufs map[int]*spillEnc
	n    int
}

func (r *router) to(prefix byte, key string) *spillEnc {
	var h maphash.Hash
	h.SetSeed(r.m.sink.seed)
	h.WriteByte(prefix)
	h.WriteString(key)
	// The same partition as bulkSink.part(prefix+key): maphash hashes the
	// bytes written, however they are split.
	p := int(h.Sum64() % uint64(len(r.m.joins)))
	b := r.bufs[p]
	if b == nil {
		b = &spillEnc{}
		r.bufs[p] = b
	}
	return b
}

// flush appends every buffered record to its join file.
func (r *router) flush() error {
	r.n = 0
	for i, b := range r.bufs {
		if len(b.b) == 0 {
			continue
		}
		if err := r.m.joins[i].append(b.b, "join file"); err != nil {
			return err
		}
		b.b = b.b[:0]
	}
	return nil
}

// nodes is the first pass over one spill partition, in three stages:
// readPartition aggregates it in memory as the transactional path merges
// (node properties take the last non-empty value in input order, Account
// gets status "active", an IP without a kind gets "unknown", a Target
// keeps its first properties (all follow from the key), edges sum count
// and hits and widen first and last, MATCHED is one relationship per
// pair); writeNodes numbers its nodes, writes them to out and the ids of
// its IPs, devices and targets to its id file; routeEdges sends each edge,
// with its account end's id, to the join file of its other end.
func (m *merger) nodes(part *spillPart, out *inputSet) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("bulk: merge %s: %w", part.path, err)
		}
	}()
	g, err := readPartition(part.path)
	if err != nil {
		return err
	}
	_ = os.Remove(part.path) // frees its disk as soon as it is read
	accID, err := m.writeNodes(part, g, out)
	if err != nil {
		return err
	}
	return m.routeEdges(g, accID)
}

// partAgg is one spill partition aggregated in memory.
type partAgg struct {
	accs    map[string]*accNode
	ips     map[string]*ipNode
	devs    map[string]*devNode
	tgts    map[string]*store.TargetRow
	edges   map[edgeKey]*edgeAgg
	matched map[matchKey]struct{}
}

// readPartition reads the spill file at path and aggregates its records.
func readPartition(path string) (*partAgg, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &spillDec{r: bufio.NewReaderSize(f, 256<<10)}
	g := &partAgg{accs: map[string]*accNode{}, ips: map[string]*ipNode{}, devs: map[string]*devNode{},
		tgts: map[string]*store.TargetRow{}, edges: map[edgeKey]*edgeAgg{}, matched: map[matchKey]struct{}{}}
	var r spillRec
	for {
		if err := d.next(&r); err == io.EOF {
			return g, nil
		} else if err != nil {
			return nil, err
		}
		switch r.tag {
		case spillAccount:
			g.account(&r)
		case spillIP:
			g.ip(&r)
		case spillDevice:
			g.device(&r)
		case spillTarget:
			g.target(&r)
		case spillEdge:
			g.edge(&r)
		case spillMatched:
			g.matched[matchKey{r.from, r.to}] = struct{}{}
		}
	}
}

// account merges an account record: the last non-empty value of each
// property wins.
func (g *partAgg) account(r *spillRec) {
	a := node(g.accs, r.account.ID)
	a.handle = cmp.Or(r.account.Handle, a.handle)
	if !r.account.CreatedAt.IsZero() {
		a.created, a.createdSec, a.createdNsec = true, r.account.CreatedAt.Unix(), int32(r.account.CreatedAt.Nanosecond())
	}
	a.country = cmp.Or(r.account.Country, a.country)
	if v := r.account.Verified; v != nil {
		a.verified = 1
		if *v {
			a.verified = 2
		}
	}
}

// ip merges an IP record: the last non-empty value of each property wins.
func (g *partAgg) ip(r *spillRec) {
	n := node(g.ips, r.ip.Addr)
	n.asn = cmp.Or(r.ip.ASN, n.asn)
	n.org = cmp.Or(r.ip.ASOrg, n.org)
	n.country = cmp.Or(r.ip.Country, n.country)
	n.kind = cmp.Or(r.ip.Kind, n.kind)
}

// device merges a device record: the last non-empty value of each
// property wins.
func (g *partAgg) device(r *spillRec) {
	n := node(g.devs, r.device.ID)
	n.os = cmp.Or(r.device.OS, n.os)
	n.client = cmp.Or(r.device.Client, n.client)
}

// node returns the node of key in m, added empty if it is not there.
func node[N any](m map[string]*N, key string) *N {
	n := m[key]
	if n == nil {
		n = new(N)
		m[key] = n
	}
	return n
}

// target keeps a Target's first properties (all follow from its key).
func (g *partAgg) target(r *spillRec) {
	if _, ok := g.tgts[r.target.Key]; !ok {
		t := r.target
		g.tgts[t.Key] = &t
	}
}

// edge merges an edge record: counts and hits add up, first and last
// widen.
func (g *partAgg) edge(r *spillRec) {
	k := edgeKey{r.rel, r.from, r.to}
	e := g.edges[k]
	if e == nil {
		e = new(edgeAgg)
		*e = r.edge
		g.edges[k] = e
		return
	}
	if r.edge.firstSec < e.firstSec || r.edge.firstSec == e.firstSec && r.edge.firstNsec < e.firstNsec {
		e.firstSec, e.firstNsec = r.edge.firstSec, r.edge.firstNsec
	}
	if r.edge.lastSec > e.lastSec || r.edge.lastSec == e.lastSec && r.edge.lastNsec > e.lastNsec {
		e.lastSec, e.lastNsec = r.edge.lastSec, r.edge.lastNsec
	}
	e.count += r.edge.count
	e.hits += r.edge.hits
}

// writeNodes numbers the partition's nodes, writes their rows to out and
// the ids of its IPs, devices and targets to its id file (the second pass
// joins relationships on them). It returns the accounts' ids.
func (m *merger) writeNodes(part *spillPart, g *partAgg, out *inputSet) (map[string]int64, error) {
	ids, err := createIDFile(idsPath(part))
	if err != nil {
		return nil, err
	}
	defer ids.f.Close()
	id := m.ids.take(int64(len(g.accs) + len(g.ips) + len(g.devs) + len(g.tgts)))
	accID, id, err := writeAccountRows(g.accs, id, out)
	if err == nil {
		id, err = writeIPRows(g.ips, id, out, ids)
	}
	if err == nil {
		id, err = writeDeviceRows(g.devs, id, out, ids)
	}
	if err == nil {
		_, err = writeTargetRows(g.tgts, id, out, ids)
	}
	if err == nil {
		err = ids.close()
	}
	return accID, err
}

// idFile is a partition's id file: the node ids of its IPs, devices and
// targets by key.
type idFile struct {
	f   *os.File
	w   *bufio.Writer
	enc spillEnc
}

func createIDFile(path string) (*idFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &idFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (i *idFile) put(tag byte, key string, id int64) error {
	i.enc.nodeID(tag, key, id)
	if len(i.enc.b) >= 64<<10 {
		_, err := i.w.Write(i.enc.b)
		i.enc.b = i.enc.b[:0]
		return err
	}
	return nil
}

func (i *idFile) close() error {
	if _, err := i.w.Write(i.enc.b); err != nil {
		return err
	}
	if err := i.w.Flush(); err != nil {
		return err
	}
	return i.f.Close()
}

// writeAccountRows writes the accounts from id on; it returns their ids
// and the next free id.
func writeAccountRows(accs map[string]*accNode, id int64, w *inputSet) (map[string]int64, int64, error) {
	accID := make(map[string]int64, len(accs))
	for key, a := range accs {
		accID[key] = id
		w.row(id)
		id++
		w.str(key)
		w.str(a.handle)
		if a.created {
			w.time(a.createdSec, a.createdNsec)
		} else {
			w.empty()
		}
		w.str(a.country)
		switch a.verified {
		case 1:
			w.bool(false)
		case 2:
			w.bool(true)
		default:
			w.empty()
		}
		w.str("active")
		if err := w.done(inAccount); err != nil {
			return nil, id, err
		}
	}
	return accID, id, nil
}

// writeIPRows writes the IPs from id on; it returns the next free id.
func writeIPRows(ips map[string]*ipNode, id int64, w *inputSet, ids *idFile) (int64, error) {
	return writeNodeRows(ips, spillIP, inIP, id, w, ids, func(n *ipNode) {
		if n.asn != 0 {
			w.int(int64(n.asn))
		} else {
			w.empty()
		}
		w.str(n.org)
		w.str(n.country)
		w.str(cmp.Or(n.kind, "unknown"))
	})
}

// writeDeviceRows writes the devices from id on; it returns the next free id.
func writeDeviceRows(devs map[string]*devNode, id int64, w *inputSet, ids *idFile) (int64, error) {
	return writeNodeRows(devs, spillDevice, inDevice, id, w, ids, func(n *devNode) {
		w.str(n.os)
		w.str(n.client)
	})
}

// writeTargetRows writes the targets from id on; it returns the next free id.
func writeTargetRows(tgts map[string]*store.TargetRow, id int64, w *inputSet, ids *idFile) (int64, error) {
	return writeNodeRows(tgts, spillTarget, inTarget, id, w, ids, func(t *store.TargetRow) {
		w.str(t.Masked)
		w.str(t.Kind)
		w.str(t.Region)
		w.str(t.Block)
		w.int(int64(t.Offset))
		if t.Invalid {
			w.bool(true)
		} else {
			w.empty()
		}
	})
}

// writeNodeRows writes the nodes of one kind (tag in the id file, file of
// w) from id on: each gets the next id, recorded in ids under its key, and
// a row of id, key and what cols writes. It returns the next free id.
func writeNodeRows[N any](nodes map[string]N, tag byte, file int, id int64, w *inputSet, ids *idFile, cols func(N)) (int64, error) {
	for key, n := range nodes {
		if err := ids.put(tag, key, id); err != nil {
			return id, err
		}
		w.row(id)
		id++
		w.str(key)
		cols(n)
		if err := w.done(file); err != nil {
			return id, err
		}
	}
	return id, nil
}

// routeEdges appends every edge and MATCHED pair of the partition, with
// its account end's id, to the join file of its other end's partition.
func (m *merger) routeEdges(g *partAgg, accID map[string]int64) error {
	rt := router{m: m, bufs: map[int]*spillEnc{}}
	farOf := [...]byte{relUsedIP: 'i', relUsedDevice: 'd', relLookedUp: 't'}
	for k, e := range g.edges {
		near, ok := accID[k.from]
		if !ok {
			return fmt.Errorf("%s edge from account %q, which has no node in its partition", relNames[k.rel], k.from)
		}
		b := rt.to(farOf[k.rel], k.to)
		n := len(b.b)
		b.join(k.rel, near, k.to, e)
		if rt.n += len(b.b) - n; rt.n >= 1<<20 {
			if err := rt.flush(); err != nil {
				return err
			}
		}
	}
	for k := range g.matched {
		near, ok := accID[k.account]
		if !ok {
			return fmt.Errorf("MATCHED to account %q, which has no node in its partition", k.account)
		}
		b := rt.to('t', k.target)
		n := len(b.b)
		b.join(joinMatched, near, k.target, nil)
		if rt.n += len(b.b) - n; rt.n >= 1<<20 {
			if err := rt.flush(); err != nil {
				return err
			}
		}
	}
	return rt.flush()
}

// rels is the second pass over one partition: it loads the ids of the
// partition's IPs, devices and targets, and writes every relationship
// routed to it with both ends' ids.
func (m *merger) rels(i int, out *inputSet) (err error) {
	idp, jp := idsPath(m.sink.parts[i]), m.joins[i].path
	defer func() {
		if err != nil {
			err = fmt.Errorf("bulk: join %s: %w", jp, err)
		}
	}()
	f, err := os.Open(idp)
	if err != nil {
		return err
	}
	defer f.Close()
	ids := [...]map[string]int64{spillIP: {}, spillDevice: {}, spillTarget: {}}
	d := &spillDec{r: bufio.NewReaderSize(f, 256<<10)}
	for {
		tag, key, id, err := d.nextID()
		if err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("%s: %w", idp, err)
		}
		ids[tag][key] = id
	}
	f.Close()
	_ = os.Remove(idp)

	jf, err := os.Open(jp)
	if err != nil {
		return err
	}
	defer jf.Close()
	d = &spillDec{r: bufio.NewReaderSize(jf, 256<<10)}
	farIDs := [...]map[string]int64{relUsedIP: ids[spillIP], relUsedDevice: ids[spillDevice], relLookedUp: ids[spillTarget], joinMatched: ids[spillTarget]}
	files := [...]int{relUsedIP: inUsedIP, relUsedDevice: inUsedDevice, relLookedUp: inLookedUp, joinMatched: inMatched}
	w := out
	var r joinRec
	for {
		if err := d.nextJoin(&r); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		far, ok := farIDs[r.rel][r.far]
		if !ok {
			return fmt.Errorf("relationship to %q, which has no node", r.far)
		}
		if r.rel == joinMatched {
			w.row(far)
			w.end(r.near)
		} else {
			w.row(r.near)
			w.end(far)
			e := &r.edge
			w.time(e.firstSec, e.firstNsec)
			w.time(e.lastSec, e.lastNsec)
			w.int(e.count)
			if r.rel == relLookedUp {
				w.int(e.hits)
			}
		}
		if err := w.done(files[r.rel]); err != nil {
			return err
		}
	}
	jf.Close()
	_ = os.Remove(jp)
	return nil
}

// writeMarkers writes the batch markers: chunk markers with their
// properties, sub-batch markers with only their id (and, like all, the
// time of the load).
func writeMarkers(out *inputSet, ids *idAlloc, chunks []chunkMarker, subs []string, at time.Time) error {
	sec, nsec := at.Unix(), int32(at.Nanosecond())
	id := ids.take(int64(len(chunks) + len(subs)))
	for _, c := range chunks {
		out.row(id)
		id++
		out.str(c.id)
		out.str(c.file)
		out.int(c.chunk)
		out.int(c.lines)
		out.int(c.events)
		out.time(sec, nsec)
		if err := out.done(inMarker); err != nil {
			return err
		}
	}
	for _, sub := range subs {
		out.row(id)
		id++
		out.str(sub)
		out.str("")
		out.empty()
		out.empty()
		out.empty()
		out.time(sec, nsec)
		if err := out.done(inMarker); err != nil {
			return err
		}
	}
	return nil
}
