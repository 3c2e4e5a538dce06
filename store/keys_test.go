package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

func TestAPIKeys(t *testing.T) {
	s := storetest.New(t)
	c := ctx(t)
	k, secret, err := s.CreateAPIKey(c, "alice", store.RoleAnalyst)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, store.KeyPrefix) || len(secret) < 40 || k.Role != store.RoleAnalyst || k.Name != "alice" {
		t.Fatalf("key %+v secret %q", k, secret)
	}
	// Only the hash is stored.
	if n := count(t, s, `MATCH (k:ApiKey) WHERE any(p IN keys(k) WHERE k[p] = $s) RETURN count(k) AS n`, map[string]any{"s": secret}); n != 0 {
		t.Fatal("the secret is stored")
	}
	got, err := s.APIKeyBySecret(c, secret)
	if err != nil || got.ID != k.ID {
		t.Fatalf("by secret: %+v, %v", got, err)
	}
	if _, err := s.APIKeyBySecret(c, secret+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong secret: %v", err)
	}
	_, _, _ = s.CreateAPIKey(c, "bob", store.RoleViewer)
	keys, err := s.APIKeys(c)
	if err != nil || len(keys) != 2 || keys[0].Name != "alice" {
		t.Fatalf("list: %+v, %v", keys, err)
	}
	if _, err := s.RevokeAPIKey(c, "bob"); err != nil { // by name
		t.Fatal(err)
	}
	r, err := s.RevokeAPIKey(c, k.ID) // by id
	if err != nil || r.RevokedAt == nil {
		t.Fatalf("revoke: %+v, %v", r, err)
	}
	if _, err := s.APIKeyBySecret(c, secret); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked key still works: %v", err)
	}
	if _, err := s.RevokeAPIKey(c, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	for _, bad := range []struct {
		name string
		role store.Role
	}{{"", store.RoleViewer}, {"x", store.Role("ROOT")}} {
		if _, _, err := s.CreateAPIKey(c, bad.name, bad.role); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("CreateAPIKey(%q, %q): %v, want ErrInvalidArgument", bad.name, bad.role, err)
		}
	}
}

func TestAuditLog(t *testing.T) {
	s := storetest.New(t)
	c := ctx(t)
	subj := "n1"
	for i, action := range []string{"reviewNetwork", "export", "reviewNetwork"} {
		if _, err := s.RecordAudit(c, store.AuditEvent{Actor: "alice", ActorKeyID: "key_1", Role: store.RoleAnalyst,
			Action: action, Subject: &subj, Rows: i, Detail: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.AuditEvents(c, "", 10, "")
	if err != nil || len(all) != 3 || all[0].Rows != 2 || all[2].Rows != 0 {
		t.Fatalf("newest first: %+v, %v", all, err)
	}
	if all[0].Detail.(map[string]any)["i"] != float64(2) || all[0].At.IsZero() {
		t.Fatalf("event = %+v", all[0])
	}
	reviews, _ := s.AuditEvents(c, "reviewNetwork", 10, "")
	if len(reviews) != 2 {
		t.Fatalf("by action: %d", len(reviews))
	}
	older, _ := s.AuditEvents(c, "", 10, all[0].ID)
	if len(older) != 2 || older[0].ID != all[1].ID {
		t.Fatalf("before: %+v", older)
	}
	if _, err := s.RecordAudit(c, store.AuditEvent{Action: "x"}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Fatalf("no actor: %v", err)
	}
}
