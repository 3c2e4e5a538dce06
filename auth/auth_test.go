package auth

import (
	"testing"

	"github.com/lockstep-dev/lockstep/store"
)

func TestBearerToken(t *testing.T) {
	for _, c := range []struct {
		header, want string
		ok           bool
	}{
		{"Bearer lsk_abc", "lsk_abc", true},
		{"bearer  lsk_abc ", "lsk_abc", true},
		{"Basic lsk_abc", "", false},
		{"Bearer ", "", false},
		{"", "", false},
		{"lsk_abc", "", false},
	} {
		got, ok := BearerToken(c.header)
		if got != c.want || ok != c.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

func TestAllows(t *testing.T) {
	roles := []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleAdmin}
	for i, have := range roles {
		for j, need := range roles {
			if got := (Principal{Role: have}).Allows(need); got != (i >= j) {
				t.Errorf("%s allows %s = %v", have, need, got)
			}
		}
	}
	if (Principal{Role: "ROOT"}).Allows(store.RoleViewer) {
		t.Error("an unknown role is allowed")
	}
}

func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer lsk_x")
	f.Fuzz(func(t *testing.T, h string) {
		if tok, ok := BearerToken(h); ok && tok == "" {
			t.Fatalf("ok with an empty token for %q", h)
		}
	})
}
