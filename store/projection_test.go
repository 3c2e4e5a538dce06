package store_test

import (
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// recorder is a ProjectionSink that keeps what it is given.
type recorder struct {
	accounts map[int64]string
	created  map[string]int64
	allow    map[string]bool
	ips      map[int64]string
	asn      map[string]uint32
	devices  map[int64]string
	blocks   map[int64]string
	offsets  map[int64]int64
	edges    map[string][][6]int64
	matches  [][2]int64
	size     store.ProjectionSize
}

func newRecorder() *recorder {
	return &recorder{accounts: map[int64]string{}, created: map[string]int64{}, allow: map[string]bool{}, ips: map[int64]string{},
		asn: map[string]uint32{}, devices: map[int64]string{}, blocks: map[int64]string{}, offsets: map[int64]int64{}, edges: map[string][][6]int64{}}
}

func (r *recorder) Expect(n store.ProjectionSize) { r.size = n }
func (r *recorder) Account(ref int64, id string, createdAt int64, country string, allow bool) {
	r.accounts[ref], r.created[id], r.allow[id] = id, createdAt, allow
}
func (r *recorder) IP(ref int64, addr string, asn uint32, asOrg, country, kind string) {
	r.ips[ref], r.asn[addr] = addr, asn
}
func (r *recorder) Device(ref int64, id string) { r.devices[ref] = id }
func (r *recorder) Target(ref int64, block string, offset int64) {
	r.blocks[ref], r.offsets[ref] = block, offset
}
func (r *recorder) Edge(rel string, a, res, first, last, count, hits int64) {
	r.edges[rel] = append(r.edges[rel], [6]int64{a, res, first, last, count, hits})
}
func (r *recorder) Match(t, a int64) { r.matches = append(r.matches, [2]int64{t, a}) }

func seedProjection(t *testing.T, s *store.Store) time.Time {
	t.Helper()
	c := ctx(t)
	if err := s.Migrate(c); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 9, 3, 2, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.MergeAccounts(c, []store.AccountRow{{ID: "a1", CreatedAt: at.Add(-48 * time.Hour), Country: "US"}, {ID: "a2", Country: "DE"}, {ID: "victim"}}))
	must(s.MergeIPs(c, []store.IPRow{{Addr: "203.0.113.9", ASN: 64500, ASOrg: "Example Hosting", Country: "NL", Kind: "datacenter"}}))
	must(s.MergeDevices(c, []store.DeviceRow{{ID: "dev-1", OS: "android"}}))
	phone := store.TargetRow{Key: "k1", Masked: "+1 415 ***-**23", Kind: "phone", Region: "US", Block: "+1415555", Offset: 2323}
	email := store.TargetRow{Key: "k2", Masked: "j***@example.com", Kind: "email", Block: "example.com", Offset: -1}
	must(s.MergeTargets(c, []store.TargetRow{phone, email}))
	must(s.WriteEdges(c, "b1", store.RelUsedIP, []store.EdgeRow{{From: "a1", To: "203.0.113.9", First: at, Last: at.Add(time.Hour), Count: 3}, {From: "a2", To: "203.0.113.9", First: at, Last: at, Count: 1}}))
	must(s.WriteEdges(c, "b2", store.RelUsedDevice, []store.EdgeRow{{From: "a1", To: "dev-1", First: at, Last: at, Count: 2}}))
	must(s.WriteEdges(c, "b3", store.RelLookedUp, []store.EdgeRow{{From: "a1", To: "k1", First: at, Last: at, Count: 1, Hits: 1, Target: &phone}, {From: "a2", To: "k2", First: at, Last: at, Count: 4, Target: &email}}))
	must(s.MergeMatched(c, []store.MatchRow{{Target: "k1", Account: "victim"}}))
	_, err := s.SetAllowlisted(c, "a2", true, "known reporter", store.AuditEvent{Actor: "tester", Action: "allowlistAccount"})
	must(err)
	return at
}

func TestReadProjection(t *testing.T) {
	s := storetest.New(t)
	at := seedProjection(t, s)
	for _, via := range []string{store.ProjectionCypher, store.ProjectionPacked, store.ProjectionAuto} {
		t.Run(via, func(t *testing.T) { checkProjection(t, s, via, at) })
	}
	if err := s.ReadProjectionVia(ctx(t), "fast", newRecorder(), nil); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("unknown read path: err = %v, want ErrInvalidArgument", err)
	}
}

func checkProjection(t *testing.T, s *store.Store, via string, at time.Time) {
	r := newRecorder()
	stages := map[string]int{}
	if err := s.ReadProjectionVia(ctx(t), via, r, func(stage string, done, total int) { stages[stage] = total }); err != nil {
		t.Fatal(err)
	}
	if len(r.accounts) != 3 || r.created["a1"] != at.Add(-48*time.Hour).Unix() || r.created["a2"] != 0 || !r.allow["a2"] || r.allow["a1"] {
		t.Errorf("accounts %v created %v allow %v", r.accounts, r.created, r.allow)
	}
	if r.asn["203.0.113.9"] != 64500 || len(r.devices) != 1 {
		t.Errorf("ips %v devices %v", r.asn, r.devices)
	}
	var phone, email int64
	for ref, b := range r.blocks {
		switch b {
		case "+1415555":
			phone = ref
		case "example.com":
			email = ref
		}
	}
	// E-mail targets carry no block, so they are not read as nodes; they
	// reach the sink through the lookups that reference them.
	if r.offsets[phone] != 2323 || email != 0 || len(r.blocks) != 1 {
		t.Errorf("target blocks %v offsets %v, want only the phone number", r.blocks, r.offsets)
	}
	ip := r.edges[store.RelUsedIP]
	if len(ip) != 2 || len(r.edges[store.RelUsedDevice]) != 1 || len(r.edges[store.RelLookedUp]) != 2 {
		t.Fatalf("edges %v", r.edges)
	}
	slices.SortFunc(ip, func(x, y [6]int64) int { return int(y[4] - x[4]) })
	if r.accounts[ip[0][0]] != "a1" || ip[0][2] != at.Unix() || ip[0][3] != at.Add(time.Hour).Unix() || ip[0][4] != 3 {
		t.Errorf("USED_IP edge %v", ip[0])
	}
	for _, e := range r.edges[store.RelLookedUp] {
		switch {
		case e[1] == phone && (e[5] != 1 || r.accounts[e[0]] != "a1"):
			t.Errorf("LOOKED_UP edge %v, want a1 with 1 hit", e)
		case e[1] != phone && (e[4] != 4 || r.accounts[e[0]] != "a2"):
			t.Errorf("LOOKED_UP edge %v, want a2's 4 e-mail lookups", e)
		}
	}
	if len(r.matches) != 1 || r.matches[0][0] != phone || r.accounts[r.matches[0][1]] != "victim" {
		t.Errorf("matches %v", r.matches)
	}
	if want := (store.ProjectionSize{Accounts: 3, IPs: 1, Devices: 1, Targets: 2, UsedIP: 2, UsedDevice: 1, LookedUp: 2, Matched: 1}); r.size != want {
		t.Errorf("expected size %+v, want %+v", r.size, want)
	}
	if stages["accounts"] != 3 || stages["targets"] != 2 || stages["MATCHED"] != 1 {
		t.Errorf("progress totals %v", stages)
	}
}

func TestWriteNetworksAndRuns(t *testing.T) {
	s := storetest.New(t)
	seedProjection(t, s)
	c := ctx(t)
	t0 := time.Now()
	if err := s.StartRun(c, "run_1", t0, `{"algorithm":"leiden"}`); err != nil {
		t.Fatal(err)
	}
	net := store.NetworkRow{ID: "run_1-n0001", Key: "run_1-n0001", Size: 2, Score: 0.9, Signals: `[{"name":"sweep","value":1}]`,
		StateLinked: true, StateConfidence: 0.7, StateReasons: []string{"watched ASN"}, Evidence: []string{"2 accounts ..."},
		Members: []store.MemberRow{{AccountID: "a1", Score: 0.9, Role: "core", StateRing: true}, {AccountID: "a2", Score: 0.6, Role: "peripheral"}, {AccountID: "victim", Score: 0.45, Role: "victim"}}}
	if err := s.WriteNetworks(c, "run_1", []store.NetworkRow{net}, nil); err != nil {
		t.Fatal(err)
	}
	// Writing again (a retried batch) changes nothing.
	if err := s.WriteNetworks(c, "run_1", []store.NetworkRow{net}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(c, "run_1", t0.Add(time.Second), `{"written":1}`); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "MATCH (:Account)-[m:MEMBER_OF]->(:Network {id: 'run_1-n0001'}) RETURN count(m) AS n", nil); n != 2 {
		t.Errorf("%d memberships, want 2 (a victim is not a member)", n)
	}
	if n := count(t, s, "MATCH (:Network {id: 'run_1-n0001'})-[e:EXPOSED {rank: 1, score: 0.45}]->(:Account {id: 'victim'}) RETURN count(e) AS n", nil); n != 1 {
		t.Errorf("%d EXPOSED relationships to the victim, want 1", n)
	}
	if n := count(t, s, "MATCH (a:Account {id: 'a1'}) WHERE a.score = 0.9 AND a.scoreRunId = 'run_1' RETURN count(a) AS n", nil); n != 1 {
		t.Error("member score not set on the account")
	}
	if n := count(t, s, "MATCH (a:Account {id: 'victim'}) WHERE a.score IS NULL RETURN count(a) AS n", nil); n != 1 {
		t.Error("a victim got a member score")
	}
	// The indicator rests on a ring of a1 alone: eval reads it back.
	rn, err := s.RunNetworks(c, "run_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rn) != 1 || !rn[0].StateLinked || !slices.Equal(sorted(rn[0].Members), []string{"a1", "a2"}) || !slices.Equal(rn[0].StateMembers, []string{"a1"}) {
		t.Errorf("RunNetworks = %+v, want a1 and a2, the indicator resting on a1", rn)
	}
	if n := count(t, s, "MATCH (:Account {id: 'a2'})-[m:MEMBER_OF]->() WHERE m.stateRing IS NULL RETURN count(m) AS n", nil); n != 1 {
		t.Error("a member outside the ring has a stateRing property")
	}
	run, prev, err := s.LatestNetworks(c, "run_2")
	if err != nil {
		t.Fatal(err)
	}
	if run != "run_1" || len(prev) != 1 || prev[0].Key != "run_1-n0001" || !slices.Equal(sorted(prev[0].Members), []string{"a1", "a2"}) {
		t.Errorf("LatestNetworks = %q %+v", run, prev)
	}
	// The API reads what we wrote.
	got, err := s.NetworksByIDs(c, []string{"run_1-n0001"})
	if err != nil {
		t.Fatal(err)
	}
	if g := got["run_1-n0001"]; g.Score != 0.9 || g.Size != 2 || !g.StateLinked.Possible || len(g.Signals) != 1 || g.Signals[0].Name != "sweep" {
		t.Errorf("API reads %+v", g)
	}
	// Both member reads say who is in the ring.
	// A cursor above every score: the page holds both members.
	page, _, err := s.MembersAfter(c, "run_1-n0001", 10, base64.RawURLEncoding.EncodeToString([]byte("1~a")))
	if err != nil {
		t.Fatal(err)
	}
	batched, err := s.MembersByNetworks(c, []string{"run_1-n0001"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, ms := range [][]store.Member{page, batched["run_1-n0001"]} {
		ring := map[string]bool{}
		for _, m := range ms {
			ring[m.Account.ID] = m.InStateRing
		}
		if len(ring) != 2 || !ring["a1"] || ring["a2"] {
			t.Errorf("members' InStateRing = %v, want a1 only", ring)
		}
	}

	// A second run fails after writing part of its networks: they go, the
	// run is marked failed, and run_1 is untouched.
	if err := s.StartRun(c, "run_2", t0.Add(time.Minute), `{}`); err != nil {
		t.Fatal(err)
	}
	part := net
	part.ID, part.Key, part.PredecessorID = "run_2-n0001", "run_1-n0001", "run_1-n0001"
	if err := s.WriteNetworks(c, "run_2", []store.NetworkRow{part}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FailRun(c, "run_2", time.Now(), errors.New("neo4j went away")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "MATCH (n:Network {runId: 'run_2'}) RETURN count(n) AS n", nil); n != 0 {
		t.Errorf("failed run left %d networks", n)
	}
	if n := count(t, s, "MATCH (r:DetectionRun {id: 'run_2', status: 'failed'}) WHERE r.error CONTAINS 'went away' AND r.finishedAt IS NULL RETURN count(r) AS n", nil); n != 1 {
		t.Error("failed run not marked failed with its error")
	}
	if n := count(t, s, "MATCH (:Account)-[m:MEMBER_OF]->(:Network {runId: 'run_1'}) RETURN count(m) AS n", nil); n != 2 {
		t.Errorf("run_1 has %d memberships after run_2 failed, want 2", n)
	}
	latest, err := s.LatestRunID(c)
	if err != nil || latest != "run_1" {
		t.Errorf("LatestRunID = %q, %v; want run_1", latest, err)
	}
}

func sorted(l []string) []string {
	l = slices.Clone(l)
	slices.Sort(l)
	return l
}
