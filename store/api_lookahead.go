package store

import (
	"context"
	"fmt"
	"strings"
)

// One-statement forms of the API's most frequent views, used when a query
// asks for an account with its IPs and devices, or a network with its first
// members: one round trip to Neo4j instead of three or two.

// AccountWithUsage returns an account with its first ipsFirst IPs and
// devFirst devices (0: none), every field fetched, or ErrNotFound.
func (s *Store) AccountWithUsage(ctx context.Context, id string, ipsFirst, devFirst int) (Account, []IPUsage, []DeviceUsage, error) {
	return s.AccountWithUsageView(ctx, id, ipsFirst, devFirst, AllAccountView)
}

// AccountView names what AccountWithUsageView fetches besides the ids and
// the usage counts (which order the lists): the account's own fields and
// those of its IPs, devices and usage relationships. Fields left out are
// zero in what it returns.
type AccountView struct {
	Account              AccountFields
	IP                   IPFields
	Device               DeviceFields
	IPUsage, DeviceUsage UsageFields
}

// IPFields names IP properties besides the address.
type IPFields struct{ Asn, AsnOrg, Country, Kind, AccountCount bool }

// DeviceFields names device properties besides the id.
type DeviceFields struct{ Os, Client, AccountCount bool }

// UsageFields names USED_IP / USED_DEVICE properties besides the count.
type UsageFields struct{ First, Last bool }

// AllAccountView fetches everything.
var AllAccountView = AccountView{
	Account:     AllAccountFields,
	IP:          IPFields{Asn: true, AsnOrg: true, Country: true, Kind: true, AccountCount: true},
	Device:      DeviceFields{Os: true, Client: true, AccountCount: true},
	IPUsage:     UsageFields{First: true, Last: true},
	DeviceUsage: UsageFields{First: true, Last: true},
}

// AccountWithUsageView is AccountWithUsage fetching only what v names. Like
// the member page of NetworkWithMembersFields, everything comes back as
// lists with fixed positions, not maps: fewer properties read in Neo4j,
// and fewer Go maps and strings decoded by the driver.
func (s *Store) AccountWithUsageView(ctx context.Context, id string, ipsFirst, devFirst int, v AccountView) (_ Account, _ []IPUsage, _ []DeviceUsage, err error) {
	defer wrap(&err, "Store.AccountWithUsage(%q, %d, %d)", id, ipsFirst, devFirst)
	if ipsFirst < 0 || ipsFirst > MaxUsagePage || devFirst < 0 || devFirst > MaxUsagePage {
		return Account{}, nil, nil, fmt.Errorf("%w: first must be between 1 and %d", ErrInvalidArgument, MaxUsagePage)
	}
	ip, dev, ipu, devu := v.IP, v.Device, v.IPUsage, v.DeviceUsage
	// Only fixed text is joined (pick), never a value.
	rows, err := s.apiRead(ctx, `MATCH (a:Account {id: $id})
CALL (a) {
  MATCH (a)-[u:USED_IP]->(ip:IP) WITH u, ip ORDER BY u.count DESC, ip.addr LIMIT $ips
  RETURN collect([ip.addr, `+strings.Join([]string{pick(ip.Asn, "ip.asn"), pick(ip.AsnOrg, "ip.asnOrg"), pick(ip.Country, "ip.country"),
		pick(ip.Kind, "ip.kind"), pick(ip.AccountCount, "COUNT { (ip)<-[:USED_IP]-() }"), pick(ipu.First, "u.first"), pick(ipu.Last, "u.last")}, ", ")+`, u.count]) AS ips
}
CALL (a) {
  MATCH (a)-[u:USED_DEVICE]->(d:Device) WITH u, d ORDER BY u.count DESC, d.id LIMIT $devs
  RETURN collect([d.id, `+strings.Join([]string{pick(dev.Os, "d.os"), pick(dev.Client, "d.client"),
		pick(dev.AccountCount, "COUNT { (d)<-[:USED_DEVICE]-() }"), pick(devu.First, "u.first"), pick(devu.Last, "u.last")}, ", ")+`, u.count]) AS devices
}
RETURN `+v.Account.list()+` AS a, ips, devices`, map[string]any{"id": id, "ips": ipsFirst, "devs": devFirst})
	if err != nil {
		return Account{}, nil, nil, err
	}
	if len(rows) == 0 {
		return Account{}, nil, nil, ErrNotFound
	}
	r := rows[0]
	ips := []IPUsage{}
	ipl, _ := r["ips"].([]any)
	for _, x := range ipl {
		if l, _ := x.([]any); len(l) == 9 {
			ips = append(ips, IPUsage{IP: IP{Addr: vstr(l[0]), Asn: vintp(l[1]), AsnOrg: vstrp(l[2]), Country: vstrp(l[3]), Kind: vstrp(l[4]), AccountCount: vint(l[5])},
				First: vtime(l[6]), Last: vtime(l[7]), Count: vint(l[8])})
		}
	}
	devs := []DeviceUsage{}
	devl, _ := r["devices"].([]any)
	for _, x := range devl {
		if l, _ := x.([]any); len(l) == 7 {
			devs = append(devs, DeviceUsage{Device: Device{ID: vstr(l[0]), Os: vstrp(l[1]), Client: vstrp(l[2]), AccountCount: vint(l[3])},
				First: vtime(l[4]), Last: vtime(l[5]), Count: vint(l[6])})
		}
	}
	a, _ := r["a"].([]any)
	return accountFromList(a), ips, devs, nil
}

// AccountFields names the account properties a read fetches besides the
// id, so a view that shows 100 members by handle does not make Neo4j read,
// send and the driver decode ten properties per member it never shows.
// Fields left out are zero in the Account returned.
type AccountFields struct {
	Handle, CreatedAt, Country, Verified, Status bool
	Allowlist                                    bool // allowlisted and who, when, why
	LookupCount                                  bool
}

// AllAccountFields fetches every property an Account has.
var AllAccountFields = AccountFields{Handle: true, CreatedAt: true, Country: true, Verified: true, Status: true, Allowlist: true, LookupCount: true}

// list returns the Cypher list expression of the fields for the account
// bound to a: fixed positions (see accountFromList), null where a field is
// not wanted. Only fixed text is joined.
func (f AccountFields) list() string {
	return "[a.id, " + strings.Join([]string{
		pick(f.Handle, "a.handle"),
		pick(f.CreatedAt, "a.createdAt"),
		pick(f.Country, "a.country"),
		pick(f.Verified, "a.verified"),
		pick(f.Status, "a.status"),
		pick(f.Allowlist, "a.allowlisted"),
		pick(f.Allowlist, "a.allowlistedBy"),
		pick(f.Allowlist, "a.allowlistedAt"),
		pick(f.Allowlist, "a.allowlistReason"),
		pick(f.LookupCount, "COUNT { (a)-[:LOOKED_UP]->() }"),
	}, ", ") + "]"
}

// accountFromList reads the list AccountFields.list returns. A list is
// decoded by the driver into one slice, where a map costs a Go map and a
// string per key: for 100 members that was a third of the driver's work.
func accountFromList(l []any) Account {
	if len(l) < 11 {
		return Account{}
	}
	a := Account{
		ID: vstr(l[0]), Handle: vstrp(l[1]), CreatedAt: vtime(l[2]), Country: vstrp(l[3]), Verified: vbool(l[4]),
		Status: vstrp(l[5]), Allowlisted: vbool(l[6]), LookupCount: vint(l[10]),
	}
	if a.Allowlisted {
		al := &Allowlisting{By: vstr(l[7]), Reason: vstr(l[9])}
		if t := vtime(l[8]); t != nil {
			al.At = *t
		}
		a.Allowlist = al
	}
	return a
}

// NetworkWithMembers returns a network with its first members (highest
// score first, victims excluded), every account field fetched, or
// ErrNotFound.
func (s *Store) NetworkWithMembers(ctx context.Context, id string, first int) (Network, []Member, error) {
	return s.NetworkWithMembersFields(ctx, id, first, AllAccountFields)
}

// NetworkWithMembersFields is NetworkWithMembers fetching only the given
// fields of the members' accounts (and their ids).
func (s *Store) NetworkWithMembersFields(ctx context.Context, id string, first int, fields AccountFields) (_ Network, _ []Member, err error) {
	defer wrap(&err, "Store.NetworkWithMembers(%q, %d)", id, first)
	if err := checkFirst(first, MaxPage+1); err != nil {
		return Network{}, nil, err
	}
	// Members come back as lists [account, score, role], not maps. Only
	// accounts are MEMBER_OF a network (the data model), so the far node's
	// label is not checked: one store read less per member (PROFILE: 866
	// -> 716 db hits for a network of 150).
	rows, err := s.apiRead(ctx, `MATCH (n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a) WHERE coalesce(m.role, '') <> 'victim'
  WITH m, a ORDER BY m.score DESC, a.id LIMIT $first
  RETURN collect([`+fields.list()+`, m.score, m.role]) AS ms
}
RETURN `+networkProjection+` AS n, ms`, map[string]any{"id": id, "first": first})
	if err != nil {
		return Network{}, nil, err
	}
	if len(rows) == 0 {
		return Network{}, nil, ErrNotFound
	}
	l, _ := rows[0]["ms"].([]any)
	ms := make([]Member, 0, len(l))
	for _, x := range l {
		m, _ := x.([]any)
		if len(m) != 3 {
			continue
		}
		a, _ := m[0].([]any)
		ms = append(ms, Member{Account: accountFromList(a), Score: vfloat(m[1]), Role: vstrp(m[2])})
	}
	return networkFromRow(rows[0].sub("n")), ms, nil
}

// pick is expr when on, else null: a fixed position in a returned list.
func pick(on bool, expr string) string {
	if on {
		return expr
	}
	return "null"
}
