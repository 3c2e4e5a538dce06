package store

import (
	"context"
	"fmt"
)

// Account, IP, device and target reads for the API. The batched forms take
// many ids and return a map keyed by id, for dataloaders.

// MaxUsagePage bounds the lists of an account's or resource's relationships.
const MaxUsagePage = 100

// The projections below are what the API reads of each node: decode
// fills the model's field of the same name from each key, so a new field
// is the model's field, the schema's and one key here.
const accountProjection = `a {.id, .handle, .createdAt, .country, .verified, .status, .allowlisted,
	allowlist: CASE WHEN a.allowlisted THEN {by: a.allowlistedBy, at: a.allowlistedAt, reason: a.allowlistReason} END,
	lastSeenAt: COLLECT { MATCH (a)-[u:USED_IP|USED_DEVICE]->() RETURN u.last ORDER BY u.last DESC LIMIT 1 }[0]}`

const ipProjection = `ip {.addr, .asn, .asnOrg, .country, .kind}`

const deviceProjection = `d {.id, .os, .client}`

// The projection names only safe properties: block and offset together
// are the raw number, so they never leave the store.
const targetProjection = `t {.key, .masked, .kind, .region, invalid: coalesce(t.invalid, false), lookerCount: COUNT { (t)<-[:LOOKED_UP]-() }}`

// keyed is a record of two columns, key and value.
type keyed[V any] struct {
	Key   string
	Value V
}

// readMap runs a batched read whose records are (key, value) and returns
// the values decoded by key.
func readMap[V any](ctx context.Context, s *Store, cypher string, params map[string]any) (map[string]V, error) {
	recs, err := s.apiRecords(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	rows, err := decodeRecords[keyed[V]](recs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]V, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// readOne runs a read of at most one record (value) and decodes it, or
// returns ErrNotFound.
func readOne[V any](ctx context.Context, s *Store, cypher string, params map[string]any) (V, error) {
	var v V
	recs, err := s.apiRecords(ctx, cypher, params)
	if err != nil {
		return v, err
	}
	if len(recs) == 0 {
		return v, ErrNotFound
	}
	rows, err := decodeRecords[struct{ Value V }](recs[:1])
	if err != nil {
		return v, err
	}
	return rows[0].Value, nil
}

// AccountsByIDs returns the accounts that exist among ids.
func (s *Store) AccountsByIDs(ctx context.Context, ids []string) (_ map[string]Account, err error) {
	defer wrap(&err, "Store.AccountsByIDs(%d ids)", len(ids))
	return readMap[Account](ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id}) RETURN id AS key, `+accountProjection+` AS value`,
		map[string]any{"ids": ids})
}

// Account returns one account, or ErrNotFound.
func (s *Store) Account(ctx context.Context, id string) (Account, error) {
	m, err := s.AccountsByIDs(ctx, []string{id})
	if err != nil {
		return Account{}, err
	}
	a, ok := m[id]
	if !ok {
		return Account{}, fmt.Errorf("Store.Account(%q): %w", id, ErrNotFound)
	}
	return a, nil
}

// LookupCountsByAccounts returns, for each account id that exists, how
// many targets it looked up.
func (s *Store) LookupCountsByAccounts(ctx context.Context, ids []string) (_ map[string]int, err error) {
	defer wrap(&err, "Store.LookupCountsByAccounts(%d ids)", len(ids))
	return readMap[int](ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id})
RETURN id AS key, COUNT { (a)-[:LOOKED_UP]->() } AS value`, map[string]any{"ids": ids})
}

// AccountCountsOfIPs returns, for each address that exists, how many
// accounts used it.
func (s *Store) AccountCountsOfIPs(ctx context.Context, addrs []string) (_ map[string]int, err error) {
	defer wrap(&err, "Store.AccountCountsOfIPs(%d)", len(addrs))
	return readMap[int](ctx, s, `UNWIND $ids AS id MATCH (x:IP {addr: id})
RETURN id AS key, COUNT { (x)<-[:USED_IP]-() } AS value`, map[string]any{"ids": addrs})
}

// AccountCountsOfDevices returns, for each device id that exists, how
// many accounts used it.
func (s *Store) AccountCountsOfDevices(ctx context.Context, ids []string) (_ map[string]int, err error) {
	defer wrap(&err, "Store.AccountCountsOfDevices(%d)", len(ids))
	return readMap[int](ctx, s, `UNWIND $ids AS id MATCH (x:Device {id: id})
RETURN id AS key, COUNT { (x)<-[:USED_DEVICE]-() } AS value`, map[string]any{"ids": ids})
}

// ipUsagesOf reads the first $<first> IP usages of a, most used first, as
// the list ips (empty, never absent: the row of a stays). The batched
// read and the account view share it, so both project the same way.
func ipUsagesOf(first string) string {
	return `CALL (a) { MATCH (a)-[u:USED_IP]->(ip:IP) WITH u, ip ORDER BY u.count DESC, ip.addr LIMIT $` + first + `
  RETURN collect({ip: ` + ipProjection + `, first: u.first, last: u.last, count: u.count}) AS ips }`
}

// deviceUsagesOf reads the first $<first> device usages of a, most used
// first, as the list devices.
func deviceUsagesOf(first string) string {
	return `CALL (a) { MATCH (a)-[u:USED_DEVICE]->(d:Device) WITH u, d ORDER BY u.count DESC, d.id LIMIT $` + first + `
  RETURN collect({device: ` + deviceProjection + `, first: u.first, last: u.last, count: u.count}) AS devices }`
}

// IPUsagesByAccounts returns, for each account id, its first IPs by count.
func (s *Store) IPUsagesByAccounts(ctx context.Context, ids []string, first int) (_ map[string][]IPUsage, err error) {
	defer wrap(&err, "Store.IPUsagesByAccounts(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	return readMap[[]IPUsage](ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id})
`+ipUsagesOf("first")+`
RETURN id AS key, ips AS value`, map[string]any{"ids": ids, "first": first})
}

// DeviceUsagesByAccounts returns, for each account id, its first devices by count.
func (s *Store) DeviceUsagesByAccounts(ctx context.Context, ids []string, first int) (_ map[string][]DeviceUsage, err error) {
	defer wrap(&err, "Store.DeviceUsagesByAccounts(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	return readMap[[]DeviceUsage](ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id})
`+deviceUsagesOf("first")+`
RETURN id AS key, devices AS value`, map[string]any{"ids": ids, "first": first})
}

// AccountView is an account with the first pages of its IP and device
// usages, read in one statement: what account(id) shows most often.
type AccountView struct {
	Account Account
	IPs     []IPUsage
	Devices []DeviceUsage
}

// AccountView returns an account with its first ips IP usages and first
// devices device usages (0: that list is not read and stays nil), or
// ErrNotFound. One statement instead of three: at the API's rates a
// statement's fixed cost (a transaction, a round trip, Neo4j's per-query
// work) outweighs what these small pages cost to read.
func (s *Store) AccountView(ctx context.Context, id string, ips, devices int) (_ AccountView, err error) {
	defer wrap(&err, "Store.AccountView(%q, ips %d, devices %d)", id, ips, devices)
	for _, n := range []int{ips, devices} {
		if n != 0 {
			if err := checkFirst(n, MaxUsagePage); err != nil {
				return AccountView{}, err
			}
		}
	}
	v, err := readOne[AccountView](ctx, s, `MATCH (a:Account {id: $id})
`+ipUsagesOf("ips")+`
`+deviceUsagesOf("devices")+`
RETURN {account: `+accountProjection+`, ips: ips, devices: devices} AS value`,
		map[string]any{"id": id, "ips": ips, "devices": devices})
	if ips == 0 {
		v.IPs = nil
	}
	if devices == 0 {
		v.Devices = nil
	}
	return v, err
}

// LookupsByAccounts returns, for each account id, its first targets by count.
func (s *Store) LookupsByAccounts(ctx context.Context, ids []string, first int) (_ map[string][]Lookup, err error) {
	defer wrap(&err, "Store.LookupsByAccounts(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	return readMap[[]Lookup](ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) { MATCH (a)-[u:LOOKED_UP]->(t:Target) RETURN u, t ORDER BY u.count DESC, t.key LIMIT $first }
RETURN id AS key, collect({target: `+targetProjection+`, first: u.first, last: u.last, count: u.count, hits: u.hits}) AS value`,
		map[string]any{"ids": ids, "first": first})
}

// MembershipsByAccounts returns, for each account id, the networks it is in,
// newest run first, at most 50.
func (s *Store) MembershipsByAccounts(ctx context.Context, ids []string) (_ map[string][]Membership, err error) {
	defer wrap(&err, "Store.MembershipsByAccounts(%d ids)", len(ids))
	return readMap[[]Membership](ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) {
  CALL (a) {
    MATCH (a)-[m:MEMBER_OF]->(n:Network) RETURN n, m.score AS score, m.role AS role
    UNION ALL
    MATCH (n:Network)-[e:EXPOSED]->(a) RETURN n, e.score AS score, 'victim' AS role
  }
  OPTIONAL MATCH (r:DetectionRun {id: n.runId})
  RETURN n, score, role ORDER BY r.startedAt DESC, n.id LIMIT 50
}
RETURN id AS key, collect({networkId: n.id, score: score, role: role}) AS value`, map[string]any{"ids": ids})
}

// IP returns one IP address, or ErrNotFound.
func (s *Store) IP(ctx context.Context, addr string) (_ IP, err error) {
	defer wrap(&err, "Store.IP(%q)", addr)
	return readOne[IP](ctx, s, `MATCH (ip:IP {addr: $addr}) RETURN `+ipProjection+` AS value`, map[string]any{"addr": addr})
}

// Device returns one device, or ErrNotFound.
func (s *Store) Device(ctx context.Context, id string) (_ Device, err error) {
	defer wrap(&err, "Store.Device(%q)", id)
	return readOne[Device](ctx, s, `MATCH (d:Device {id: $id}) RETURN `+deviceProjection+` AS value`, map[string]any{"id": id})
}

// Target returns one target by key, or ErrNotFound. The key is a hash, so
// it may appear in errors.
func (s *Store) Target(ctx context.Context, key string) (_ Target, err error) {
	defer wrap(&err, "Store.Target(%q)", key)
	return readOne[Target](ctx, s, `MATCH (t:Target {key: $key}) RETURN `+targetProjection+` AS value`, map[string]any{"key": key})
}

// AccountsOfIPs returns, for each address, the accounts that used it,
// most active first.
func (s *Store) AccountsOfIPs(ctx context.Context, addrs []string, first int) (_ map[string][]AccountUsage, err error) {
	defer wrap(&err, "Store.AccountsOfIPs(%d, %d)", len(addrs), first)
	return s.accountsOf(ctx, `MATCH (x:IP {addr: id})`, `USED_IP`, addrs, first)
}

// AccountsOfDevices returns, for each device id, the accounts that used
// it, most active first.
func (s *Store) AccountsOfDevices(ctx context.Context, ids []string, first int) (_ map[string][]AccountUsage, err error) {
	defer wrap(&err, "Store.AccountsOfDevices(%d, %d)", len(ids), first)
	return s.accountsOf(ctx, `MATCH (x:Device {id: id})`, `USED_DEVICE`, ids, first)
}

// accountsOf runs one batched read; match and rel are fixed text chosen by
// the callers above, never input.
func (s *Store) accountsOf(ctx context.Context, match, rel string, ids []string, first int) (map[string][]AccountUsage, error) {
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	return readMap[[]AccountUsage](ctx, s, `UNWIND $ids AS id `+match+`
CALL (x) { MATCH (x)<-[u:`+rel+`]-(a:Account) RETURN u, a ORDER BY u.count DESC, a.id LIMIT $first }
RETURN id AS key, collect({account: `+accountProjection+`, first: u.first, last: u.last, count: u.count}) AS value`,
		map[string]any{"ids": ids, "first": first})
}

// MatchedAccountsOf returns, for each target key, up to 20 accounts its
// lookups returned.
func (s *Store) MatchedAccountsOf(ctx context.Context, keys []string) (_ map[string][]Account, err error) {
	defer wrap(&err, "Store.MatchedAccountsOf(%d)", len(keys))
	return readMap[[]Account](ctx, s, `UNWIND $keys AS key MATCH (t:Target {key: key})
CALL (t) { MATCH (t)-[:MATCHED]->(a:Account) RETURN a ORDER BY a.id LIMIT 20 }
RETURN key, collect(`+accountProjection+`) AS value`, map[string]any{"keys": keys})
}

// Neighborhood bounds.
const (
	MaxNeighborhoodDepth = 3
	MaxNeighborhoodNodes = 500
	// neighborsPerNode caps how many neighbours of one node are followed,
	// so a carrier NAT used by 5,000 accounts contributes a sample.
	neighborsPerNode = 25
)

// Neighborhood returns the accounts and resources within depth hops of an
// account (depth 1: its resources; 2: also the accounts sharing them; 3:
// also those accounts' resources), at most limit nodes. It runs one
// statement per hop plus one for scores.
func (s *Store) Neighborhood(ctx context.Context, accountID string, depth, limit int) (_ Neighborhood, err error) {
	defer wrap(&err, "Store.Neighborhood(%q, depth %d, limit %d)", accountID, depth, limit)
	if depth < 1 || depth > MaxNeighborhoodDepth {
		return Neighborhood{}, fmt.Errorf("%w: depth must be between 1 and %d, got %d", ErrInvalidArgument, MaxNeighborhoodDepth, depth)
	}
	if limit < 1 || limit > MaxNeighborhoodNodes {
		return Neighborhood{}, fmt.Errorf("%w: limit must be between 1 and %d, got %d", ErrInvalidArgument, MaxNeighborhoodNodes, limit)
	}
	center, err := s.Account(ctx, accountID)
	if err != nil {
		return Neighborhood{}, err
	}
	var nb Neighborhood
	type nodeKey struct {
		kind NodeKind
		id   string
	}
	seen := map[nodeKey]bool{}
	edgeSeen := map[[3]string]bool{}
	// add adds a node unless it is there already; it reports whether there
	// was room and whether the node is new (only new nodes are expanded).
	add := func(n GraphNode) (room, isNew bool) {
		k := nodeKey{n.Kind, n.ID}
		if seen[k] {
			return true, false
		}
		if len(nb.Nodes) >= limit {
			nb.Truncated = true
			return false, false
		}
		seen[k] = true
		nb.Nodes = append(nb.Nodes, n)
		return true, true
	}
	addEdge := func(e GraphEdge) {
		k := [3]string{e.Source, string(e.TargetKind), e.Target}
		if !edgeSeen[k] && seen[nodeKey{NodeAccount, e.Source}] && seen[nodeKey{e.TargetKind, e.Target}] {
			edgeSeen[k] = true
			nb.Edges = append(nb.Edges, e)
		}
	}
	add(GraphNode{ID: center.ID, Kind: NodeAccount, Label: label(center), Depth: 0})
	// Edges between nodes already in the graph are kept even when the node
	// at their end was reached by another path first.
	accounts := []string{center.ID}
	var resources []map[string]any
	for d := 1; d <= depth && !nb.Truncated; d++ {
		if d%2 == 1 { // accounts -> resources
			hops, err := readHops(ctx, s, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) {
  MATCH (a)-[u:USED_IP|USED_DEVICE|LOOKED_UP]->(x)
  RETURN u, x ORDER BY u.count DESC LIMIT $per
}
RETURN id, type(u) AS rel, coalesce(x.addr, x.id, x.key) AS xid, coalesce(x.masked, x.addr, x.id) AS label, u.count AS count`,
				map[string]any{"ids": accounts, "per": neighborsPerNode})
			if err != nil {
				return Neighborhood{}, err
			}
			resources = resources[:0]
			for _, h := range hops {
				kind := relKind(h.Rel)
				room, isNew := add(GraphNode{ID: h.XID, Kind: kind, Label: h.Label, Depth: d})
				if !room {
					break
				}
				addEdge(GraphEdge{Source: h.ID, Target: h.XID, TargetKind: kind, Count: h.Count})
				if isNew {
					resources = append(resources, map[string]any{"id": h.XID, "kind": string(kind)})
				}
			}
		} else { // resources -> accounts
			hops, err := readHops(ctx, s, `UNWIND $res AS r
CALL (r) {
  MATCH (x:IP {addr: r.id}) WHERE r.kind = 'IP' RETURN x
  UNION MATCH (x:Device {id: r.id}) WHERE r.kind = 'DEVICE' RETURN x
  UNION MATCH (x:Target {key: r.id}) WHERE r.kind = 'TARGET' RETURN x
}
CALL (x) {
  MATCH (x)<-[u:USED_IP|USED_DEVICE|LOOKED_UP]-(b:Account)
  RETURN u, b ORDER BY u.count DESC, b.id LIMIT $per
}
RETURN r.id AS xid, r.kind AS kind, b.id AS id, coalesce(b.handle, b.id) AS label, u.count AS count`,
				map[string]any{"res": resources, "per": neighborsPerNode})
			if err != nil {
				return Neighborhood{}, err
			}
			accounts = accounts[:0]
			for _, h := range hops {
				room, isNew := add(GraphNode{ID: h.ID, Kind: NodeAccount, Label: h.Label, Depth: d})
				if !room {
					break
				}
				addEdge(GraphEdge{Source: h.ID, Target: h.XID, TargetKind: NodeKind(h.Kind), Count: h.Count})
				if isNew {
					accounts = append(accounts, h.ID)
				}
			}
		}
	}
	// Scores: each account's best membership score in the latest run.
	var ids []string
	for _, n := range nb.Nodes {
		if n.Kind == NodeAccount {
			ids = append(ids, n.ID)
		}
	}
	scores, err := readMap[float64](ctx, s, `MATCH (r:DetectionRun) WHERE r.finishedAt IS NOT NULL
WITH r ORDER BY r.finishedAt DESC LIMIT 1
UNWIND $ids AS id MATCH (:Account {id: id})-[m:MEMBER_OF]->(n:Network {runId: r.id})
WHERE coalesce(m.role, '') <> 'victim'
RETURN id AS key, max(m.score) AS value`, map[string]any{"ids": ids})
	if err != nil {
		return Neighborhood{}, err
	}
	for i := range nb.Nodes {
		if sc, ok := scores[nb.Nodes[i].ID]; ok && nb.Nodes[i].Kind == NodeAccount {
			nb.Nodes[i].Score = &sc
		}
	}
	return nb, nil
}

// hop is one relationship a neighbourhood step followed: from account ID
// to resource XID (of relationship type Rel, or node kind Kind).
type hop struct {
	ID, XID, Label, Rel, Kind string
	Count                     int
}

func readHops(ctx context.Context, s *Store, cypher string, params map[string]any) ([]hop, error) {
	recs, err := s.apiRecords(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	return decodeRecords[hop](recs)
}

func relKind(rel string) NodeKind {
	switch rel {
	case "USED_IP":
		return NodeIP
	case "USED_DEVICE":
		return NodeDevice
	}
	return NodeTarget
}

func label(a Account) string {
	if a.Handle != nil && *a.Handle != "" {
		return *a.Handle
	}
	return a.ID
}
