package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/signals"
	"github.com/lockstep-dev/lockstep/store"
)

const (
	viewer  = store.RoleViewer
	analyst = store.RoleAnalyst
	admin   = store.RoleAdmin
)

func TestHealthz(t *testing.T) {
	h := newHarness(t, server.Config{})
	resp, err := http.Get(h.ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: status %d, want 200", resp.StatusCode)
	}
}

func TestViewer(t *testing.T) {
	h := newHarness(t, server.Config{})
	var got struct {
		Viewer struct{ KeyID, Name, Role string }
	}
	h.ok(analyst, `{ viewer { keyId name role } }`, nil, &got)
	if got.Viewer.Role != "ANALYST" || got.Viewer.Name != "analyst-key" || got.Viewer.KeyID != h.keyIDs[analyst] {
		t.Fatalf("viewer = %+v", got.Viewer)
	}
}

func TestAccountQuery(t *testing.T) {
	h := newHarness(t, server.Config{})
	var got struct {
		Account struct {
			ID, Handle, Country string
			Verified            bool
			LookupCount         int
			LastSeenAt          *string
			Ips                 []struct {
				IP struct {
					Addr         string
					Kind         string
					AccountCount int
				}
				Count int
				First string
			}
			Devices []struct {
				Device struct{ ID string }
				Count  int
			}
			Lookups []struct {
				Target      struct{ Key, Masked string }
				Count, Hits int
			}
			Memberships []struct {
				Network struct{ ID string }
				Role    string
			}
		}
		Missing *struct{ ID string }
		Unseen  struct{ LastSeenAt *string }
	}
	h.ok(viewer, `{
  account(id: "a01") { id handle country verified lookupCount lastSeenAt
    ips { ip { addr kind accountCount } count first }
    devices { device { id } count }
    lookups(first: 2) { target { key masked } count hits }
    memberships { network { id } role } }
  missing: account(id: "nope") { id }
  unseen: account(id: "a12") { lastSeenAt }
}`, nil, &got)
	a := got.Account
	// The latest login over its IPs and devices; none for an account
	// never seen logging in.
	if a.LastSeenAt == nil || *a.LastSeenAt != "2026-03-05T10:00:00Z" || got.Unseen.LastSeenAt != nil {
		t.Errorf("lastSeenAt = %v, unseen account's = %v", a.LastSeenAt, got.Unseen.LastSeenAt)
	}
	if a.ID != "a01" || a.Handle != "user01" || a.Country != "IR" || a.Verified || a.LookupCount != 4 {
		t.Errorf("account = %+v", a)
	}
	if len(a.Ips) != 2 || a.Ips[0].IP.Addr != "203.0.113.7" || a.Ips[0].IP.AccountCount != 6 || a.Ips[0].Count != 11 || a.Ips[0].First != "2026-02-01T00:00:00Z" {
		t.Errorf("ips = %+v", a.Ips)
	}
	if len(a.Devices) != 1 || a.Devices[0].Device.ID != "dev-1" {
		t.Errorf("devices = %+v", a.Devices)
	}
	if len(a.Lookups) != 2 || !strings.HasSuffix(a.Lookups[0].Target.Masked, "xx") || len(a.Lookups[0].Target.Key) != 64 {
		t.Errorf("lookups = %+v", a.Lookups)
	}
	if len(a.Memberships) != 2 || a.Memberships[0].Network.ID != "n2a" || a.Memberships[1].Network.ID != "n1" {
		t.Errorf("memberships (newest run first) = %+v", a.Memberships)
	}
	if got.Missing != nil {
		t.Errorf("missing account = %+v, want null", got.Missing)
	}
}

func TestInfrastructureQueries(t *testing.T) {
	h := newHarness(t, server.Config{})
	var got struct {
		IP struct {
			Addr, AsnOrg string
			Asn          int
			Accounts     []struct {
				Account struct{ ID string }
				Count   int
			}
		}
		Device struct {
			ID, Os       string
			AccountCount int
			Accounts     []struct{ Account struct{ ID string } }
		}
		Target struct {
			Key, Masked, Kind, Region string
			LookerCount               int
			MatchedAccounts           []struct{ ID string }
		}
	}
	h.ok(viewer, `query($k: ID!) {
  ip(addr: "203.0.113.7") { addr asn asnOrg accounts(first: 2) { account { id } count } }
  device(id: "dev-1") { id os accountCount accounts { account { id } } }
  target(key: $k) { key masked kind region lookerCount matchedAccounts { id } }
}`, map[string]any{"k": h.tkeys[0]}, &got)
	if got.IP.Asn != 64500 || len(got.IP.Accounts) != 2 || got.IP.Accounts[0].Account.ID != "a06" || got.IP.Accounts[0].Count != 16 {
		t.Errorf("ip = %+v (want most active first)", got.IP)
	}
	if got.Device.AccountCount != 3 || len(got.Device.Accounts) != 3 {
		t.Errorf("device = %+v", got.Device)
	}
	if got.Target.Key != h.tkeys[0] || got.Target.LookerCount != 6 || got.Target.Kind != "phone" || got.Target.Region != "US" ||
		len(got.Target.MatchedAccounts) != 1 || got.Target.MatchedAccounts[0].ID != "a09" {
		t.Errorf("target = %+v", got.Target)
	}
}

func TestTargetHasNoBlockOrOffset(t *testing.T) {
	// block + offset is the raw number: the schema must not offer them.
	h := newHarness(t, server.Config{})
	for _, f := range []string{"block", "offset"} {
		h.fails(viewer, `query($k: ID!) { target(key: $k) { `+f+` } }`, map[string]any{"k": h.tkeys[0]}, "GRAPHQL_VALIDATION_FAILED", "Cannot query field")
	}
}

func TestTargetByNumber(t *testing.T) {
	h := newHarness(t, server.Config{TargetPerMin: 600, TargetBurst: 10})
	var got struct {
		TargetByNumber *struct{ Key, Masked string }
	}
	h.ok(admin, `query($n: String!) { targetByNumber(number: $n) { key masked } }`, map[string]any{"n": rawNumbers[0]}, &got)
	if got.TargetByNumber == nil || got.TargetByNumber.Key != h.tkeys[0] {
		t.Fatalf("targetByNumber = %+v", got.TargetByNumber)
	}
	// National form with a region finds the same target.
	h.ok(admin, `query($n: String!) { targetByNumber(number: $n, region: "US") { key } }`, map[string]any{"n": "(415) 555-0101"}, &got)
	if got.TargetByNumber == nil || got.TargetByNumber.Key != h.tkeys[0] {
		t.Fatalf("targetByNumber national = %+v", got.TargetByNumber)
	}
	// Never seen: null. Invalid: an error without the digits.
	h.ok(admin, `{ targetByNumber(number: "+14155550199") { key } }`, nil, &got)
	if got.TargetByNumber != nil {
		t.Fatalf("unseen number = %+v, want null", got.TargetByNumber)
	}
	r := h.fails(admin, `query($n: String!) { targetByNumber(number: $n) { key } }`, map[string]any{"n": "4155550104"}, "BAD_USER_INPUT", "number")
	if strings.Contains(r.Errors[0].Message, "4155550104") {
		t.Fatalf("error echoes the number: %s", r.Errors[0].Message)
	}
	// A number where a string belongs: the validator's message is redacted.
	r = h.do(admin, `{ targetByNumber(number: 14155550103) { key } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "[11 digits]") {
		t.Fatalf("validation error = %+v, want the literal redacted", r.Errors)
	}
	// Audited with the key, never the number.
	var audit struct {
		AuditEvents []struct {
			Action, Actor string
			Subject       *string
			Rows          int
		}
	}
	h.ok(admin, `{ auditEvents(action: "targetByNumber") { action actor subject rows } }`, nil, &audit)
	if len(audit.AuditEvents) != 4 || audit.AuditEvents[3].Subject == nil || *audit.AuditEvents[3].Subject != h.tkeys[0] || audit.AuditEvents[3].Rows != 1 {
		t.Fatalf("audit = %+v", audit.AuditEvents)
	}
}

func TestTargetByNumberRateLimited(t *testing.T) {
	h := newHarness(t, server.Config{TargetPerMin: 1, TargetBurst: 2})
	q := `query($n: String!) { targetByNumber(number: $n) { key } }`
	vars := map[string]any{"n": rawNumbers[1]}
	h.ok(admin, q, vars, nil)
	h.ok(admin, q, vars, nil)
	r := h.fails(admin, q, vars, "RATE_LIMITED", "retry in")
	if r.Errors[0].Extensions["retryAfterSeconds"] == nil {
		t.Fatalf("no retryAfterSeconds: %+v", r.Errors[0])
	}
}

func TestNeighborhood(t *testing.T) {
	h := newHarness(t, server.Config{})
	type nb struct {
		Neighborhood struct {
			Nodes []struct {
				ID, Kind, Label string
				Depth           int
				Score           *float64
			}
			Edges []struct {
				Source, Target, TargetKind string
				Count                      int
			}
			Truncated bool
		}
	}
	var got nb
	h.ok(viewer, `{ neighborhood(accountId: "a01", depth: 2, limit: 500) { nodes { id kind label depth score } edges { source target targetKind count } truncated } }`, nil, &got)
	n := got.Neighborhood
	if n.Truncated || n.Nodes[0].ID != "a01" || n.Nodes[0].Depth != 0 || n.Nodes[0].Score == nil {
		t.Fatalf("neighborhood = %+v", n)
	}
	kinds := map[string]int{}
	for _, x := range n.Nodes {
		kinds[x.Kind]++
		if x.Kind == "TARGET" && !strings.HasSuffix(x.Label, "xx") {
			t.Errorf("target label %q is not masked", x.Label)
		}
	}
	// a01..a06 accounts, 2 IPs, 1 device, 4 targets.
	if kinds["ACCOUNT"] != 6 || kinds["IP"] != 2 || kinds["DEVICE"] != 1 || kinds["TARGET"] != 4 {
		t.Errorf("node kinds = %v", kinds)
	}
	if len(n.Edges) < 6+3+6*4 {
		t.Errorf("%d edges, want every account-resource link", len(n.Edges))
	}
	h.ok(viewer, `{ neighborhood(accountId: "a01", depth: 3, limit: 5) { nodes { id } truncated } }`, nil, &got)
	if !got.Neighborhood.Truncated || len(got.Neighborhood.Nodes) != 5 {
		t.Errorf("limited neighborhood: %d nodes, truncated %v", len(got.Neighborhood.Nodes), got.Neighborhood.Truncated)
	}
	for _, q := range []string{
		`{ neighborhood(accountId: "a01", depth: 4) { truncated } }`,
		`{ neighborhood(accountId: "a01", limit: 501) { truncated } }`,
		`{ neighborhood(accountId: "a01", depth: 0) { truncated } }`,
	} {
		h.fails(viewer, q, nil, "BAD_USER_INPUT", "must be between")
	}
}

func TestNetworksConnection(t *testing.T) {
	h := newHarness(t, server.Config{})
	type page struct {
		Networks struct {
			TotalCount int
			Edges      []struct {
				Cursor string
				Node   struct {
					ID, RunID, Key string
					Score          float64
					Size           int
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var got page
	// Default: the latest finished run, highest score first.
	h.ok(viewer, `{ networks(first: 1) { totalCount edges { cursor node { id runId key score size } } pageInfo { hasNextPage endCursor } } }`, nil, &got)
	if got.Networks.TotalCount != 2 || len(got.Networks.Edges) != 1 || got.Networks.Edges[0].Node.ID != "n2a" || !got.Networks.PageInfo.HasNextPage {
		t.Fatalf("page 1 = %+v", got.Networks)
	}
	after := *got.Networks.PageInfo.EndCursor
	h.ok(viewer, `query($a: String) { networks(first: 1, after: $a) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"a": after}, &got)
	if len(got.Networks.Edges) != 1 || got.Networks.Edges[0].Node.ID != "n2b" || got.Networks.PageInfo.HasNextPage {
		t.Fatalf("page 2 = %+v", got.Networks)
	}
	cases := []struct {
		name, args string
		want       []string
	}{
		{"run 1", `filter: {runId: "run-1"}`, []string{"n1"}},
		{"min score", `filter: {minScore: 0.5}`, []string{"n2a"}},
		{"max score", `filter: {maxScore: 0.5}`, []string{"n2b"}},
		{"min size", `filter: {minSize: 3}`, []string{"n2a"}},
		{"state-linked", `filter: {stateLinked: true}`, []string{"n2a"}},
		{"not state-linked", `filter: {stateLinked: false}`, []string{"n2b"}},
		{"signal", `filter: {signal: {name: VELOCITY}}`, []string{"n2b"}},
		// Every network carries DATACENTER; none got the default 0.02
		// from it, n2b got 0.01.
		{"signal that added nothing", `filter: {signal: {name: DATACENTER}}`, nil},
		{"signal with a lower bar", `filter: {signal: {name: DATACENTER, minContribution: 0.005}}`, []string{"n2b"}},
		{"signal above its contribution", `filter: {signal: {name: SWEEP, minContribution: 0.7}}`, nil},
		{"signal and score", `filter: {signal: {name: SWEEP}, minScore: 0.5}`, []string{"n2a"}},
		{"country", `filter: {country: "IR"}`, []string{"n2a"}},
		{"unreviewed", `filter: {reviewStatus: UNREVIEWED}`, []string{"n2a", "n2b"}},
		{"size ascending", `orderBy: {field: SIZE, direction: ASC}`, []string{"n2b", "n2a"}},
		{"id descending", `orderBy: {field: ID, direction: DESC}`, []string{"n2b", "n2a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got page
			h.sub(t).ok(viewer, `{ networks(`+c.args+`) { totalCount edges { node { id } } } }`, nil, &got)
			var ids []string
			for _, e := range got.Networks.Edges {
				ids = append(ids, e.Node.ID)
			}
			if strings.Join(ids, ",") != strings.Join(c.want, ",") || got.Networks.TotalCount != len(c.want) {
				t.Errorf("got %v (total %d), want %v", ids, got.Networks.TotalCount, c.want)
			}
		})
	}
	h.fails(viewer, `{ networks(first: 1, after: "garbage") { totalCount } }`, nil, "BAD_USER_INPUT", "malformed cursor")
	h.fails(viewer, `{ networks(filter: {signal: {name: sweep_coverage}}) { totalCount } }`, nil, "GRAPHQL_VALIDATION_FAILED", "sweep_coverage")
	h.fails(viewer, `{ network(id: "n2a") { memberCountries(first: 0) { count } } }`, nil, "BAD_USER_INPUT", "first must be between 1 and 100")
}

func TestNetworkDetail(t *testing.T) {
	h := newHarness(t, server.Config{})
	var got struct {
		Network struct {
			ID, Key, LineageID, ReviewStatus string
			Run                              struct{ ID, Status string }
			Signals                          []struct {
				Name                                     string
				Contribution, Strength, Weight, Measured float64
				Detail                                   *string
			}
			MemberCountries, LoginCountries *struct {
				Count int
				Top   []struct {
					Country string
					Count   int
				}
			}
			StateLinked struct {
				Possible   bool
				Confidence float64
				Reasons    []string
				Details    []struct{ Reason, Source string }
			}
			Evidence []string
			Members  struct {
				TotalCount int
				Edges      []struct {
					Cursor string
					Node   struct {
						Account struct{ ID string }
						Score   float64
						Role    string
					}
				}
				PageInfo struct{ HasNextPage bool }
			}
			Victims []struct {
				Account struct{ ID string }
				Role    string
			}
			MemberEvidence struct {
				Score     float64
				SharedIPs []struct {
					IP               struct{ Addr string }
					SharedWith       int
					SampleAccountIds []string
				}
				SharedDevices []struct{ SharedWith int }
				SharedTargets []struct {
					Target     struct{ Masked string }
					SharedWith int
				}
				LinkedMembers int
			}
			NotMember       *struct{ Score float64 }
			SharedResources struct {
				Ips, Devices, Targets []struct {
					ID      string
					Members int
				}
			}
			Predecessor *struct{ ID string }
			Successor   *struct{ ID string }
		}
	}
	h.ok(viewer, `{ network(id: "n2a") { id key lineageId reviewStatus run { id status }
  signals { name contribution strength weight measured detail }
  memberCountries(first: 2) { count top { country count } } loginCountries { count top { country count } } stateLinked { possible confidence reasons details { reason source } } evidence
  members(first: 3) { totalCount edges { cursor node { account { id } score role } } pageInfo { hasNextPage } }
  victims { account { id } role }
  memberEvidence(accountId: "a01") { score sharedIPs { ip { addr } sharedWith sampleAccountIds } sharedDevices { sharedWith } sharedTargets { target { masked } sharedWith } linkedMembers }
  notMember: memberEvidence(accountId: "a07") { score }
  sharedResources { ips { id members } devices { id members } targets { id members } }
  predecessor { id } successor { id } } }`, nil, &got)
	n := got.Network
	if n.Key != "n1" || n.LineageID != "n1" || n.Run.ID != "run-2" || n.Run.Status != "FINISHED" || n.ReviewStatus != "UNREVIEWED" {
		t.Errorf("network = %+v", n)
	}
	// Every signal, by contribution: SWEEP (0.6) before SHARED_INFRA
	// (0.05) though the latter is stronger, DATACENTER (0, strength 1)
	// first among the zeros.
	if len(n.Signals) != len(signals.All) || n.Signals[0].Name != "SWEEP" || n.Signals[0].Contribution != 0.6 ||
		n.Signals[1].Name != "SHARED_INFRA" || n.Signals[1].Strength != 0.9 || n.Signals[1].Detail == nil || n.Signals[2].Name != "DATACENTER" {
		t.Errorf("signals = %+v", n.Signals)
	}
	// A top-k with the count beside it: 3 member countries, the first 2.
	if mc := n.MemberCountries; mc == nil || mc.Count != 3 || len(mc.Top) != 2 || mc.Top[0].Country != "IR" || mc.Top[0].Count != 5 || mc.Top[1].Country != "RU" {
		t.Errorf("memberCountries = %+v", mc)
	}
	if lc := n.LoginCountries; lc == nil || lc.Count != 2 || len(lc.Top) != 2 {
		t.Errorf("loginCountries = %+v", lc)
	}
	for i := 1; i < len(n.Signals); i++ {
		if n.Signals[i].Contribution > n.Signals[i-1].Contribution {
			t.Errorf("signals not by contribution: %+v", n.Signals)
		}
	}
	if !n.StateLinked.Possible || n.StateLinked.Confidence != 0.7 || len(n.StateLinked.Reasons) != 2 || len(n.Evidence) != 1 {
		t.Errorf("stateLinked = %+v evidence = %v", n.StateLinked, n.Evidence)
	}
	// Each reason with where it came from, in the order of reasons.
	if d := n.StateLinked.Details; len(d) != 2 || d[0].Reason != n.StateLinked.Reasons[0] || d[0].Source != "CONFIGURATION" || d[1].Source != "BEHAVIOUR" {
		t.Errorf("stateLinked.details = %+v", d)
	}
	if n.Members.TotalCount != 8 || len(n.Members.Edges) != 3 || !n.Members.PageInfo.HasNextPage || n.Members.Edges[0].Node.Account.ID != "a01" || n.Members.Edges[0].Node.Role != "core" {
		t.Errorf("members = %+v", n.Members)
	}
	if len(n.Victims) != 1 || n.Victims[0].Account.ID != "a09" || n.Victims[0].Role != "victim" {
		t.Errorf("victims = %+v", n.Victims)
	}
	ev := n.MemberEvidence
	if len(ev.SharedIPs) != 1 || ev.SharedIPs[0].IP.Addr != "203.0.113.7" || ev.SharedIPs[0].SharedWith != 5 || len(ev.SharedIPs[0].SampleAccountIds) != 5 ||
		len(ev.SharedDevices) != 1 || ev.SharedDevices[0].SharedWith != 2 || len(ev.SharedTargets) != 4 || ev.SharedTargets[0].SharedWith != 5 || ev.LinkedMembers != 5 {
		t.Errorf("memberEvidence = %+v", ev)
	}
	if n.NotMember != nil {
		t.Errorf("evidence for a non-member = %+v, want null", n.NotMember)
	}
	sr := n.SharedResources
	if len(sr.Ips) != 1 || sr.Ips[0].Members != 6 || len(sr.Devices) != 1 || sr.Devices[0].Members != 3 || len(sr.Targets) != 4 {
		t.Errorf("sharedResources = %+v", sr)
	}
	if n.Predecessor == nil || n.Predecessor.ID != "n1" || n.Successor != nil {
		t.Errorf("predecessor %+v successor %+v", n.Predecessor, n.Successor)
	}

	// The next page of members follows the cursor.
	var next struct {
		Network struct {
			Members struct {
				Edges []struct {
					Node struct{ Account struct{ ID string } }
				}
				PageInfo struct{ HasNextPage bool }
			}
		}
	}
	h.ok(viewer, `query($a: String) { network(id: "n2a") { members(first: 100, after: $a) { edges { node { account { id } } } pageInfo { hasNextPage } } } }`,
		map[string]any{"a": n.Members.Edges[2].Cursor}, &next)
	var ids []string
	for _, e := range next.Network.Members.Edges {
		ids = append(ids, e.Node.Account.ID)
	}
	if strings.Join(ids, ",") != "a04,a05,a06,a10,a11" || next.Network.Members.PageInfo.HasNextPage {
		t.Errorf("members page 2 = %v", ids)
	}

	var old struct {
		Network struct {
			Successor struct{ ID string }
			LineageID string
		}
		Missing *struct{ ID string }
	}
	h.ok(viewer, `{ network(id: "n1") { successor { id } lineageId } missing: network(id: "zz") { id } }`, nil, &old)
	if old.Network.Successor.ID != "n2a" || old.Network.LineageID != "n1" || old.Missing != nil {
		t.Errorf("n1 = %+v missing = %+v", old.Network, old.Missing)
	}
}

func TestRunsQueries(t *testing.T) {
	h := newHarness(t, server.Config{})
	// As detection records it (TestCypherFallbackRecorded runs one that
	// does); run-1 stands for a run from before it was recorded.
	if err := h.st.SetReadPath(ctxT(t), "run-2", store.ReadCypher); err != nil {
		t.Fatal(err)
	}
	var got struct {
		DetectionRuns []struct {
			ID, Status   string
			NetworkCount int
			Params       map[string]any
			FinishedAt   *string
			ReadPath     *string
		}
		DetectionRun *struct{ ID string }
		Missing      *struct{ ID string }
	}
	h.ok(viewer, `{ detectionRuns { id status networkCount params finishedAt readPath } detectionRun(id: "run-1") { id } missing: detectionRun(id: "x") { id } }`, nil, &got)
	if len(got.DetectionRuns) != 2 || got.DetectionRuns[0].ID != "run-2" || got.DetectionRuns[0].NetworkCount != 2 ||
		got.DetectionRuns[0].Status != "FINISHED" || got.DetectionRuns[0].Params["algorithm"] != "leiden" || got.DetectionRuns[0].FinishedAt == nil {
		t.Errorf("runs = %+v", got.DetectionRuns)
	}
	if len(got.DetectionRuns) == 2 && (got.DetectionRuns[0].ReadPath == nil || *got.DetectionRuns[0].ReadPath != "CYPHER" || got.DetectionRuns[1].ReadPath != nil) {
		t.Errorf("read paths %v, %v; want CYPHER for run-2, null for run-1", got.DetectionRuns[0].ReadPath, got.DetectionRuns[1].ReadPath)
	}
	if got.DetectionRun == nil || got.Missing != nil {
		t.Errorf("run = %+v missing = %+v", got.DetectionRun, got.Missing)
	}
}
