package ingest

// The aggregator as it was before the Go-side speed work (map of pointers
// keyed by strings), kept as the reference that TestAggregatorEqualsReference
// compares the current one with.

import (
	"net/netip"
	"time"

	"github.com/lockstep-dev/lockstep/ingest/ipinfo"
	"github.com/lockstep-dev/lockstep/store"
)

type refEdgeKey struct{ from, to string }

type refEdgeAgg struct {
	first, last time.Time
	count, hits int64
}

func (e *refEdgeAgg) add(t time.Time, hit bool) {
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

// refAggregator folds the events of one chunk into distinct nodes and edges.
// Its size is bounded by the chunk's record count.
type refAggregator struct {
	accounts map[string]*store.AccountRow
	ips      map[netip.Addr]*store.IPRow
	devices  map[string]*store.DeviceRow
	targets  map[string]*store.TargetRow
	usedIP   map[refEdgeKey]*refEdgeAgg
	usedDev  map[refEdgeKey]*refEdgeAgg
	lookedUp map[refEdgeKey]*refEdgeAgg
	matched  map[store.MatchRow]struct{}
	events   int64
}

func newRefAggregator() *refAggregator {
	return &refAggregator{
		accounts: map[string]*store.AccountRow{},
		ips:      map[netip.Addr]*store.IPRow{},
		devices:  map[string]*store.DeviceRow{},
		targets:  map[string]*store.TargetRow{},
		usedIP:   map[refEdgeKey]*refEdgeAgg{},
		usedDev:  map[refEdgeKey]*refEdgeAgg{},
		lookedUp: map[refEdgeKey]*refEdgeAgg{},
		matched:  map[store.MatchRow]struct{}{},
	}
}

func (a *refAggregator) account(id string) *store.AccountRow {
	r := a.accounts[id]
	if r == nil {
		r = &store.AccountRow{ID: id}
		a.accounts[id] = r
	}
	return r
}

func refEdge(m map[refEdgeKey]*refEdgeAgg, k refEdgeKey) *refEdgeAgg {
	e := m[k]
	if e == nil {
		e = &refEdgeAgg{}
		m[k] = e
	}
	return e
}

// add folds one event in. Events come in file order, so for properties a
// later record wins over an earlier one (field by field, empty fields do
// not erase), the same rule the store applies across chunks.
func (a *refAggregator) add(ev *event) {
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
		refEdge(a.usedIP, refEdgeKey{ev.account, ip.Addr}).add(ev.at, false)
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
			refEdge(a.usedDev, refEdgeKey{ev.account, ev.device}).add(ev.at, false)
		}
	case kindLookup:
		t := &ev.target
		if _, ok := a.targets[t.Key]; !ok {
			a.targets[t.Key] = &store.TargetRow{Key: t.Key, Masked: t.Masked, Kind: t.Kind, Region: t.Region, Block: t.Block, Offset: t.Offset}
		}
		refEdge(a.lookedUp, refEdgeKey{ev.account, t.Key}).add(ev.at, ev.matched)
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
func (a *refAggregator) finish(b *batch, db *ipinfo.DB, txRows int) error {
	b.events = a.events
	for _, r := range a.accounts {
		b.accounts = append(b.accounts, *r)
	}
	for addr, r := range a.ips {
		if err := fillIP(r, addr, db); err != nil {
			return err
		}
		b.ips = append(b.ips, *r)
	}
	for _, r := range a.devices {
		b.devices = append(b.devices, *r)
	}
	// Shared IPs (carrier NAT) are the hubs of USED_IP, so its
	// sub-batches split by IP; lookups and devices split by account.
	b.usedIP = refPartition(a.usedIP, nil, txRows, true)
	b.usedDev = refPartition(a.usedDev, nil, txRows, false)
	b.lookedUp = refPartition(a.lookedUp, a.targets, txRows, false)
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
func refPartition(m map[refEdgeKey]*refEdgeAgg, targets map[string]*store.TargetRow, txRows int, byTo bool) [][]store.EdgeRow {
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
