package store

import (
	"context"
	"fmt"
)

// One-statement forms of the API's most frequent views, used when a query
// asks for an account with its IPs and devices, or a network with its first
// members: one round trip to Neo4j instead of three or two.

// AccountWithUsage returns an account with its first ipsFirst IPs and
// devFirst devices (0: none), or ErrNotFound.
func (s *Store) AccountWithUsage(ctx context.Context, id string, ipsFirst, devFirst int) (_ Account, _ []IPUsage, _ []DeviceUsage, err error) {
	defer wrap(&err, "Store.AccountWithUsage(%q, %d, %d)", id, ipsFirst, devFirst)
	if ipsFirst < 0 || ipsFirst > MaxUsagePage || devFirst < 0 || devFirst > MaxUsagePage {
		return Account{}, nil, nil, fmt.Errorf("%w: first must be between 1 and %d", ErrInvalidArgument, MaxUsagePage)
	}
	rows, err := s.apiRead(ctx, `MATCH (a:Account {id: $id})
CALL (a) {
  MATCH (a)-[u:USED_IP]->(ip:IP) WITH u, ip ORDER BY u.count DESC, ip.addr LIMIT $ips
  RETURN collect({ip: `+ipProjection+`, first: u.first, last: u.last, count: u.count}) AS ips
}
CALL (a) {
  MATCH (a)-[u:USED_DEVICE]->(d:Device) WITH u, d ORDER BY u.count DESC, d.id LIMIT $devs
  RETURN collect({d: `+deviceProjection+`, first: u.first, last: u.last, count: u.count}) AS devices
}
RETURN `+accountProjection+` AS a, ips, devices`, map[string]any{"id": id, "ips": ipsFirst, "devs": devFirst})
	if err != nil {
		return Account{}, nil, nil, err
	}
	if len(rows) == 0 {
		return Account{}, nil, nil, ErrNotFound
	}
	r := rows[0]
	ips := []IPUsage{}
	for _, u := range r.list("ips") {
		ips = append(ips, IPUsage{IP: ipFromRow(u.sub("ip")), First: u.time("first"), Last: u.time("last"), Count: u.int("count")})
	}
	devs := []DeviceUsage{}
	for _, u := range r.list("devices") {
		devs = append(devs, DeviceUsage{Device: deviceFromRow(u.sub("d")), First: u.time("first"), Last: u.time("last"), Count: u.int("count")})
	}
	return accountFromRow(r.sub("a")), ips, devs, nil
}

// NetworkWithMembers returns a network with its first members (highest
// score first, victims excluded), or ErrNotFound.
func (s *Store) NetworkWithMembers(ctx context.Context, id string, first int) (_ Network, _ []Member, err error) {
	defer wrap(&err, "Store.NetworkWithMembers(%q, %d)", id, first)
	if err := checkFirst(first, MaxPage+1); err != nil {
		return Network{}, nil, err
	}
	rows, err := s.apiRead(ctx, `MATCH (n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account) WHERE coalesce(m.role, '') <> 'victim'
  WITH m, a ORDER BY m.score DESC, a.id LIMIT $first
  RETURN collect({a: `+accountProjection+`, score: m.score, role: m.role}) AS ms
}
RETURN `+networkProjection+` AS n, ms`, map[string]any{"id": id, "first": first})
	if err != nil {
		return Network{}, nil, err
	}
	if len(rows) == 0 {
		return Network{}, nil, ErrNotFound
	}
	ms := []Member{}
	for _, m := range rows[0].list("ms") {
		ms = append(ms, Member{Account: accountFromRow(m.sub("a")), Score: m.float("score"), Role: m.strp("role")})
	}
	return networkFromRow(rows[0].sub("n")), ms, nil
}
