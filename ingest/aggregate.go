package ingest

import (
	"cmp"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/ingest/ipinfo"
	"github.com/lockstep-dev/lockstep/store"
)

// batch is one chunk of input, aggregated: the unit that is checkpointed.
// Its edges are written in sub-batches, each committed with its own marker.
type batch struct {
	id        string // chunk id (recordReader.chainSum)
	file      string
	index     int   // chunk number in the file, from 0
	endLine   int64 // last line of the chunk
	endOffset int64 // bytes of the file up to the end of the chunk
	lines     int64 // records (lines) in the chunk
	events    int64 // valid records
	rejected  int64

	accounts []store.AccountRow
	ips      []store.IPRow
	devices  []store.DeviceRow
	// Edges come in sub-batches, each written in one transaction with
	// its own marker (see partition).
	usedIP   [][]store.EdgeRow
	usedDev  [][]store.EdgeRow
	lookedUp [][]store.EdgeRow
	matched  []store.MatchRow
}

// edgeAgg is one distinct edge of a chunk: its two ends (indexes into the
// aggregator's node slices) and what its events add up to. Times are kept
// as seconds and nanoseconds rather than time.Time so that the slice holds
// no pointers for the garbage collector to scan.
type edgeAgg struct {
	from, to            int32
	firstNsec, lastNsec int32
	firstSec, lastSec   int64
	count, hits         int64
}

func (e *edgeAgg) add(sec int64, nsec int32, hit bool) {
	if e.count == 0 || sec < e.firstSec || sec == e.firstSec && nsec < e.firstNsec {
		e.firstSec, e.firstNsec = sec, nsec
	}
	if e.count == 0 || sec > e.lastSec || sec == e.lastSec && nsec > e.lastNsec {
		e.lastSec, e.lastNsec = sec, nsec
	}
	e.count++
	if hit {
		e.hits++
	}
}

// edgeSet is the distinct edges of one relationship type. Edges are keyed
// by their two node indexes packed in a uint64, which hashes much faster
// than the pair of strings it stands for.
type edgeSet struct {
	idx   slotTable
	edges []edgeAgg
}

func (s *edgeSet) add(from, to int32, at time.Time, hit bool) {
	sl := s.idx.exact(uint64(uint32(from))<<32 | uint64(uint32(to)))
	if sl.v == 0 {
		sl.h = uint64(uint32(from))<<32 | uint64(uint32(to))
		s.edges = append(s.edges, edgeAgg{from: from, to: to})
		sl.v = int32(len(s.edges))
		s.idx.n++
	}
	s.edges[sl.v-1].add(at.Unix(), int32(at.Nanosecond()), hit)
}

// accountSet gives each account of a chunk a dense index.
type accountSet struct {
	idx  map[string]int32
	rows []store.AccountRow
}

func (s *accountSet) get(id string) int32 {
	i, ok := s.idx[id]
	if !ok {
		id = strings.Clone(id)
		i = int32(len(s.rows))
		s.idx[id] = i
		s.rows = append(s.rows, store.AccountRow{ID: id})
	}
	return i
}

// aggregator folds the events of one chunk into distinct nodes and edges.
// Its size is bounded by the chunk's record count. Each node gets a dense
// index on first sight; edges refer to nodes by index. Events carry
// strings that point into their block's text (see parser), so every
// string the aggregator keeps is cloned once, when its node is first seen,
// and the blocks can be freed as soon as they are folded in.
//
// It has two halves that share nothing, so that addAll folds a block's
// lookups and its other records on two cores at once: accounts and logins
// (accs, ips, devs, USED_IP, USED_DEVICE), and lookups (their own account
// index lkAccs, targets, LOOKED_UP, MATCHED). finish adds the accounts that
// only lookups named to accs; those are bare references without
// properties, so which half saw them first does not matter.
type aggregator struct {
	accs   accountSet
	ipIdx  map[netip.Addr]int32
	ips    []store.IPRow
	ipAddr []netip.Addr
	devIdx map[string]int32
	devs   []store.DeviceRow
	// strs interns the short property values that repeat across nodes
	// (countries, IP kinds, AS names, device OS and client strings).
	strs            map[string]string
	usedIP, usedDev edgeSet

	lkAccs   accountSet
	tgtIdx   slotTable
	tgts     []store.TargetRow
	lookedUp edgeSet
	matched  map[uint64]struct{} // target index << 32 | lkAccs index

	events int64
}

// newAggregator returns an empty aggregator. prev, if not nil, is the
// aggregator of the previous chunk: its maps are reused (cleared, their
// buckets kept), since chunks are of equal size and a map grown from empty
// to half a million entries rehashes many times.
func newAggregator(prev *aggregator) *aggregator {
	if prev == nil {
		return &aggregator{
			accs:    accountSet{idx: map[string]int32{}},
			lkAccs:  accountSet{idx: map[string]int32{}},
			ipIdx:   map[netip.Addr]int32{},
			devIdx:  map[string]int32{},
			matched: map[uint64]struct{}{},
			strs:    map[string]string{},
		}
	}
	a := &aggregator{
		accs:   accountSet{idx: prev.accs.idx, rows: make([]store.AccountRow, 0, len(prev.accs.rows))},
		lkAccs: accountSet{idx: prev.lkAccs.idx, rows: make([]store.AccountRow, 0, len(prev.lkAccs.rows))},
		ipIdx:  prev.ipIdx, devIdx: prev.devIdx, tgtIdx: prev.tgtIdx,
		usedIP: edgeSet{idx: prev.usedIP.idx}, usedDev: edgeSet{idx: prev.usedDev.idx}, lookedUp: edgeSet{idx: prev.lookedUp.idx},
		matched: prev.matched, strs: prev.strs,
		// The row slices went to the previous batch (the writer may still
		// hold them), so they are new; sized like the last chunk's.
		ips:    make([]store.IPRow, 0, len(prev.ips)),
		ipAddr: make([]netip.Addr, 0, len(prev.ipAddr)),
		devs:   make([]store.DeviceRow, 0, len(prev.devs)),
		tgts:   make([]store.TargetRow, 0, len(prev.tgts)),
	}
	a.usedIP.edges = make([]edgeAgg, 0, len(prev.usedIP.edges))
	a.usedDev.edges = make([]edgeAgg, 0, len(prev.usedDev.edges))
	a.lookedUp.edges = make([]edgeAgg, 0, len(prev.lookedUp.edges))
	clear(a.accs.idx)
	clear(a.lkAccs.idx)
	clear(a.ipIdx)
	clear(a.devIdx)
	a.tgtIdx.reset()
	a.usedIP.idx.reset()
	a.usedDev.idx.reset()
	a.lookedUp.idx.reset()
	clear(a.matched)
	if len(a.strs) > 1<<16 {
		clear(a.strs) // bounded: free text such as AS names could be many
	}
	return a
}

// intern returns a copy of s that does not point into a block, shared by
// every node with the same value.
func (a *aggregator) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := a.strs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	a.strs[v] = v
	return v
}

// Shared by every account row: the store only reads them.
var verifiedTrue, verifiedFalse = true, false

// addAll folds a block of events in, in order: the lookups on another
// goroutine, the rest on this one (see aggregator).
func (a *aggregator) addAll(evs []event) {
	a.events += int64(len(evs))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range evs {
			if evs[i].kind == kindLookup {
				a.addLookup(&evs[i])
			}
		}
	}()
	for i := range evs {
		if evs[i].kind != kindLookup {
			a.addOther(&evs[i])
		}
	}
	<-done
}

// addOther folds in an account or login record. Events come in file order,
// so for properties a later record wins over an earlier one (field by
// field, empty fields do not erase), the same rule the store applies
// across chunks.
func (a *aggregator) addOther(ev *event) {
	ai := a.accs.get(ev.account)
	switch ev.kind {
	case kindAccount:
		acc := &a.accs.rows[ai]
		if ev.handle != "" {
			acc.Handle = strings.Clone(ev.handle)
		}
		if !ev.createdAt.IsZero() {
			acc.CreatedAt = ev.createdAt
		}
		if ev.country != "" {
			acc.Country = a.intern(ev.country)
		}
		if ev.verified {
			acc.Verified = &verifiedTrue
		} else {
			acc.Verified = &verifiedFalse
		}
	case kindLogin:
		ii, ok := a.ipIdx[ev.ip]
		if !ok {
			ii = int32(len(a.ips))
			a.ipIdx[ev.ip] = ii
			a.ips = append(a.ips, store.IPRow{Addr: ev.ip.String()})
			a.ipAddr = append(a.ipAddr, ev.ip)
		}
		ip := &a.ips[ii]
		if ev.asn != 0 {
			ip.ASN = ev.asn
		}
		if ev.asOrg != "" {
			ip.ASOrg = a.intern(ev.asOrg)
		}
		if ev.ipCountry != "" {
			ip.Country = a.intern(ev.ipCountry)
		}
		if ev.ipKind != "" {
			ip.Kind = a.intern(ev.ipKind)
		}
		a.usedIP.add(ai, ii, ev.at, false)
		if ev.device != "" {
			di, ok := a.devIdx[ev.device]
			if !ok {
				id := strings.Clone(ev.device)
				di = int32(len(a.devs))
				a.devIdx[id] = di
				a.devs = append(a.devs, store.DeviceRow{ID: id})
			}
			d := &a.devs[di]
			if ev.deviceOS != "" {
				d.OS = a.intern(ev.deviceOS)
			}
			if ev.deviceClnt != "" {
				d.Client = a.intern(ev.deviceClnt)
			}
			a.usedDev.add(ai, di, ev.at, false)
		}
	}
}

// addLookup folds in a lookup. Target properties follow from the key, so
// order does not matter here.
func (a *aggregator) addLookup(ev *event) {
	ai := a.lkAccs.get(ev.account)
	t := &ev.target
	h := hexPrefix(t.Key)
	sl := a.tgtIdx.target(h, t.Key, a.tgts)
	if sl.v == 0 {
		// No field of a Target points into the raw input (package
		// target), so none needs a copy.
		a.tgts = append(a.tgts, store.TargetRow{Key: t.Key, Masked: t.Masked, Kind: t.Kind, Region: t.Region, Block: t.Block, Offset: t.Offset, Invalid: t.Invalid})
		sl.h, sl.v = h, int32(len(a.tgts))
		a.tgtIdx.n++
	}
	ti := sl.v - 1
	a.lookedUp.add(ai, ti, ev.at, ev.matched)
	if ev.matched {
		mi := a.lkAccs.get(ev.matchID)
		a.matched[uint64(uint32(ti))<<32|uint64(uint32(mi))] = struct{}{}
	}
}

// fillIP fills the fields of r that its records left empty from the IP
// databases, if any (db nil: none).
func fillIP(r *store.IPRow, addr netip.Addr, db *ipinfo.DB) error {
	if db == nil || (r.ASN != 0 && r.ASOrg != "" && r.Country != "" && r.Kind != "") {
		return nil
	}
	info, err := db.Lookup(addr)
	if err != nil {
		return fmt.Errorf("--ip-db: %w", err)
	}
	r.ASN = cmp.Or(r.ASN, info.ASN)
	r.ASOrg = cmp.Or(r.ASOrg, info.ASOrg)
	r.Country = cmp.Or(r.Country, info.Country)
	r.Kind = cmp.Or(r.Kind, info.Kind)
	return nil
}

// finish turns the nodes and edges into rows and the edges into
// sub-batches. Fields the records left empty are filled from the IP
// databases: record fields win, because the platform saw the address at
// login time and an offline database is a later, coarser guess.
func (a *aggregator) finish(b *batch, db *ipinfo.DB, txRows int) error {
	b.events = a.events
	for _, r := range a.lkAccs.rows {
		if _, ok := a.accs.idx[r.ID]; !ok {
			a.accs.rows = append(a.accs.rows, r)
		}
	}
	b.accounts = a.accs.rows
	for i := range a.ips {
		if err := fillIP(&a.ips[i], a.ipAddr[i], db); err != nil {
			return err
		}
	}
	b.ips = a.ips
	b.devices = a.devs
	// Shared IPs (carrier NAT) are the hubs of USED_IP, so its
	// sub-batches split by IP; lookups and devices split by account.
	accID := func(i int32) string { return a.accs.rows[i].ID }
	lkAccID := func(i int32) string { return a.lkAccs.rows[i].ID }
	b.usedIP = partition(a.usedIP.edges, accID, func(i int32) string { return a.ips[i].Addr }, nil, txRows, true)
	b.usedDev = partition(a.usedDev.edges, accID, func(i int32) string { return a.devs[i].ID }, nil, txRows, false)
	b.lookedUp = partition(a.lookedUp.edges, lkAccID, func(i int32) string { return a.tgts[i].Key }, a.tgts, txRows, false)
	b.matched = make([]store.MatchRow, 0, len(a.matched))
	for k := range a.matched {
		b.matched = append(b.matched, store.MatchRow{Target: a.tgts[k>>32].Key, Account: a.lkAccs.rows[uint32(k)].ID})
	}
	return nil
}

// partition splits a chunk's edges into about len/txRows sub-batches by a
// fixed hash of one end (the account, or with byTo the other end), so that
// the same chunk always gives the same sub-batches (their markers name them
// by number) whatever the order of its edges, and so that concurrent
// sub-batches rarely wait on each other: merging a relationship locks both
// of its nodes, and sub-batches split by the hub side never share a hub.
// targets, if not nil, gives each edge its Target's properties (LOOKED_UP
// merges its targets itself).
func partition(edges []edgeAgg, fromID, toID func(int32) string, targets []store.TargetRow, txRows int, byTo bool) [][]store.EdgeRow {
	if len(edges) == 0 {
		return nil
	}
	n := (len(edges) + txRows - 1) / txRows
	// Two passes, counting first, so that each sub-batch is allocated
	// once at its final size.
	part := make([]uint32, len(edges))
	sizes := make([]int, n)
	for i := range edges {
		side := fromID(edges[i].from)
		if byTo {
			side = toID(edges[i].to)
		}
		h := uint32(fnv1a(side) % uint64(n))
		part[i] = h
		sizes[h]++
	}
	parts := make([][]store.EdgeRow, n)
	for j := range parts {
		parts[j] = make([]store.EdgeRow, 0, sizes[j])
	}
	for i := range edges {
		e := &edges[i]
		row := store.EdgeRow{
			From: fromID(e.from), To: toID(e.to),
			First: time.Unix(e.firstSec, int64(e.firstNsec)).UTC(), Last: time.Unix(e.lastSec, int64(e.lastNsec)).UTC(),
			Count: e.count, Hits: e.hits,
		}
		if targets != nil {
			row.Target = &targets[e.to]
		}
		parts[part[i]] = append(parts[part[i]], row)
	}
	return parts
}

// fnv1a is FNV-1a, 64 bits: stable across runs and machines.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
