package ingest

import (
	"fmt"
	"net/netip"
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
	targets  []store.TargetRow
	// Edges come in sub-batches, each written in one transaction with
	// its own marker (see partition).
	usedIP   [][]store.EdgeRow
	usedDev  [][]store.EdgeRow
	lookedUp [][]store.EdgeRow
	matched  []store.MatchRow
}

type edgeKey struct{ from, to string }

type edgeAgg struct {
	first, last time.Time
	count, hits int64
}

func (e *edgeAgg) add(t time.Time, hit bool) {
	if e.count == 0 || t.Before(e.first) {
		e.first = t
	}
	if e.count == 0 || t.After(e.last) {
		e.last = t
	}
	e.count++
	if hit {
		e.hits++
	}
}

// aggregator folds the events of one chunk into distinct nodes and edges.
// Its size is bounded by the chunk's record count.
type aggregator struct {
	accounts map[string]*store.AccountRow
	ips      map[netip.Addr]*store.IPRow
	devices  map[string]*store.DeviceRow
	targets  map[string]*store.TargetRow
	usedIP   map[edgeKey]*edgeAgg
	usedDev  map[edgeKey]*edgeAgg
	lookedUp map[edgeKey]*edgeAgg
	matched  map[store.MatchRow]struct{}
	events   int64
}

func newAggregator() *aggregator {
	return &aggregator{
		accounts: map[string]*store.AccountRow{},
		ips:      map[netip.Addr]*store.IPRow{},
		devices:  map[string]*store.DeviceRow{},
		targets:  map[string]*store.TargetRow{},
		usedIP:   map[edgeKey]*edgeAgg{},
		usedDev:  map[edgeKey]*edgeAgg{},
		lookedUp: map[edgeKey]*edgeAgg{},
		matched:  map[store.MatchRow]struct{}{},
	}
}

func (a *aggregator) account(id string) *store.AccountRow {
	r := a.accounts[id]
	if r == nil {
		r = &store.AccountRow{ID: id}
		a.accounts[id] = r
	}
	return r
}

func edge(m map[edgeKey]*edgeAgg, k edgeKey) *edgeAgg {
	e := m[k]
	if e == nil {
		e = &edgeAgg{}
		m[k] = e
	}
	return e
}

// add folds one event in. Events come in file order, so for properties a
// later record wins over an earlier one (field by field, empty fields do
// not erase), the same rule the store applies across chunks.
func (a *aggregator) add(ev *event) {
	a.events++
	acc := a.account(ev.account)
	switch ev.kind {
	case kindAccount:
		if ev.handle != "" {
			acc.Handle = ev.handle
		}
		if !ev.createdAt.IsZero() {
			acc.CreatedAt = ev.createdAt
		}
		if ev.country != "" {
			acc.Country = ev.country
		}
		v := ev.verified
		acc.Verified = &v
	case kindLogin:
		ip := a.ips[ev.ip]
		if ip == nil {
			ip = &store.IPRow{Addr: ev.ip.String()}
			a.ips[ev.ip] = ip
		}
		if ev.asn != 0 {
			ip.ASN = ev.asn
		}
		if ev.asOrg != "" {
			ip.ASOrg = ev.asOrg
		}
		if ev.ipCountry != "" {
			ip.Country = ev.ipCountry
		}
		if ev.ipKind != "" {
			ip.Kind = ev.ipKind
		}
		edge(a.usedIP, edgeKey{ev.account, ip.Addr}).add(ev.at, false)
		if ev.device != "" {
			d := a.devices[ev.device]
			if d == nil {
				d = &store.DeviceRow{ID: ev.device}
				a.devices[ev.device] = d
			}
			if ev.deviceOS != "" {
				d.OS = ev.deviceOS
			}
			if ev.deviceClnt != "" {
				d.Client = ev.deviceClnt
			}
			edge(a.usedDev, edgeKey{ev.account, ev.device}).add(ev.at, false)
		}
	case kindLookup:
		t := &ev.target
		if _, ok := a.targets[t.Key]; !ok {
			a.targets[t.Key] = &store.TargetRow{Key: t.Key, Masked: t.Masked, Kind: t.Kind, Region: t.Region, Block: t.Block, Offset: t.Offset}
		}
		edge(a.lookedUp, edgeKey{ev.account, t.Key}).add(ev.at, ev.matched)
		if ev.matched {
			a.account(ev.matchID)
			a.matched[store.MatchRow{Target: t.Key, Account: ev.matchID}] = struct{}{}
		}
	}
}

// finish turns the maps into rows and the edges into sub-batches. Fields
// the records left empty are filled from the IP databases: record fields
// win, because the platform saw the address at login time and an offline
// database is a later, coarser guess.
func (a *aggregator) finish(b *batch, db *ipinfo.DB, txRows int) error {
	b.events = a.events
	for _, r := range a.accounts {
		b.accounts = append(b.accounts, *r)
	}
	for addr, r := range a.ips {
		if db != nil && (r.ASN == 0 || r.ASOrg == "" || r.Country == "" || r.Kind == "") {
			info, err := db.Lookup(addr)
			if err != nil {
				return fmt.Errorf("--ip-db: %w", err)
			}
			if r.ASN == 0 {
				r.ASN = info.ASN
			}
			if r.ASOrg == "" {
				r.ASOrg = info.ASOrg
			}
			if r.Country == "" {
				r.Country = info.Country
			}
			if r.Kind == "" {
				r.Kind = info.Kind
			}
		}
		b.ips = append(b.ips, *r)
	}
	for _, r := range a.devices {
		b.devices = append(b.devices, *r)
	}
	// Shared IPs (carrier NAT) are the hubs of USED_IP, so its
	// sub-batches split by IP; lookups and devices split by account.
	b.usedIP = partition(a.usedIP, nil, txRows, true)
	b.usedDev = partition(a.usedDev, nil, txRows, false)
	b.lookedUp = partition(a.lookedUp, a.targets, txRows, false)
	for m := range a.matched {
		b.matched = append(b.matched, m)
	}
	return nil
}

// partition splits a chunk's edges into about len/txRows sub-batches by a
// fixed hash of one end (the account, or with byTo the other end), so that
// the same chunk always gives the same sub-batches (their markers name them
// by number) whatever the map order and without sorting, and so that
// concurrent sub-batches rarely wait on each other: merging a relationship
// locks both of its nodes, and sub-batches split by the hub side never share
// a hub. targets, if not nil, gives each edge its Target's properties
// (LOOKED_UP merges its targets itself).
func partition(m map[edgeKey]*edgeAgg, targets map[string]*store.TargetRow, txRows int, byTo bool) [][]store.EdgeRow {
	if len(m) == 0 {
		return nil
	}
	n := (len(m) + txRows - 1) / txRows
	parts := make([][]store.EdgeRow, n)
	for k, e := range m {
		side := k.from
		if byTo {
			side = k.to
		}
		h := fnv1a(side) % uint64(n)
		row := store.EdgeRow{From: k.from, To: k.to, First: e.first, Last: e.last, Count: e.count, Hits: e.hits}
		if targets != nil {
			row.Target = targets[k.to]
		}
		parts[h] = append(parts[h], row)
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
