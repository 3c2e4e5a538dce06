package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Network reads for the API: keyset-paged lists with cheap counts, members,
// evidence, lineage across runs, and detection runs.

// MaxPage is the largest page any API list returns.
const MaxPage = 100

const networkProjection = `n {.id, .key, .runId, .size, .score, .signals, .stateLinked, .stateConfidence,
	.stateReasons, .stateReasonSources, .evidence, .predecessorId, .reviewStatus, .countries, .handle, .label}`

// networkNode is a Network node's properties as stored: signals and
// evidence are JSON text (or native values written by hand), stateReasons
// a list (or JSON text).
type networkNode struct {
	ID, Key, RunID  string
	Size            int
	Score           float64
	Signals         any
	Evidence        any
	StateLinked     bool
	StateConfidence float64
	StateReasons    []string
	// StateReasonSources[i] is where StateReasons[i] came from; absent on
	// networks written before sources were recorded.
	StateReasonSources []string
	PredecessorID      *string
	ReviewStatus       ReviewStatus
	Countries          *string
	Handle, Label      string
}

func (r networkNode) network() Network {
	n := Network{
		ID: r.ID, Key: r.Key, RunID: r.RunID, Size: r.Size, Score: r.Score,
		Signals:         parseSignals(r.Signals),
		Evidence:        jsonValue(r.Evidence),
		PredecessorID:   r.PredecessorID,
		OwnReviewStatus: r.ReviewStatus,
		Handle:          r.Handle, Label: r.Label,
		StateLinked: StateLinkedIndicator{Possible: r.StateLinked, Confidence: r.StateConfidence, Reasons: nonNil(r.StateReasons), Details: []StateReason{}},
	}
	if len(r.StateReasonSources) == len(r.StateReasons) {
		for i, text := range r.StateReasons {
			n.StateLinked.Details = append(n.StateLinked.Details, StateReason{Reason: text, Source: StateReasonSource(r.StateReasonSources[i])})
		}
	}
	n.MemberCountryCounts, n.LoginCountryCounts = parseCountries(r.Countries)
	if n.OwnReviewStatus == "" {
		n.OwnReviewStatus = ReviewUnreviewed
	}
	return n
}

// readNetworks runs a read whose records are (key, value: a network
// projection) and returns the networks in order.
func readNetworks(ctx context.Context, s *Store, cypher string, params map[string]any) ([]keyed[Network], error) {
	recs, err := s.apiRecords(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	rows, err := decodeRecords[keyed[networkNode]](recs)
	if err != nil {
		return nil, err
	}
	out := make([]keyed[Network], len(rows))
	for i, r := range rows {
		out[i] = keyed[Network]{Key: r.Key, Value: r.Value.network()}
	}
	return out, nil
}

// networkCursor is the position of a network in one ordering.
type networkCursor struct {
	Value float64
	ID    string
}

// A cursor is base64url of "<value>~<id>": cheap to make (a page makes
// one per item) and opaque enough; the value is the sort key.
func encodeCursor(v float64, id string) string {
	b := strconv.AppendFloat(make([]byte, 0, 24+len(id)), v, 'g', -1, 64)
	b = append(b, '~')
	b = append(b, id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (networkCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c networkCursor
	if err == nil {
		v, id, ok := strings.Cut(string(b), "~")
		c.ID = id
		if c.Value, err = strconv.ParseFloat(v, 64); err == nil && (!ok || id == "") {
			err = errors.New("no id")
		}
	}
	if err != nil {
		return networkCursor{}, fmt.Errorf("%w: malformed cursor %q (pass a cursor this API returned)", ErrInvalidArgument, s)
	}
	return c, nil
}

// EncodeNetworkCursor returns the opaque cursor of n in the order field.
func EncodeNetworkCursor(n Network, field NetworkOrderField) string {
	switch field {
	case OrderScore:
		return encodeCursor(n.Score, n.ID)
	case OrderSize:
		return encodeCursor(float64(n.Size), n.ID)
	}
	return encodeCursor(0, n.ID)
}

func decodeNetworkCursor(s string) (networkCursor, error) { return decodeCursor(s) }

// networkWhere builds the WHERE clause of a network query. Only fixed text
// is joined; every value is a parameter.
func networkWhere(q NetworkQuery) (string, map[string]any) {
	conds := []string{"n.runId = $runId"}
	p := map[string]any{"runId": q.RunID}
	if q.MinScore != nil {
		conds = append(conds, "n.score >= $minScore")
		p["minScore"] = *q.MinScore
	}
	if q.MaxScore != nil {
		conds = append(conds, "n.score <= $maxScore")
		p["maxScore"] = *q.MaxScore
	}
	if q.MinSize != nil {
		conds = append(conds, "n.size >= $minSize")
		p["minSize"] = *q.MinSize
	}
	if q.StateLinked != nil {
		conds = append(conds, "coalesce(n.stateLinked, false) = $stateLinked")
		p["stateLinked"] = *q.StateLinked
	}
	if q.ReviewStatus != nil {
		conds = append(conds, "coalesce(n.reviewStatus, 'UNREVIEWED') = $reviewStatus")
		p["reviewStatus"] = string(*q.ReviewStatus)
	}
	if q.Signal != nil {
		// The property's name is a parameter: dynamic access, no text
		// joined from input (signals.go).
		conds = append(conds, "n[$signalProperty] >= $minContribution")
		p["signalProperty"], p["minContribution"] = contributionProperty(q.Signal.Name), q.Signal.MinContribution
	}
	if q.Country != nil {
		conds = append(conds, "EXISTS { MATCH (n)<-[m:MEMBER_OF]-(:Account {country: $country}) WHERE coalesce(m.role, '') <> 'victim' }")
		p["country"] = *q.Country
	}
	return "WHERE " + strings.Join(conds, " AND "), p
}

func orderProperty(f NetworkOrderField) string {
	switch f {
	case OrderSize:
		return "n.size"
	case OrderID:
		return "n.id"
	}
	return "n.score"
}

// LatestRunID returns the id of the most recently finished detection run,
// or ErrNotFound when no run finished yet.
func (s *Store) LatestRunID(ctx context.Context) (_ string, err error) {
	defer wrap(&err, "Store.LatestRunID")
	id, err := readOne[string](ctx, s, `MATCH (r:DetectionRun) WHERE r.finishedAt IS NOT NULL
RETURN r.id AS value ORDER BY r.finishedAt DESC LIMIT 1`, nil)
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("no finished detection run yet: %w", ErrNotFound)
	}
	return id, err
}

// Networks returns up to first networks matching q after the cursor (""
// for the first page), and whether more follow. Paging is by key (the
// order value and the id), so deep pages cost what the first does.
func (s *Store) Networks(ctx context.Context, q NetworkQuery, first int, after string) (_ NetworkConnection, err error) {
	defer wrap(&err, "Store.Networks(run %q, first %d)", q.RunID, first)
	if err := checkFirst(first, MaxPage); err != nil {
		return NetworkConnection{}, err
	}
	where, p := networkWhere(q)
	prop := orderProperty(q.OrderField)
	dir := "DESC"
	cmp := "<"
	if q.Direction == Asc {
		dir, cmp = "ASC", ">"
	}
	if after != "" {
		c, err := decodeNetworkCursor(after)
		if err != nil {
			return NetworkConnection{}, err
		}
		if q.OrderField == OrderID {
			where += " AND n.id " + cmp + " $cid"
		} else {
			where += " AND (" + prop + " " + cmp + " $cv OR (" + prop + " = $cv AND n.id > $cid))"
			p["cv"] = c.Value
		}
		p["cid"] = c.ID
	}
	p["limit"] = first + 1
	order := prop + " " + dir
	if q.OrderField != OrderID {
		order += ", n.id ASC"
	}
	rows, err := readNetworks(ctx, s, "MATCH (n:Network) "+where+" RETURN n.id AS key, "+networkProjection+" AS value ORDER BY "+order+" LIMIT $limit", p)
	if err != nil {
		return NetworkConnection{}, err
	}
	conn := NetworkConnection{Query: q, Edges: []NetworkEdge{}}
	for i, r := range rows {
		if i == first {
			conn.PageInfo.HasNextPage = true
			break
		}
		n := r.Value
		conn.Edges = append(conn.Edges, NetworkEdge{Cursor: EncodeNetworkCursor(n, q.OrderField), Node: n})
	}
	conn.PageInfo.HasPreviousPage = after != ""
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

// CountNetworks counts the networks matching q in the database.
func (s *Store) CountNetworks(ctx context.Context, q NetworkQuery) (_ int, err error) {
	defer wrap(&err, "Store.CountNetworks(run %q)", q.RunID)
	where, p := networkWhere(q)
	recs, err := s.apiRecords(ctx, "MATCH (n:Network) "+where+" RETURN count(n) AS c", p)
	if err != nil {
		return 0, err
	}
	c, err := Get[int64](recs[0], "c")
	return int(c), err
}

// NetworksByIDs returns the networks that exist among ids.
func (s *Store) NetworksByIDs(ctx context.Context, ids []string) (_ map[string]Network, err error) {
	defer wrap(&err, "Store.NetworksByIDs(%d ids)", len(ids))
	return networksByKey(ctx, s, `UNWIND $ids AS id MATCH (n:Network {id: id}) RETURN id AS key, `+networkProjection+` AS value`,
		map[string]any{"ids": ids})
}

func networksByKey(ctx context.Context, s *Store, cypher string, params map[string]any) (map[string]Network, error) {
	rows, err := readNetworks(ctx, s, cypher, params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Network, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// SuccessorsByIDs returns, for each network id, the latest network that
// names it as predecessor.
func (s *Store) SuccessorsByIDs(ctx context.Context, ids []string) (_ map[string]Network, err error) {
	defer wrap(&err, "Store.SuccessorsByIDs(%d ids)", len(ids))
	return networksByKey(ctx, s, `UNWIND $ids AS id MATCH (n:Network {predecessorId: id})
WITH id, n ORDER BY n.runId DESC, n.id
WITH id, head(collect(n)) AS n
RETURN id AS key, `+networkProjection+` AS value`, map[string]any{"ids": ids})
}

// maxLineage bounds predecessor chains (one link per run).
const maxLineage = 64

// LineagesByIDs returns, for each network id, its predecessor chain
// starting with itself and ending with its earliest ancestor. It runs one
// statement per generation for all ids together.
func (s *Store) LineagesByIDs(ctx context.Context, ids []string) (_ map[string][]string, err error) {
	defer wrap(&err, "Store.LineagesByIDs(%d ids)", len(ids))
	out := make(map[string][]string, len(ids))
	pending := map[string][]string{} // current tip -> networks whose chain ends there
	for _, id := range ids {
		out[id] = []string{id}
		pending[id] = append(pending[id], id)
	}
	for gen := 0; gen < maxLineage && len(pending) > 0; gen++ {
		tips := make([]string, 0, len(pending))
		for t := range pending {
			tips = append(tips, t)
		}
		links, err := readMap[string](ctx, s, `UNWIND $ids AS id MATCH (n:Network {id: id}) WHERE n.predecessorId IS NOT NULL
RETURN id AS key, n.predecessorId AS value`, map[string]any{"ids": tips})
		if err != nil {
			return nil, err
		}
		next := map[string][]string{}
		for tip, p := range links {
			for _, id := range pending[tip] {
				if len(out[id]) < maxLineage && !contains(out[id], p) { // no loops
					out[id] = append(out[id], p)
					next[p] = append(next[p], id)
				}
			}
		}
		pending = next
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// membersOf reads the first $<first> members of n (victims aside),
// highest score first, as the list members (empty, never absent). The
// batched read and the network view share it.
func membersOf(first string) string {
	return `CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account) WHERE coalesce(m.role, '') <> 'victim'
  WITH m, a ORDER BY m.score DESC, a.id LIMIT $` + first + `
  RETURN collect({account: ` + accountProjection + `, score: m.score, role: m.role, inStateRing: coalesce(m.stateRing, false)}) AS members
}`
}

// MembersByNetworks returns the first members (highest score first) of
// each network, for dataloaders.
func (s *Store) MembersByNetworks(ctx context.Context, ids []string, first int) (_ map[string][]Member, err error) {
	defer wrap(&err, "Store.MembersByNetworks(%d ids, first %d)", len(ids), first)
	if err := checkFirst(first, MaxPage+1); err != nil {
		return nil, err
	}
	return readMap[[]Member](ctx, s, `UNWIND $ids AS id MATCH (n:Network {id: id})
`+membersOf("first")+`
RETURN id AS key, members AS value`, map[string]any{"ids": ids, "first": first})
}

// NetworkView is a network with the first page of its members, read in
// one statement: what network(id) shows.
type NetworkView struct {
	Network Network
	Members []Member
}

// NetworkView returns a network with its first members members (0: not
// read, nil), or ErrNotFound. One statement instead of two, as
// AccountView.
func (s *Store) NetworkView(ctx context.Context, id string, members int) (_ NetworkView, err error) {
	defer wrap(&err, "Store.NetworkView(%q, members %d)", id, members)
	if members != 0 {
		if err := checkFirst(members, MaxPage+1); err != nil {
			return NetworkView{}, err
		}
	}
	v, err := readOne[struct {
		Network networkNode
		Members []Member
	}](ctx, s, `MATCH (n:Network {id: $id})
`+membersOf("members")+`
RETURN {network: `+networkProjection+`, members: members} AS value`, map[string]any{"id": id, "members": members})
	if err != nil {
		return NetworkView{}, err
	}
	out := NetworkView{Network: v.Network.network(), Members: v.Members}
	if members == 0 {
		out.Members = nil
	}
	return out, nil
}

// EncodeMemberCursor returns the opaque cursor of a member (score
// descending, then account id).
func EncodeMemberCursor(m Member) string { return encodeCursor(m.Score, m.Account.ID) }

// MemberPageCursors are a page of members' start and end cursors, as its
// PageInfo shows them: nil when the page is empty.
func MemberPageCursors(ms []Member) (start, end *string) {
	if len(ms) == 0 {
		return nil, nil
	}
	s, e := EncodeMemberCursor(ms[0]), EncodeMemberCursor(ms[len(ms)-1])
	return &s, &e
}

// MembersAfter returns up to first members of a network after a member
// cursor, and whether more follow.
func (s *Store) MembersAfter(ctx context.Context, networkID string, first int, after string) (_ []Member, more bool, err error) {
	defer wrap(&err, "Store.MembersAfter(%q, first %d)", networkID, first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, false, err
	}
	c, err := decodeCursor(after)
	if err != nil {
		return nil, false, err
	}
	recs, err := s.apiRecords(ctx, `MATCH (n:Network {id: $id})<-[m:MEMBER_OF]-(a:Account)
WHERE coalesce(m.role, '') <> 'victim' AND (m.score < $s OR (m.score = $s AND a.id > $aid))
WITH m, a ORDER BY m.score DESC, a.id LIMIT $limit
RETURN `+accountProjection+` AS account, m.score AS score, m.role AS role, coalesce(m.stateRing, false) AS inStateRing`,
		map[string]any{"id": networkID, "s": c.Value, "aid": c.ID, "limit": first + 1})
	if err != nil {
		return nil, false, err
	}
	out, err := decodeRecords[Member](recs)
	if err != nil || len(out) <= first {
		return out, false, err
	}
	return out[:first], true, nil
}

// MemberEvidence returns why an account is in a network, or ErrNotFound
// when it is not a member.
func (s *Store) MemberEvidence(ctx context.Context, networkID, accountID string) (_ MemberEvidence, err error) {
	defer wrap(&err, "Store.MemberEvidence(network %q, account %q)", networkID, accountID)
	ev, err := readOne[MemberEvidence](ctx, s, `MATCH (a:Account {id: $aid})-[m:MEMBER_OF]->(n:Network {id: $nid})
CALL (a, n) {
  MATCH (a)-[:USED_IP]->(ip:IP)<-[:USED_IP]-(b:Account)-[mb:MEMBER_OF]->(n) WHERE b <> a AND coalesce(mb.role, '') <> 'victim'
  WITH ip, count(DISTINCT b) AS c, collect(DISTINCT b.id)[..10] AS sample
  ORDER BY c DESC, ip.addr LIMIT 20
  RETURN collect({ip: `+ipProjection+`, sharedWith: c, sampleAccountIds: sample}) AS ips
}
CALL (a, n) {
  MATCH (a)-[:USED_DEVICE]->(d:Device)<-[:USED_DEVICE]-(b:Account)-[mb:MEMBER_OF]->(n) WHERE b <> a AND coalesce(mb.role, '') <> 'victim'
  WITH d, count(DISTINCT b) AS c, collect(DISTINCT b.id)[..10] AS sample
  ORDER BY c DESC, d.id LIMIT 20
  RETURN collect({device: `+deviceProjection+`, sharedWith: c, sampleAccountIds: sample}) AS devices
}
CALL (a, n) {
  MATCH (a)-[:LOOKED_UP]->(t:Target)<-[:LOOKED_UP]-(b:Account)-[mb:MEMBER_OF]->(n) WHERE b <> a AND coalesce(mb.role, '') <> 'victim'
  WITH t, count(DISTINCT b) AS c, collect(DISTINCT b.id)[..10] AS sample
  ORDER BY c DESC, t.key LIMIT 20
  RETURN collect({target: `+targetProjection+`, sharedWith: c, sampleAccountIds: sample}) AS targets
}
CALL (a, n) {
  MATCH (a)-[:USED_IP|USED_DEVICE|LOOKED_UP]->()<-[:USED_IP|USED_DEVICE|LOOKED_UP]-(b:Account)-[mb:MEMBER_OF]->(n) WHERE b <> a AND coalesce(mb.role, '') <> 'victim'
  RETURN count(DISTINCT b) AS linked
}
RETURN {account: `+accountProjection+`, networkId: n.id, score: m.score, role: m.role, sharedIPs: ips,
  sharedDevices: devices, sharedTargets: targets, linkedMembers: linked} AS value`,
		map[string]any{"aid": accountID, "nid": networkID})
	return ev, err
}

// SharedResources returns the IPs, devices and targets used by at least
// two members of a network, most shared first, first of each kind.
func (s *Store) SharedResources(ctx context.Context, networkID string, first int) (_ SharedResources, err error) {
	defer wrap(&err, "Store.SharedResources(%q, first %d)", networkID, first)
	if err := checkFirst(first, MaxUsagePage); err != nil {
		return SharedResources{}, err
	}
	return readOne[SharedResources](ctx, s, `MATCH (n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account)-[:USED_IP]->(x:IP) WHERE coalesce(m.role, '') <> 'victim'
  WITH x, count(DISTINCT a) AS c WHERE c >= 2
  ORDER BY c DESC, x.addr LIMIT $first
  RETURN collect({id: x.addr, label: x.addr, members: c}) AS ips
}
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account)-[:USED_DEVICE]->(x:Device) WHERE coalesce(m.role, '') <> 'victim'
  WITH x, count(DISTINCT a) AS c WHERE c >= 2
  ORDER BY c DESC, x.id LIMIT $first
  RETURN collect({id: x.id, label: x.id, members: c}) AS devices
}
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account)-[:LOOKED_UP]->(x:Target) WHERE coalesce(m.role, '') <> 'victim'
  WITH x, count(DISTINCT a) AS c WHERE c >= 2
  ORDER BY c DESC, x.key LIMIT $first
  RETURN collect({id: x.key, label: x.masked, members: c}) AS targets
}
RETURN {ips: ips, devices: devices, targets: targets} AS value`, map[string]any{"id": networkID, "first": first})
}

// Detection runs.

const runProjection = `r {.id, .startedAt, .finishedAt, .params, .stats, .error, .status, .readPath,
	networkCount: COUNT { MATCH (n:Network) WHERE n.runId = r.id }}`

// runNode is a DetectionRun node's properties as stored (params and
// stats are JSON text).
type runNode struct {
	ID                    string
	StartedAt, FinishedAt *time.Time
	Params, Stats         any
	Error                 *string
	Status                string
	ReadPath              *ReadPath
	NetworkCount          int
}

func (r runNode) run() DetectionRun {
	run := DetectionRun{
		ID: r.ID, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Params: jsonValue(r.Params), Stats: jsonValue(r.Stats), Error: r.Error,
		ReadPath: r.ReadPath, NetworkCount: r.NetworkCount,
	}
	switch st := strings.ToUpper(r.Status); {
	case run.Error != nil && *run.Error != "", st == "FAILED":
		run.Status = RunFailed
	case run.FinishedAt != nil, st == "FINISHED", st == "DONE":
		run.Status = RunFinished
	default:
		run.Status = RunRunning
	}
	return run
}

// readRuns runs a read whose records are (key, value: a run projection).
func readRuns(ctx context.Context, s *Store, cypher string, params map[string]any) ([]keyed[DetectionRun], error) {
	recs, err := s.apiRecords(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	rows, err := decodeRecords[keyed[runNode]](recs)
	if err != nil {
		return nil, err
	}
	out := make([]keyed[DetectionRun], len(rows))
	for i, r := range rows {
		out[i] = keyed[DetectionRun]{Key: r.Key, Value: r.Value.run()}
	}
	return out, nil
}

// DetectionRuns returns the newest runs first.
func (s *Store) DetectionRuns(ctx context.Context, first int) (_ []DetectionRun, err error) {
	defer wrap(&err, "Store.DetectionRuns(%d)", first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, err
	}
	rows, err := readRuns(ctx, s, `MATCH (r:DetectionRun) WITH r ORDER BY r.startedAt DESC, r.id DESC LIMIT $first
RETURN r.id AS key, `+runProjection+` AS value`, map[string]any{"first": first})
	if err != nil {
		return nil, err
	}
	out := make([]DetectionRun, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Value)
	}
	return out, nil
}

// RunsByIDs returns the runs that exist among ids.
func (s *Store) RunsByIDs(ctx context.Context, ids []string) (_ map[string]DetectionRun, err error) {
	defer wrap(&err, "Store.RunsByIDs(%d ids)", len(ids))
	rows, err := readRuns(ctx, s, `UNWIND $ids AS id MATCH (r:DetectionRun {id: id}) RETURN id AS key, `+runProjection+` AS value`,
		map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	out := make(map[string]DetectionRun, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// Victims returns the accounts a network's lookups found (EXPOSED), by
// rank (highest score first), each with role victim.
func (s *Store) Victims(ctx context.Context, networkID string, first int) (_ []Member, err error) {
	defer wrap(&err, "Store.Victims(%q, %d)", networkID, first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, err
	}
	recs, err := s.apiRecords(ctx, `MATCH (:Network {id: $id})-[m:EXPOSED]->(a:Account)
WITH m, a ORDER BY m.rank, a.id LIMIT $first
RETURN `+accountProjection+` AS account, m.score AS score, 'victim' AS role`, map[string]any{"id": networkID, "first": first})
	if err != nil {
		return nil, err
	}
	return decodeRecords[Member](recs)
}
