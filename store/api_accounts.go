package store

import (
	"context"
	"fmt"
)

// Account, IP, device and target reads for the API. The batched forms take
// many ids and return a map keyed by id, for dataloaders.

// MaxUsagePage bounds the lists of an account's or resource's relationships.
const MaxUsagePage = 100

const accountProjection = `a {.id, .handle, .createdAt, .country, .verified, .status, .allowlisted,
	.allowlistedBy, .allowlistedAt, .allowlistReason, lookupCount: COUNT { (a)-[:LOOKED_UP]->() }}`

func accountFromRow(r row) Account {
	a := Account{
		ID:          r.str("id"),
		Handle:      r.strp("handle"),
		CreatedAt:   r.time("createdAt"),
		Country:     r.strp("country"),
		Verified:    r.bool("verified"),
		Status:      r.strp("status"),
		Allowlisted: r.bool("allowlisted"),
		LookupCount: r.int("lookupCount"),
	}
	if a.Allowlisted {
		al := &Allowlisting{By: r.str("allowlistedBy"), Reason: r.str("allowlistReason")}
		if t := r.time("allowlistedAt"); t != nil {
			al.At = *t
		}
		a.Allowlist = al
	}
	return a
}

const ipProjection = `ip {.addr, .asn, .asnOrg, .country, .kind, accountCount: COUNT { (ip)<-[:USED_IP]-() }}`

func ipFromRow(r row) IP {
	return IP{Addr: r.str("addr"), Asn: r.intp("asn"), AsnOrg: r.strp("asnOrg"),
		Country: r.strp("country"), Kind: r.strp("kind"), AccountCount: r.int("accountCount")}
}

const deviceProjection = `d {.id, .os, .client, accountCount: COUNT { (d)<-[:USED_DEVICE]-() }}`

func deviceFromRow(r row) Device {
	return Device{ID: r.str("id"), Os: r.strp("os"), Client: r.strp("client"), AccountCount: r.int("accountCount")}
}

// The projection names only safe properties: block and offset together
// are the raw number, so they never leave the store.
const targetProjection = `t {.key, .masked, .kind, .region, lookerCount: COUNT { (t)<-[:LOOKED_UP]-() }}`

func targetFromRow(r row) Target {
	return Target{Key: r.str("key"), Masked: r.str("masked"), Kind: r.strp("kind"),
		Region: r.strp("region"), LookerCount: r.int("lookerCount")}
}

// AccountsByIDs returns the accounts that exist among ids.
func (s *Store) AccountsByIDs(ctx context.Context, ids []string) (_ map[string]Account, err error) {
	defer wrap(&err, "Store.AccountsByIDs(%d ids)", len(ids))
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id}) RETURN `+accountProjection+` AS a`,
		map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Account, len(rows))
	for _, r := range rows {
		a := accountFromRow(r.sub("a"))
		out[a.ID] = a
	}
	return out, nil
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

// IPUsagesByAccounts returns, for each account id, its first IPs by count.
func (s *Store) IPUsagesByAccounts(ctx context.Context, ids []string, first int) (_ map[string][]IPUsage, err error) {
	defer wrap(&err, "Store.IPUsagesByAccounts(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) { MATCH (a)-[u:USED_IP]->(ip:IP) RETURN u, ip ORDER BY u.count DESC, ip.addr LIMIT $first }
RETURN id, collect({ip: `+ipProjection+`, first: u.first, last: u.last, count: u.count}) AS uses`,
		map[string]any{"ids": ids, "first": first})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]IPUsage, len(rows))
	for _, r := range rows {
		var l []IPUsage
		for _, u := range r.list("uses") {
			l = append(l, IPUsage{IP: ipFromRow(u.sub("ip")), First: u.time("first"), Last: u.time("last"), Count: u.int("count")})
		}
		out[r.str("id")] = l
	}
	return out, nil
}

// DeviceUsagesByAccounts returns, for each account id, its first devices by count.
func (s *Store) DeviceUsagesByAccounts(ctx context.Context, ids []string, first int) (_ map[string][]DeviceUsage, err error) {
	defer wrap(&err, "Store.DeviceUsagesByAccounts(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) { MATCH (a)-[u:USED_DEVICE]->(d:Device) RETURN u, d ORDER BY u.count DESC, d.id LIMIT $first }
RETURN id, collect({d: `+deviceProjection+`, first: u.first, last: u.last, count: u.count}) AS uses`,
		map[string]any{"ids": ids, "first": first})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]DeviceUsage, len(rows))
	for _, r := range rows {
		var l []DeviceUsage
		for _, u := range r.list("uses") {
			l = append(l, DeviceUsage{Device: deviceFromRow(u.sub("d")), First: u.time("first"), Last: u.time("last"), Count: u.int("count")})
		}
		out[r.str("id")] = l
	}
	return out, nil
}

// LookupsByAccounts returns, for each account id, its first targets by count.
func (s *Store) LookupsByAccounts(ctx context.Context, ids []string, first int) (_ map[string][]Lookup, err error) {
	defer wrap(&err, "Store.LookupsByAccounts(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return nil, err
	}
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) { MATCH (a)-[u:LOOKED_UP]->(t:Target) RETURN u, t ORDER BY u.count DESC, t.key LIMIT $first }
RETURN id, collect({t: `+targetProjection+`, first: u.first, last: u.last, count: u.count, hits: u.hits}) AS uses`,
		map[string]any{"ids": ids, "first": first})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Lookup, len(rows))
	for _, r := range rows {
		var l []Lookup
		for _, u := range r.list("uses") {
			l = append(l, Lookup{Target: targetFromRow(u.sub("t")), First: u.time("first"), Last: u.time("last"),
				Count: u.int("count"), Hits: u.int("hits")})
		}
		out[r.str("id")] = l
	}
	return out, nil
}

// MembershipsByAccounts returns, for each account id, the networks it is in,
// newest run first, at most 50.
func (s *Store) MembershipsByAccounts(ctx context.Context, ids []string) (_ map[string][]Membership, err error) {
	defer wrap(&err, "Store.MembershipsByAccounts(%d ids)", len(ids))
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) {
  CALL (a) {
    MATCH (a)-[m:MEMBER_OF]->(n:Network) RETURN n, m.score AS score, m.role AS role
    UNION ALL
    MATCH (n:Network)-[e:EXPOSED]->(a) RETURN n, e.score AS score, 'victim' AS role
  }
  OPTIONAL MATCH (r:DetectionRun {id: n.runId})
  RETURN n, score, role ORDER BY r.startedAt DESC, n.id LIMIT 50
}
RETURN id, collect({network: n.id, score: score, role: role}) AS ms`, map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Membership, len(rows))
	for _, r := range rows {
		var l []Membership
		for _, m := range r.list("ms") {
			l = append(l, Membership{NetworkID: m.str("network"), Score: m.float("score"), Role: m.strp("role")})
		}
		out[r.str("id")] = l
	}
	return out, nil
}

// IP returns one IP address, or ErrNotFound.
func (s *Store) IP(ctx context.Context, addr string) (_ IP, err error) {
	defer wrap(&err, "Store.IP(%q)", addr)
	rows, err := s.apiRead(ctx, `MATCH (ip:IP {addr: $addr}) RETURN `+ipProjection+` AS ip`, map[string]any{"addr": addr})
	if err != nil {
		return IP{}, err
	}
	if len(rows) == 0 {
		return IP{}, ErrNotFound
	}
	return ipFromRow(rows[0].sub("ip")), nil
}

// Device returns one device, or ErrNotFound.
func (s *Store) Device(ctx context.Context, id string) (_ Device, err error) {
	defer wrap(&err, "Store.Device(%q)", id)
	rows, err := s.apiRead(ctx, `MATCH (d:Device {id: $id}) RETURN `+deviceProjection+` AS d`, map[string]any{"id": id})
	if err != nil {
		return Device{}, err
	}
	if len(rows) == 0 {
		return Device{}, ErrNotFound
	}
	return deviceFromRow(rows[0].sub("d")), nil
}

// Target returns one target by key, or ErrNotFound. The key is a hash, so
// it may appear in errors.
func (s *Store) Target(ctx context.Context, key string) (_ Target, err error) {
	defer wrap(&err, "Store.Target(%q)", key)
	rows, err := s.apiRead(ctx, `MATCH (t:Target {key: $key}) RETURN `+targetProjection+` AS t`, map[string]any{"key": key})
	if err != nil {
		return Target{}, err
	}
	if len(rows) == 0 {
		return Target{}, ErrNotFound
	}
	return targetFromRow(rows[0].sub("t")), nil
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
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id `+match+`
CALL (x) { MATCH (x)<-[u:`+rel+`]-(a:Account) RETURN u, a ORDER BY u.count DESC, a.id LIMIT $first }
RETURN id, collect({a: `+accountProjection+`, first: u.first, last: u.last, count: u.count}) AS uses`,
		map[string]any{"ids": ids, "first": first})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]AccountUsage, len(rows))
	for _, r := range rows {
		var l []AccountUsage
		for _, u := range r.list("uses") {
			l = append(l, AccountUsage{Account: accountFromRow(u.sub("a")), First: u.time("first"), Last: u.time("last"), Count: u.int("count")})
		}
		out[r.str("id")] = l
	}
	return out, nil
}

// MatchedAccountsOf returns, for each target key, up to 20 accounts its
// lookups returned.
func (s *Store) MatchedAccountsOf(ctx context.Context, keys []string) (_ map[string][]Account, err error) {
	defer wrap(&err, "Store.MatchedAccountsOf(%d)", len(keys))
	rows, err := s.apiRead(ctx, `UNWIND $keys AS key MATCH (t:Target {key: key})
CALL (t) { MATCH (t)-[:MATCHED]->(a:Account) RETURN a ORDER BY a.id LIMIT 20 }
RETURN key, collect(`+accountProjection+`) AS accounts`, map[string]any{"keys": keys})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Account, len(rows))
	for _, r := range rows {
		var l []Account
		for _, a := range r.list("accounts") {
			l = append(l, accountFromRow(a))
		}
		out[r.str("key")] = l
	}
	return out, nil
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
			rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id})
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
			for _, r := range rows {
				kind := relKind(r.str("rel"))
				room, isNew := add(GraphNode{ID: r.str("xid"), Kind: kind, Label: r.str("label"), Depth: d})
				if !room {
					break
				}
				addEdge(GraphEdge{Source: r.str("id"), Target: r.str("xid"), TargetKind: kind, Count: r.int("count")})
				if isNew {
					resources = append(resources, map[string]any{"id": r.str("xid"), "kind": string(kind)})
				}
			}
		} else { // resources -> accounts
			rows, err := s.apiRead(ctx, `UNWIND $res AS r
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
			for _, r := range rows {
				id := r.str("id")
				room, isNew := add(GraphNode{ID: id, Kind: NodeAccount, Label: r.str("label"), Depth: d})
				if !room {
					break
				}
				addEdge(GraphEdge{Source: id, Target: r.str("xid"), TargetKind: NodeKind(r.str("kind")), Count: r.int("count")})
				if isNew {
					accounts = append(accounts, id)
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
	rows, err := s.apiRead(ctx, `MATCH (r:DetectionRun) WHERE r.finishedAt IS NOT NULL
WITH r ORDER BY r.finishedAt DESC LIMIT 1
UNWIND $ids AS id MATCH (:Account {id: id})-[m:MEMBER_OF]->(n:Network {runId: r.id})
WHERE coalesce(m.role, '') <> 'victim'
RETURN id, max(m.score) AS score`, map[string]any{"ids": ids})
	if err != nil {
		return Neighborhood{}, err
	}
	scores := map[string]float64{}
	for _, r := range rows {
		scores[r.str("id")] = r.float("score")
	}
	for i := range nb.Nodes {
		if sc, ok := scores[nb.Nodes[i].ID]; ok && nb.Nodes[i].Kind == NodeAccount {
			nb.Nodes[i].Score = &sc
		}
	}
	return nb, nil
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
