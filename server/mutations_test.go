package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/graph/model"
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

// fakeDetector records a run like detection does and waits for release
// before finishing, so a test can watch its progress.
func fakeDetector(st *store.Store, release chan struct{}) func(context.Context, model.RunDetectionInput, func(string, int, int)) (string, error) {
	return func(ctx context.Context, in model.RunDetectionInput, progress func(string, int, int)) (string, error) {
		id := store.NewID("run")
		if err := st.StartRun(ctx, id, time.Now(), `{}`); err != nil {
			return "", err
		}
		progress("read:accounts", 0, 12)
		<-release
		progress("communities", 1, 2)
		if err := st.FinishRun(ctx, id, time.Now(), `{}`); err != nil {
			return "", err
		}
		return id, nil
	}
}

func TestRunDetectionAndProgress(t *testing.T) {
	release := make(chan struct{})
	var h *harness
	h = newHarness(t, server.Config{Detect: server.DetectorFunc(func(ctx context.Context, in model.RunDetectionInput, p func(string, int, int)) (string, error) {
		return fakeDetector(h.st, release)(ctx, in, p)
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
	h = newHarness(t, server.Config{Detect: server.DetectorFunc(func(ctx context.Context, in model.RunDetectionInput, p func(string, int, int)) (string, error) {
		return detect.Runner{Store: h.st}.Detect(ctx, in, p)
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
