package ingest

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
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
	targets  []store.TargetRow
	usedIP   []store.EdgeRow
	usedDev  []store.EdgeRow
	lookedUp []store.EdgeRow
	matched  []store.MatchRow
}

func (b *batch) nodes() int {
	return len(b.accounts) + len(b.ips) + len(b.devices) + len(b.targets)
}

func (b *batch) edges() int {
	return len(b.usedIP) + len(b.usedDev) + len(b.lookedUp) + len(b.matched)
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

// finish turns the maps into sorted rows (sorted so that sub-batches are
// the same on every load of the same input, and so that concurrent
// transactions lock nodes in the same order). Fields the records left
// empty are filled from the IP databases: record fields win, because the
// platform saw the address at login time and an offline database is a
// later, coarser guess.
func (a *aggregator) finish(b *batch, db *ipinfo.DB) error {
	b.events = a.events
	for _, r := range a.accounts {
		b.accounts = append(b.accounts, *r)
	}
	slices.SortFunc(b.accounts, func(x, y store.AccountRow) int { return strings.Compare(x.ID, y.ID) })
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
	slices.SortFunc(b.ips, func(x, y store.IPRow) int { return strings.Compare(x.Addr, y.Addr) })
	for _, r := range a.devices {
		b.devices = append(b.devices, *r)
	}
	slices.SortFunc(b.devices, func(x, y store.DeviceRow) int { return strings.Compare(x.ID, y.ID) })
	for _, r := range a.targets {
		b.targets = append(b.targets, *r)
	}
	slices.SortFunc(b.targets, func(x, y store.TargetRow) int { return strings.Compare(x.Key, y.Key) })
	b.usedIP = edgeRows(a.usedIP)
	b.usedDev = edgeRows(a.usedDev)
	b.lookedUp = edgeRows(a.lookedUp)
	for m := range a.matched {
		b.matched = append(b.matched, m)
	}
	slices.SortFunc(b.matched, func(x, y store.MatchRow) int {
		return cmp.Or(strings.Compare(x.Target, y.Target), strings.Compare(x.Account, y.Account))
	})
	return nil
}

func edgeRows(m map[edgeKey]*edgeAgg) []store.EdgeRow {
	rows := make([]store.EdgeRow, 0, len(m))
	for k, e := range m {
		rows = append(rows, store.EdgeRow{From: k.from, To: k.to, First: e.first, Last: e.last, Count: e.count, Hits: e.hits})
	}
	slices.SortFunc(rows, func(x, y store.EdgeRow) int {
		return cmp.Or(strings.Compare(x.From, y.From), strings.Compare(x.To, y.To))
	})
	return rows
}
