package ingest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// csvFile is one kind of importer input.
type csvFile struct {
	name   string // label or relationship type
	rel    bool
	file   string // file name stem
	header string
}

var csvFiles = []csvFile{
	{name: "Account", file: "account", header: "id:ID(Account),handle,createdAt:datetime,country,verified:boolean,status"},
	{name: "IP", file: "ip", header: "addr:ID(IP),asn:long,asnOrg,country,kind"},
	{name: "Device", file: "device", header: "id:ID(Device),os,client"},
	{name: "Target", file: "target", header: "key:ID(Target),masked,kind,region,block,offset:long"},
	{name: "IngestBatch", file: "marker", header: "id:ID(IngestBatch),file,chunk:long,lines:long,events:long,at:datetime"},
	{name: store.RelUsedIP, rel: true, file: "used_ip", header: ":START_ID(Account),:END_ID(IP),first:datetime,last:datetime,count:long"},
	{name: store.RelUsedDevice, rel: true, file: "used_device", header: ":START_ID(Account),:END_ID(Device),first:datetime,last:datetime,count:long"},
	{name: store.RelLookedUp, rel: true, file: "looked_up", header: ":START_ID(Account),:END_ID(Target),first:datetime,last:datetime,count:long,hits:long"},
	{name: "MATCHED", rel: true, file: "matched", header: ":START_ID(Target),:END_ID(Account)"},
}

// Indexes into csvFiles.
const (
	csvAccount = iota
	csvIP
	csvDevice
	csvTarget
	csvMarker
	csvUsedIP
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

// mergePartition reads one spill file and writes its nodes and edges,
// merged as the transactional path merges them, to out: node properties
// take the last non-empty value in input order, Account gets status
// "active", an IP without a kind gets "unknown", a Target keeps its first
// properties (all follow from the key), edges sum count and hits and
// widen first and last, MATCHED is one relationship per pair.
func mergePartition(path string, out *csvSet) (err error) {
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

	w := out
	for id, a := range accs {
		w.row()
		w.str(id, false)
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
		w.row()
		w.str(addr, false)
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
	for id, n := range devs {
		w.row()
		w.str(id, false)
		w.str(n.os, true)
		w.str(n.client, true)
		if err := w.end(csvDevice); err != nil {
			return err
		}
	}
	for key, t := range tgts {
		w.row()
		w.str(key, false)
		w.str(t.Masked, true)
		w.str(t.Kind, true)
		w.str(t.Region, true)
		w.str(t.Block, true)
		w.int(int64(t.Offset))
		if err := w.end(csvTarget); err != nil {
			return err
		}
	}
	for k, e := range edges {
		w.row()
		w.str(k.from, false)
		w.str(k.to, true)
		w.time(e.firstSec, e.firstNsec)
		w.time(e.lastSec, e.lastNsec)
		w.int(e.count)
		file := csvUsedIP
		switch k.rel {
		case relUsedDevice:
			file = csvUsedDevice
		case relLookedUp:
			file = csvLookedUp
			w.int(e.hits)
		}
		if err := w.end(file); err != nil {
			return err
		}
	}
	for k := range matched {
		w.row()
		w.str(k.target, false)
		w.str(k.account, true)
		if err := w.end(csvMatched); err != nil {
			return err
		}
	}
	return nil
}

// writeMarkers writes the batch markers: chunk markers with their
// properties, sub-batch markers with only their id (and, like all, the
// time of the load).
func writeMarkers(out *csvSet, chunks []chunkMarker, subs []string, at time.Time) error {
	sec, nsec := at.Unix(), int32(at.Nanosecond())
	for _, c := range chunks {
		out.row()
		out.str(c.id, false)
		out.str(c.file, true)
		out.int(c.chunk)
		out.int(c.lines)
		out.int(c.events)
		out.time(sec, nsec)
		if err := out.end(csvMarker); err != nil {
			return err
		}
	}
	for _, id := range subs {
		out.row()
		out.str(id, false)
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
