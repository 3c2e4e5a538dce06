package server_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/resolvers"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

type auditRow struct {
	Action, Actor, ActorKeyID, Role string
	Subject                         *string
	Rows                            int
	Detail                          map[string]any
}

func (h *harness) audit(action string) []auditRow {
	h.t.Helper()
	var got struct{ AuditEvents []auditRow }
	h.ok(admin, `query($a: String) { auditEvents(action: $a) { action actor actorKeyId role subject rows detail } }`, map[string]any{"a": action}, &got)
	return got.AuditEvents
}

func TestReviewNetwork(t *testing.T) {
	h := newHarness(t, server.Config{})
	var got struct {
		ReviewNetwork struct{ ID, NetworkID, Verdict, Note, By, At string }
	}
	h.ok(analyst, `mutation { reviewNetwork(id: "n1", verdict: CONFIRM, note: "sweep confirmed") { id networkId verdict note by at } }`, nil, &got)
	r := got.ReviewNetwork
	if r.NetworkID != "n1" || r.Verdict != "CONFIRM" || r.By != "analyst-key" || r.At == "" {
		t.Fatalf("review = %+v", r)
	}
	// n2a continues n1: it inherits the status and shows n1's review.
	var net struct {
		Network struct {
			ReviewStatus string
			Reviews      []struct{ NetworkID, Verdict string }
		}
	}
	h.ok(viewer, `{ network(id: "n2a") { reviewStatus reviews { networkId verdict } } }`, nil, &net)
	if net.Network.ReviewStatus != "CONFIRMED" || len(net.Network.Reviews) != 1 || net.Network.Reviews[0].NetworkID != "n1" {
		t.Fatalf("n2a after reviewing n1 = %+v", net.Network)
	}
	// Its own review wins.
	h.ok(analyst, `mutation { reviewNetwork(id: "n2a", verdict: ESCALATE, note: "") { id } }`, nil, nil)
	h.ok(viewer, `{ network(id: "n2a") { reviewStatus reviews { networkId verdict } } }`, nil, &net)
	if net.Network.ReviewStatus != "ESCALATED" || len(net.Network.Reviews) != 2 || net.Network.Reviews[0].Verdict != "ESCALATE" {
		t.Fatalf("n2a after its own review = %+v", net.Network)
	}
	var f struct {
		Networks struct{ TotalCount int }
	}
	h.ok(viewer, `{ networks(filter: {reviewStatus: ESCALATED}) { totalCount } }`, nil, &f)
	if f.Networks.TotalCount != 1 {
		t.Fatalf("escalated networks = %d, want 1", f.Networks.TotalCount)
	}
	// Seeds for the next run: the members of the confirmed network.
	seeds, err := h.st.SeedAccounts(ctxT(t))
	if err != nil || len(seeds) != 8 {
		t.Fatalf("seeds = %v, %v", seeds, err)
	}
	h.fails(analyst, `mutation { reviewNetwork(id: "nope", verdict: DISMISS, note: "") { id } }`, nil, "NOT_FOUND", "not found")
	if a := h.audit("reviewNetwork"); len(a) != 2 || *a[0].Subject != "n2a" || a[0].Actor != "analyst-key" || a[0].Role != "ANALYST" || a[0].Rows != 1 {
		t.Fatalf("audit = %+v", a)
	}
}

func TestAllowlist(t *testing.T) {
	h := newHarness(t, server.Config{})
	var got struct {
		AllowlistAccount struct {
			Allowlisted bool
			Allowlist   struct{ By, Reason, At string }
		}
	}
	h.ok(analyst, `mutation { allowlistAccount(id: "a02", reason: "known journalist") { allowlisted allowlist { by reason at } } }`, nil, &got)
	if !got.AllowlistAccount.Allowlisted || got.AllowlistAccount.Allowlist.Reason != "known journalist" || got.AllowlistAccount.Allowlist.By != "analyst-key" {
		t.Fatalf("allowlist = %+v", got.AllowlistAccount)
	}
	h.fails(analyst, `mutation { allowlistAccount(id: "a02", reason: " ") { allowlisted } }`, nil, "BAD_USER_INPUT", "reason")
	h.fails(analyst, `mutation { allowlistAccount(id: "zz", reason: "x") { allowlisted } }`, nil, "NOT_FOUND", "not found")
	var un struct{ UnallowlistAccount struct{ Allowlisted bool } }
	h.ok(analyst, `mutation { unallowlistAccount(id: "a11") { allowlisted } }`, nil, &un)
	if un.UnallowlistAccount.Allowlisted {
		t.Fatal("a11 still allowlisted")
	}
	if len(h.audit("allowlistAccount")) != 1 || len(h.audit("unallowlistAccount")) != 1 {
		t.Fatal("allowlist changes not audited")
	}
}

// TestFreeTextRedactedAndAudited: an analyst's note or reason holding a
// phone number is stored, shown and audited with it redacted (the
// harness scans every response and log line for the raw numbers).
func TestFreeTextRedactedAndAudited(t *testing.T) {
	h := newHarness(t, server.Config{})
	var rv struct{ ReviewNetwork struct{ Note string } }
	h.ok(analyst, `mutation { reviewNetwork(id: "n2b", verdict: DISMISS, note: "owner called from +1 415 555 0104, see ticket 12") { note } }`, nil, &rv)
	if rv.ReviewNetwork.Note != "owner called from [11 digits], see ticket 12" {
		t.Fatalf("note = %q", rv.ReviewNetwork.Note)
	}
	var al struct {
		AllowlistAccount struct{ Allowlist struct{ Reason string } }
	}
	h.ok(analyst, `mutation { allowlistAccount(id: "a08", reason: "journalist, 415-555-0102") { allowlist { reason } } }`, nil, &al)
	if al.AllowlistAccount.Allowlist.Reason != "journalist, [10 digits]" {
		t.Fatalf("reason = %q", al.AllowlistAccount.Allowlist.Reason)
	}
	if a := h.audit("allowlistAccount"); len(a) != 1 || a[0].Detail["reason"] != "journalist, [10 digits]" {
		t.Fatalf("audit = %+v", a)
	}
}

// TestActionAndAuditAtomic: an action whose audit cannot be written is not
// stored either (one transaction).
func TestActionAndAuditAtomic(t *testing.T) {
	h := newHarness(t, server.Config{})
	ctx := ctxT(t)
	noActor := store.AuditEvent{Action: "reviewNetwork"} // refused by the audit write
	if _, err := h.st.ReviewNetwork(ctx, "n2b", store.VerdictConfirm, "x", noActor); err == nil {
		t.Fatal("review stored without an audit")
	}
	if _, err := h.st.SetAllowlisted(ctx, "a07", true, "x", noActor); err == nil {
		t.Fatal("allowlisted without an audit")
	}
	if _, err := h.st.CreateSuspensionList(ctx, store.SuspensionCriteria{RunID: "run-2"}, noActor); err == nil {
		t.Fatal("list saved without an audit")
	}
	var got struct {
		Network         struct{ ReviewStatus string }
		Account         struct{ Allowlisted bool }
		SuspensionLists []struct{ ID string }
	}
	h.ok(viewer, `{ network(id: "n2b") { reviewStatus } account(id: "a07") { allowlisted } suspensionLists { id } }`, nil, &got)
	if got.Network.ReviewStatus != "UNREVIEWED" || got.Account.Allowlisted || len(got.SuspensionLists) != 0 {
		t.Fatalf("half-done actions visible: %+v", got)
	}
}

type suspensionResult struct {
	CreateSuspensionList struct {
		DryRun bool
		Count  int
		Sample []struct {
			AccountID, NetworkID, RunID string
			Score                       float64
			Reasons                     []string
			Account                     struct{ ID string }
		}
		List *struct {
			ID           string
			AccountCount int
			ExportPath   string
			Entries      []struct{ AccountID string }
		}
	}
}

func TestSuspensionLists(t *testing.T) {
	h := newHarness(t, server.Config{})
	q := `mutation($c: SuspensionCriteria!, $dry: Boolean) { createSuspensionList(criteria: $c, dryRun: $dry) {
  dryRun count sample { accountId networkId runId score reasons account { id } }
  list { id accountCount exportPath entries(first: 100) { accountId } } } }`
	cases := []struct {
		name     string
		criteria map[string]any
		want     string // account ids
	}{
		// a09 (victim), a10 (verified) and a11 (allowlisted) are never listed by default.
		{"run 2", map[string]any{"runId": "run-2"}, "a01,a02,a03,a04,a05,a06,a07,a08"},
		{"min score", map[string]any{"runId": "run-2", "minScore": 0.5}, "a01,a02,a03,a04,a05,a06"},
		{"chosen networks", map[string]any{"runId": "run-2", "networkIds": []string{"n2b"}}, "a07,a08"},
		{"with verified", map[string]any{"runId": "run-2", "networkIds": []string{"n2a"}, "excludeVerified": false}, "a01,a02,a03,a04,a05,a06,a10"},
		{"confirmed only", map[string]any{"runId": "run-2", "confirmedOnly": true}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got suspensionResult
			h.sub(t).ok(analyst, q, map[string]any{"c": c.criteria}, &got)
			r := got.CreateSuspensionList
			var ids []string
			for _, e := range r.Sample {
				ids = append(ids, e.AccountID)
				if e.Account.ID != e.AccountID || e.RunID != "run-2" || e.Reasons[0] != "NETWORK_MEMBER" {
					t.Errorf("entry = %+v", e)
				}
			}
			if !r.DryRun || r.List != nil || strings.Join(ids, ",") != c.want || r.Count != len(ids) {
				t.Errorf("dry run = %+v, want %s", r, c.want)
			}
		})
	}
	var got suspensionResult
	h.ok(analyst, q, map[string]any{"c": map[string]any{"runId": "run-2", "minScore": 0.5}, "dry": false}, &got)
	r := got.CreateSuspensionList
	if r.DryRun || r.List == nil || r.List.AccountCount != 6 || len(r.List.Entries) != 6 || r.List.ExportPath != "/export/suspension-lists/"+r.List.ID+"?format=csv" {
		t.Fatalf("list = %+v", r)
	}
	e := r.Sample[0]
	if e.NetworkID != "n2a" || e.Score != 0.85 || strings.Join(e.Reasons, ";") != "NETWORK_MEMBER;ROLE_CORE;SCORE_AT_LEAST_0.5" {
		t.Fatalf("entry = %+v", e)
	}
	var lists struct {
		SuspensionLists []struct {
			ID, CreatedBy string
			Criteria      map[string]any
			Entries       []struct{ AccountID string }
		}
		SuspensionList *struct{ AccountCount int }
	}
	h.ok(viewer, `query($id: ID!) { suspensionLists { id createdBy criteria entries(first: 2, after: "a02") { accountId } } suspensionList(id: $id) { accountCount } }`,
		map[string]any{"id": r.List.ID}, &lists)
	if len(lists.SuspensionLists) != 1 || lists.SuspensionLists[0].CreatedBy != "analyst-key" || lists.SuspensionLists[0].Criteria["minScore"] != 0.5 ||
		len(lists.SuspensionLists[0].Entries) != 2 || lists.SuspensionLists[0].Entries[0].AccountID != "a03" || lists.SuspensionList.AccountCount != 6 {
		t.Fatalf("lists = %+v", lists)
	}
	// A saved list, downloaded, names the download in every list field.
	_, last, _ := exportBody(t, h, r.List.ID, "csv")
	var exported struct {
		SuspensionLists []struct {
			Exports []struct{ Format, SHA256 string }
		}
	}
	h.ok(viewer, `{ suspensionLists(first: 100) { exports(first: 5) { format sha256 } } }`, nil, &exported)
	if len(exported.SuspensionLists) != 1 || len(exported.SuspensionLists[0].Exports) != 1 ||
		!strings.Contains(last, "sha256="+exported.SuspensionLists[0].Exports[0].SHA256+" ") {
		t.Fatalf("exports = %+v, want the CSV whose last line is %q", exported, last)
	}
	if a := h.audit("createSuspensionList"); len(a) != len(cases)+1 || a[0].Rows != 6 || *a[0].Subject != r.List.ID ||
		a[1].Detail["dryRun"] != true || *a[1].Subject != "dry-run" {
		t.Fatalf("audit = %+v (every dry run and the saved list)", a)
	}
	for _, bad := range []struct {
		c         map[string]any
		code, msg string
	}{
		{map[string]any{"runId": "nope"}, "NOT_FOUND", "not found"},
		{map[string]any{"runId": "run-2", "minScore": 2}, "BAD_USER_INPUT", "minScore"},
		{map[string]any{"runId": "run-2", "excludeAllowlisted": false}, "BAD_USER_INPUT", "allowlisted"},
	} {
		h.fails(analyst, q, map[string]any{"c": bad.c}, bad.code, bad.msg)
	}
}

// fakeDetector checks input and records a run like detection does, and
// waits for release before finishing, so a test can watch its progress.
func fakeDetector(st *store.Store, release chan struct{}) resolvers.DetectFunc {
	return func(in model.RunDetectionInput) (string, resolvers.DetectRun, error) {
		id, _, err := detect.Runner{Store: st, Params: detect.DefaultParams()}.Prepare(in) // the real input check
		if err != nil {
			return "", nil, err
		}
		return id, func(ctx context.Context, progress func(string, int, int)) error {
			if err := st.StartRun(ctx, id, time.Now(), `{}`); err != nil {
				return err
			}
			progress("read:accounts", 0, 12)
			<-release
			progress("communities", 1, 2)
			return st.FinishRun(ctx, id, time.Now(), `{}`)
		}, nil
	}
}

func TestRunDetectionAndProgress(t *testing.T) {
	release := make(chan struct{})
	var h *harness
	h = newHarness(t, server.Config{Detect: server.DetectorFunc(func(in model.RunDetectionInput) (string, resolvers.DetectRun, error) {
		return fakeDetector(h.st, release)(in)
	})})
	var got struct{ RunDetection struct{ ID, Status string } }
	h.ok(analyst, `mutation { runDetection(input: {algorithm: "louvain", seed: 7}) { id status } }`, nil, &got)
	run := got.RunDetection
	if run.ID == "" || run.Status != "RUNNING" {
		t.Fatalf("run = %+v", run)
	}
	h.fails(analyst, `mutation { runDetection { id } }`, nil, "CONFLICT", "still running")
	h.fails(analyst, `mutation { runDetection(input: {algorithm: "kmeans"}) { id } }`, nil, "BAD_USER_INPUT", "algorithm")

	ctx, cancel := context.WithTimeout(ctxT(t), time.Minute)
	defer cancel()
	events := subscribe(t, h, ctx, h.keys[viewer], `subscription($id: ID!) { detectionProgress(runId: $id) { runId stage done total status } }`, map[string]any{"id": run.ID})
	first := <-events
	for strings.Contains(first, `"stage":"queued"`) { // subscribed before the run's first step
		first = <-events
	}
	if !strings.Contains(first, `"stage":"read:accounts"`) || !strings.Contains(first, `"status":"RUNNING"`) {
		t.Fatalf("first event = %s", first)
	}
	close(release)
	var last string
	for ev := range events {
		last = ev
	}
	if !strings.Contains(last, `"status":"FINISHED"`) {
		t.Fatalf("last event = %s", last)
	}
	// A finished run: one event from the store, then the end.
	events = subscribe(t, h, ctx, h.keys[viewer], `subscription($id: ID!) { detectionProgress(runId: $id) { status } }`, map[string]any{"id": run.ID})
	if ev := <-events; !strings.Contains(ev, "FINISHED") {
		t.Fatalf("stored event = %s", ev)
	}
	if a := h.audit("runDetection"); len(a) != 1 || *a[0].Subject != run.ID || a[0].Detail["algorithm"] != "louvain" {
		t.Fatalf("audit = %+v", a)
	}
}

func TestRunDetectionReal(t *testing.T) {
	var h *harness
	h = newHarness(t, server.Config{Detect: server.DetectorFunc(func(in model.RunDetectionInput) (string, resolvers.DetectRun, error) {
		return detect.Runner{Store: h.st, Params: detect.DefaultParams()}.Prepare(in)
	})})
	var got struct{ RunDetection struct{ ID string } }
	h.ok(analyst, `mutation { runDetection(input: {minSize: 3}) { id } }`, nil, &got)
	ctx, cancel := context.WithTimeout(ctxT(t), 2*time.Minute)
	defer cancel()
	var last string
	for ev := range subscribe(t, h, ctx, h.keys[viewer], `subscription($id: ID!) { detectionProgress(runId: $id) { stage status message } }`, map[string]any{"id": got.RunDetection.ID}) {
		last = ev
	}
	if !strings.Contains(last, "FINISHED") {
		t.Fatalf("last event = %s", last)
	}
	var run struct{ DetectionRun struct{ Status string } }
	h.ok(viewer, `query($id: ID!) { detectionRun(id: $id) { status } }`, map[string]any{"id": got.RunDetection.ID}, &run)
	if run.DetectionRun.Status != "FINISHED" {
		t.Fatalf("run = %+v", run)
	}
}

// TestRunDetectionBadInput: input detection would refuse is the client's
// error, refused before anything starts.
func TestRunDetectionBadInput(t *testing.T) {
	var hh *harness
	hh = newHarness(t, server.Config{Detect: server.DetectorFunc(func(in model.RunDetectionInput) (string, resolvers.DetectRun, error) {
		return detect.Runner{Store: hh.st, Params: detect.DefaultParams()}.Prepare(in)
	})})
	for _, c := range []struct{ input, msg string }{
		{`{algorithm: "kmeans"}`, "algorithm"},
		{`{resolution: 0}`, "resolution"},
		{`{resolution: -1}`, "resolution"},
		{`{minScore: 2}`, "minWriteScore"},
		{`{minScore: -0.5}`, "minWriteScore"},
		{`{seed: -1}`, "seed"},
		{`{minSize: -3}`, "inSize"},
	} {
		t.Run(c.input, func(t *testing.T) {
			hh.sub(t).fails(analyst, `mutation { runDetection(input: `+c.input+`) { id } }`, nil, "BAD_USER_INPUT", c.msg)
		})
	}
	if a := hh.audit("runDetection"); len(a) != 0 {
		t.Fatalf("refused runs audited: %+v", a)
	}
}

// TestRunDetectionAuditedPastTimeLimit: a request that passes its time
// limit while runDetection works still leaves the run audited (the audit
// write does not use the request's context).
func TestRunDetectionAuditedPastTimeLimit(t *testing.T) {
	release := make(chan struct{})
	close(release)
	var h *harness
	h = newHarness(t, server.Config{Timeout: 200 * time.Millisecond, Detect: server.DetectorFunc(func(in model.RunDetectionInput) (string, resolvers.DetectRun, error) {
		time.Sleep(400 * time.Millisecond) // the request's deadline passes here
		return fakeDetector(h.st, release)(in)
	})})
	r := h.do(analyst, `mutation { runDetection { id status } }`, nil)
	var got struct{ RunDetection *struct{ ID, Status string } }
	_ = json.Unmarshal(r.Data, &got)
	if got.RunDetection == nil || got.RunDetection.ID == "" {
		t.Fatalf("no run id: status %d data %s errors %+v", r.Status, r.Data, r.Errors)
	}
	a := h.audit("runDetection")
	if len(a) != 1 || *a[0].Subject != got.RunDetection.ID {
		t.Fatalf("audit = %+v, want one event for %s", a, got.RunDetection.ID)
	}
}

// TestOrphanedRunsFailed: runs left running by a process that is gone (a
// dead pid on this host; an old run with no owner nor heartbeat) are
// marked failed with the reason, their partial networks removed, and the
// progress subscription says so; a run of a live process is left alone.
func TestOrphanedRunsFailed(t *testing.T) {
	h := newHarness(t, server.Config{})
	ctx := ctxT(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"run-orphan", "run-alive"} {
		if err := h.st.StartRun(ctx, id, time.Now(), `{}`); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.st.WriteNetworks(ctx, "run-orphan", []store.NetworkRow{{ID: "n-orphan", Key: "n-orphan", Size: 2, Signals: `[]`,
		Members: []store.MemberRow{{AccountID: "a07", Score: 0.5, Role: "core"}}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.st.Write(ctx, `MATCH (r:DetectionRun {id: 'run-orphan'}) SET r.ownerPid = $pid, r.ownerToken = 'proc_killed'
CREATE (:DetectionRun {id: 'run-legacy', status: 'running', startedAt: datetime() - duration('PT1H'), params: '{}'})`,
		map[string]any{"pid": int64(gone.Process.Pid)}); err != nil {
		t.Fatal(err)
	}
	failed, err := detect.FailOrphanedRuns(ctx, h.st, time.Now())
	slices.Sort(failed)
	if err != nil || !slices.Equal(failed, []string{"run-legacy", "run-orphan"}) {
		t.Fatalf("failed %v, %v; want run-legacy and run-orphan", failed, err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	q := `subscription($id: ID!) { detectionProgress(runId: $id) { status message } }`
	if ev := <-subscribe(t, h, sctx, h.keys[viewer], q, map[string]any{"id": "run-orphan"}); !strings.Contains(ev, `"status":"FAILED"`) || !strings.Contains(ev, "has exited") {
		t.Fatalf("orphan's progress = %s", ev)
	}
	if ev := <-subscribe(t, h, sctx, h.keys[viewer], q, map[string]any{"id": "run-legacy"}); !strings.Contains(ev, `"status":"FAILED"`) || !strings.Contains(ev, "no heartbeat") {
		t.Fatalf("legacy run's progress = %s", ev)
	}
	if ev := <-subscribe(t, h, sctx, h.keys[viewer], q, map[string]any{"id": "run-alive"}); !strings.Contains(ev, `"status":"RUNNING"`) {
		t.Fatalf("live run's progress = %s", ev)
	}
	var got struct{ Network *struct{ ID string } }
	h.ok(viewer, `{ network(id: "n-orphan") { id } }`, nil, &got)
	if got.Network != nil {
		t.Fatal("the orphaned run's partial network is still served")
	}
}

func TestSubscriptionNeedsKey(t *testing.T) {
	h := newHarness(t, server.Config{})
	ctx, cancel := context.WithTimeout(ctxT(t), 30*time.Second)
	defer cancel()
	c := dialWS(t, h, ctx)
	defer c.CloseNow()
	_ = wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer lsk_wrong"}})
	var msg map[string]any
	err := wsjson.Read(ctx, c, &msg)
	if err == nil && msg["type"] == "connection_ack" {
		t.Fatalf("connection with a wrong key acknowledged: %v", msg)
	}
}

func dialWS(t *testing.T, h *harness, ctx context.Context) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(h.ts.URL, "http") + "/graphql"
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// subscribe runs a subscription over graphql-transport-ws and returns its
// events' data as JSON text; the channel closes on complete.
func subscribe(t *testing.T, h *harness, ctx context.Context, secret, query string, vars map[string]any) <-chan string {
	t.Helper()
	c := dialWS(t, h, ctx)
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + secret}}); err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("init: %v %v", ack, err)
	}
	if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}}); err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 100)
	go func() {
		defer close(out)
		defer c.CloseNow()
		for {
			var msg struct {
				Type    string          `json:"type"`
				Payload json.RawMessage `json:"payload"`
			}
			if err := wsjson.Read(ctx, c, &msg); err != nil {
				return
			}
			h.record(msg.Payload)
			switch msg.Type {
			case "next":
				out <- string(msg.Payload)
			case "complete", "error":
				if msg.Type == "error" {
					out <- "error: " + string(msg.Payload)
				}
				return
			}
		}
	}()
	return out
}

func TestHeartbeatSubscription(t *testing.T) {
	h := newHarness(t, server.Config{})
	ctx, cancel := context.WithTimeout(ctxT(t), 30*time.Second)
	defer cancel()
	events := subscribe(t, h, ctx, h.keys[viewer], `subscription { heartbeat(seconds: 1) }`, nil)
	for range 2 {
		if ev := <-events; !strings.Contains(ev, `"heartbeat":"20`) {
			t.Fatalf("event = %s", ev)
		}
	}
}

// TestVictimsAreExposedNotMembers: detection's write-back stores the
// accounts a network's lookups matched as EXPOSED, Migrate converts
// victims an earlier version stored as MEMBER_OF (twice: idempotent), and
// the API shows both as before.
func TestVictimsAreExposedNotMembers(t *testing.T) {
	h := newHarness(t, server.Config{})
	ctx := ctxT(t)
	count := func(cypher string) int64 {
		t.Helper()
		recs, err := h.st.Query(ctx, cypher, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := recs[0].Values[0].(int64)
		return n
	}
	if n := count(`MATCH (:Network {id: 'n2a'})-[e:EXPOSED {rank: 1}]->(:Account {id: 'a09'}) RETURN count(e)`); n != 1 {
		t.Fatalf("a09 EXPOSED by n2a: %d relationships, want 1", n)
	}
	// A database written before EXPOSED existed.
	if err := h.st.Write(ctx, `MATCH (n:Network {id: 'n2b'}), (a:Account {id: 'a12'}), (b:Account {id: 'a11'})
CREATE (a)-[:MEMBER_OF {role: 'victim', score: 0.3}]->(n), (b)-[:MEMBER_OF {role: 'victim', score: 0.6}]->(n)`, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(`MATCH ()-[m:MEMBER_OF {role: 'victim'}]->() RETURN count(m)`); n != 0 {
		t.Fatalf("%d victim memberships left after Migrate", n)
	}
	if n := count(`MATCH (:Network {id: 'n2b'})-[e:EXPOSED]->(:Account {id: 'a11'}) WHERE e.rank = 1 AND e.score = 0.6 RETURN count(e)`); n != 1 {
		t.Fatalf("a11 not EXPOSED by n2b with rank 1")
	}
	var got struct {
		Network struct {
			Victims []struct {
				Account struct{ ID string }
				Role    string
				Score   float64
			}
			Members struct{ TotalCount int }
		}
		Account struct {
			Memberships []struct {
				Role    string
				Network struct{ ID string }
			}
		}
	}
	h.ok(viewer, `{ network(id: "n2b") { victims { account { id } role score } members { totalCount } }
  account(id: "a12") { memberships { role network { id } } } }`, nil, &got)
	v := got.Network.Victims
	if len(v) != 2 || v[0].Account.ID != "a11" || v[1].Account.ID != "a12" || v[1].Role != "victim" || v[1].Score != 0.3 || got.Network.Members.TotalCount != 2 {
		t.Fatalf("network n2b = %+v", got.Network)
	}
	if m := got.Account.Memberships; len(m) != 1 || m[0].Role != "victim" || m[0].Network.ID != "n2b" {
		t.Fatalf("a12 memberships = %+v", m)
	}
}
