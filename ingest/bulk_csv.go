package ingest

import (
	"bufio"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// The importer's input: CSV files in the header syntax of `neo4j-admin
// database import` (docs: "Import: header format"). Each label and
// relationship type has a header file and one data file per merge worker.
// Values are typed in the header (`:datetime`, `:long`, `:boolean`) so
// that the store holds what the transactional path stores: DateTime in
// UTC, 64-bit integers, booleans. An empty unquoted field is no property
// (the merge rule never stores an empty string), strings are quoted only
// when they hold the delimiter or a quote (ingest refuses control
// characters, so no field spans lines).
//
// Node ids are ours (the importer runs with --id-type=actual): the merge
// numbers the nodes 0..N-1 and writes the number in the unnamed :ID column
// (not stored as a property) and the key as an ordinary string property,
// and relationship rows carry the numbers of both ends. The importer then
// needs no ID mapper (a sorted array of every key, searched once per
// relationship end: a third of its CPU with string ids).

// csvFile is one kind of importer input.
type csvFile struct {
	name   string // label or relationship type
	rel    bool
	file   string // file name stem
	header string
}

var csvFiles = []csvFile{
	{name: "Account", file: "account", header: ":ID,id,handle,createdAt:datetime,country,verified:boolean,status"},
	{name: "IP", file: "ip", header: ":ID,addr,asn:long,asnOrg,country,kind"},
	{name: "Device", file: "device", header: ":ID,id,os,client"},
	{name: "Target", file: "target", header: ":ID,key,masked,kind,region,block,offset:long"},
	{name: "IngestBatch", file: "marker", header: ":ID,id,file,chunk:long,lines:long,events:long,at:datetime"},
	{name: store.RelUsedIP, rel: true, file: "used_ip", header: ":START_ID,:END_ID,first:datetime,last:datetime,count:long"},
	{name: store.RelUsedDevice, rel: true, file: "used_device", header: ":START_ID,:END_ID,first:datetime,last:datetime,count:long"},
	{name: store.RelLookedUp, rel: true, file: "looked_up", header: ":START_ID,:END_ID,first:datetime,last:datetime,count:long,hits:long"},
	{name: "MATCHED", rel: true, file: "matched", header: ":START_ID,:END_ID"},
}

// Indexes into csvFiles.
const (
	csvAccount = iota
	csvIP
	csvDevice
	csvTarget
	csvMarker
	numCSVNodes // the node inputs come first
	csvUsedIP   = iota - 1
	csvUsedDevice
	csvLookedUp
	csvMatched
	numCSV
)

// csvSet is one worker's data files, one per csvFiles entry.
type csvSet struct {
	f    [numCSV]*os.File
	w    [numCSV]*bufio.Writer
	rows [numCSV]int64
	line []byte
}

func csvData(dir, stem string, worker int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%d.csv", stem, worker))
}

func csvHeader(dir, stem string) string { return filepath.Join(dir, stem+"-header.csv") }

func openCSVSet(dir string, worker int) (*csvSet, error) {
	s := &csvSet{}
	for i, c := range csvFiles {
		f, err := os.OpenFile(csvData(dir, c.file, worker), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("bulk: %w", err)
		}
		s.f[i], s.w[i] = f, bufio.NewWriterSize(f, 256<<10)
	}
	return s, nil
}

func (s *csvSet) close() error {
	var first error
	for i, f := range s.f {
		if f == nil {
			continue
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

// row starts a line.
func (s *csvSet) row() { s.line = s.line[:0] }

// str appends a string field ("" is no property).
func (s *csvSet) str(v string, comma bool) {
	if comma {
		s.line = append(s.line, ',')
	}
	s.line = appendCSV(s.line, v)
}

// id starts a row with a node id.
func (s *csvSet) id(v int64) {
	s.line = strconv.AppendInt(s.line, v, 10)
}

func (s *csvSet) int(v int64) {
	s.line = append(s.line, ',')
	s.line = strconv.AppendInt(s.line, v, 10)
}

func (s *csvSet) time(sec int64, nsec int32) {
	s.line = append(s.line, ',')
	s.line = appendDateTime(s.line, sec, nsec)
}

func (s *csvSet) empty() { s.line = append(s.line, ',') }

func (s *csvSet) end(file int) error {
	s.line = append(s.line, '\n')
	s.rows[file]++
	_, err := s.w[file].Write(s.line)
	return err
}

// appendCSV appends v as a CSV field, quoted (quotes doubled) only if it
// holds a comma or a quote.
func appendCSV(b []byte, v string) []byte {
	if !strings.ContainsAny(v, ",\"") {
		return append(b, v...)
	}
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, v[i])
	}
	return append(b, '"')
}

// appendDateTime appends an RFC 3339 UTC time with as many fractional
// digits as needed ("2024-03-01T10:00:00.5Z"): a DateTime with offset Z,
// what the transactional path stores.
func appendDateTime(b []byte, sec int64, nsec int32) []byte {
	return time.Unix(sec, int64(nsec)).UTC().AppendFormat(b, time.RFC3339Nano)
}

// writeHeaders writes the header file of every importer input.
func writeHeaders(dir string) error {
	for _, c := range csvFiles {
		if err := os.WriteFile(csvHeader(dir, c.file), []byte(c.header+"\n"), 0o600); err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
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
		p := r.m.joins[i]
		p.mu.Lock()
		_, err := p.w.Write(b.b)
		p.n += int64(len(b.b))
		p.mu.Unlock()
		if err != nil {
			return fmt.Errorf("bulk: join file %s: %w", p.path, err)
		}
		b.b = b.b[:0]
	}
	return nil
}

// nodes is the first pass over one spill partition: it aggregates the
// partition in memory as the transactional path merges (node properties
// take the last non-empty value in input order, Account gets status
// "active", an IP without a kind gets "unknown", a Target keeps its first
// properties (all follow from the key), edges sum count and hits and widen
// first and last, MATCHED is one relationship per pair), numbers its
// nodes and writes them to out, writes the ids of its IPs, devices and
// targets to its id file, and routes each edge, with its account end's id,
// to the join file of its other end.
func (m *merger) nodes(part *spillPart, out *csvSet) (err error) {
	path := part.path
	defer func() {
		if err != nil {
			err = fmt.Errorf("bulk: merge %s: %w", path, err)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	d := &spillDec{r: bufio.NewReaderSize(f, 256<<10)}
	accs := map[string]*accNode{}
	ips := map[string]*ipNode{}
	devs := map[string]*devNode{}
	tgts := map[string]*store.TargetRow{}
	edges := map[edgeKey]*edgeAgg{}
	matched := map[matchKey]struct{}{}
	var r spillRec
	for {
		if err := d.next(&r); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		switch r.tag {
		case spillAccount:
			a := accs[r.account.ID]
			if a == nil {
				a = &accNode{}
				accs[r.account.ID] = a
			}
			if r.account.Handle != "" {
				a.handle = r.account.Handle
			}
			if !r.account.CreatedAt.IsZero() {
				a.created, a.createdSec, a.createdNsec = true, r.account.CreatedAt.Unix(), int32(r.account.CreatedAt.Nanosecond())
			}
			if r.account.Country != "" {
				a.country = r.account.Country
			}
			if v := r.account.Verified; v != nil {
				a.verified = 1
				if *v {
					a.verified = 2
				}
			}
		case spillIP:
			n := ips[r.ip.Addr]
			if n == nil {
				n = &ipNode{}
				ips[r.ip.Addr] = n
			}
			if r.ip.ASN != 0 {
				n.asn = r.ip.ASN
			}
			if r.ip.ASOrg != "" {
				n.org = r.ip.ASOrg
			}
			if r.ip.Country != "" {
				n.country = r.ip.Country
			}
			if r.ip.Kind != "" {
				n.kind = r.ip.Kind
			}
		case spillDevice:
			n := devs[r.device.ID]
			if n == nil {
				n = &devNode{}
				devs[r.device.ID] = n
			}
			if r.device.OS != "" {
				n.os = r.device.OS
			}
			if r.device.Client != "" {
				n.client = r.device.Client
			}
		case spillTarget:
			if _, ok := tgts[r.target.Key]; !ok {
				t := r.target
				tgts[t.Key] = &t
			}
		case spillEdge:
			k := edgeKey{r.rel, r.from, r.to}
			e := edges[k]
			if e == nil {
				e = new(edgeAgg)
				*e = r.edge
				edges[k] = e
				continue
			}
			if r.edge.firstSec < e.firstSec || r.edge.firstSec == e.firstSec && r.edge.firstNsec < e.firstNsec {
				e.firstSec, e.firstNsec = r.edge.firstSec, r.edge.firstNsec
			}
			if r.edge.lastSec > e.lastSec || r.edge.lastSec == e.lastSec && r.edge.lastNsec > e.lastNsec {
				e.lastSec, e.lastNsec = r.edge.lastSec, r.edge.lastNsec
			}
			e.count += r.edge.count
			e.hits += r.edge.hits
		case spillMatched:
			matched[matchKey{r.from, r.to}] = struct{}{}
		}
	}
	f.Close()
	_ = os.Remove(path) // frees its disk as soon as it is read

	idf, err := os.OpenFile(idsPath(part), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer idf.Close()
	idw := bufio.NewWriterSize(idf, 256<<10)
	var enc spillEnc
	putID := func(tag byte, key string, id int64) error {
		enc.nodeID(tag, key, id)
		if len(enc.b) >= 64<<10 {
			_, err := idw.Write(enc.b)
			enc.b = enc.b[:0]
			return err
		}
		return nil
	}

	id := m.ids.take(int64(len(accs) + len(ips) + len(devs) + len(tgts)))
	w := out
	accID := make(map[string]int64, len(accs))
	for key, a := range accs {
		accID[key] = id
		w.row()
		w.id(id)
		id++
		w.str(key, true)
		w.str(a.handle, true)
		if a.created {
			w.time(a.createdSec, a.createdNsec)
		} else {
			w.empty()
		}
		w.str(a.country, true)
		switch a.verified {
		case 1:
			w.str("false", true)
		case 2:
			w.str("true", true)
		default:
			w.empty()
		}
		w.str("active", true)
		if err := w.end(csvAccount); err != nil {
			return err
		}
	}
	for addr, n := range ips {
		if err := putID(spillIP, addr, id); err != nil {
			return err
		}
		w.row()
		w.id(id)
		id++
		w.str(addr, true)
		if n.asn != 0 {
			w.int(int64(n.asn))
		} else {
			w.empty()
		}
		w.str(n.org, true)
		w.str(n.country, true)
		kind := n.kind
		if kind == "" {
			kind = "unknown"
		}
		w.str(kind, true)
		if err := w.end(csvIP); err != nil {
			return err
		}
	}
	for key, n := range devs {
		if err := putID(spillDevice, key, id); err != nil {
			return err
		}
		w.row()
		w.id(id)
		id++
		w.str(key, true)
		w.str(n.os, true)
		w.str(n.client, true)
		if err := w.end(csvDevice); err != nil {
			return err
		}
	}
	for key, t := range tgts {
		if err := putID(spillTarget, key, id); err != nil {
			return err
		}
		w.row()
		w.id(id)
		id++
		w.str(key, true)
		w.str(t.Masked, true)
		w.str(t.Kind, true)
		w.str(t.Region, true)
		w.str(t.Block, true)
		w.int(int64(t.Offset))
		if err := w.end(csvTarget); err != nil {
			return err
		}
	}
	if _, err := idw.Write(enc.b); err != nil {
		return err
	}
	if err := idw.Flush(); err != nil {
		return err
	}
	if err := idf.Close(); err != nil {
		return err
	}

	rt := router{m: m, bufs: map[int]*spillEnc{}}
	farOf := [...]byte{relUsedIP: 'i', relUsedDevice: 'd', relLookedUp: 't'}
	for k, e := range edges {
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
	for k := range matched {
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
func (m *merger) rels(i int, out *csvSet) (err error) {
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
	files := [...]int{relUsedIP: csvUsedIP, relUsedDevice: csvUsedDevice, relLookedUp: csvLookedUp, joinMatched: csvMatched}
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
		w.row()
		if r.rel == joinMatched {
			w.id(far)
			w.int(r.near)
		} else {
			w.id(r.near)
			w.int(far)
			e := &r.edge
			w.time(e.firstSec, e.firstNsec)
			w.time(e.lastSec, e.lastNsec)
			w.int(e.count)
			if r.rel == relLookedUp {
				w.int(e.hits)
			}
		}
		if err := w.end(files[r.rel]); err != nil {
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
func writeMarkers(out *csvSet, ids *idAlloc, chunks []chunkMarker, subs []string, at time.Time) error {
	sec, nsec := at.Unix(), int32(at.Nanosecond())
	id := ids.take(int64(len(chunks) + len(subs)))
	for _, c := range chunks {
		out.row()
		out.id(id)
		id++
		out.str(c.id, true)
		out.str(c.file, true)
		out.int(c.chunk)
		out.int(c.lines)
		out.int(c.events)
		out.time(sec, nsec)
		if err := out.end(csvMarker); err != nil {
			return err
		}
	}
	for _, sub := range subs {
		out.row()
		out.id(id)
		id++
		out.str(sub, true)
		out.str("", true)
		out.empty()
		out.empty()
		out.empty()
		out.time(sec, nsec)
		if err := out.end(csvMarker); err != nil {
			return err
		}
	}
	return nil
}
