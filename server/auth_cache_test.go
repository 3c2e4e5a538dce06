package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
)

// The key check is cached (no Neo4j read per request), and a key revoked
// by another process (here: straight in the store, without Forget) keeps
// working only until the cached answer expires: the bound docs/API.md
// states.
func TestRevocationWithinCacheTTL(t *testing.T) {
	const ttl = 2 * time.Second
	h := newHarness(t, server.Config{AuthCacheTTL: ttl})
	q := `{ viewer { name } }`
	before := time.Now()
	h.ok(viewer, q, nil, nil) // cached from here, for ttl
	if _, err := h.st.RevokeAPIKey(ctxT(t), h.keyIDs[viewer]); err != nil {
		t.Fatal(err)
	}
	if r := h.do(viewer, q, nil); time.Since(before) < ttl/2 && r.Status != http.StatusOK {
		t.Fatalf("right after revocation: status %d, want 200 from the cached check (is the check cached?)", r.Status)
	}
	time.Sleep(time.Until(before.Add(ttl + 50*time.Millisecond)))
	if r := h.do(viewer, q, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked key accepted %v after its check was cached (TTL %v): status %d", time.Since(before), ttl, r.Status)
	}
}
