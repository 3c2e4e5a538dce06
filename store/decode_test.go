package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// decode fills models by name from what Cypher returns, and a value of the
// wrong type or a key no field takes is an error, never a silent zero.
func TestDecode(t *testing.T) {
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.FixedZone("x", 3600))
	var a Account
	err := decode(map[string]any{"id": "a1", "handle": "h", "createdAt": at, "verified": true, "country": nil,
		"allowlist": map[string]any{"by": "ann", "at": neo4j.LocalDateTime(at), "reason": "r"}, "lastSeenAt": "2026-03-05T09:00:00Z"}, &a)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "a1" || *a.Handle != "h" || !a.Verified || a.Country != nil || a.Allowlist == nil || a.Allowlist.By != "ann" ||
		!a.CreatedAt.Equal(at) || a.CreatedAt.Location() != time.UTC || !a.LastSeenAt.Equal(at) {
		t.Fatalf("decoded %+v", a)
	}
	var u []IPUsage
	if err := decode([]any{map[string]any{"ip": map[string]any{"addr": "192.0.2.1", "asn": int64(64500)}, "count": int64(3)}}, &u); err != nil ||
		len(u) != 1 || u[0].IP.Addr != "192.0.2.1" || *u[0].IP.Asn != 64500 || u[0].Count != 3 {
		t.Fatalf("usages %+v, %v", u, err)
	}
	for _, c := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"wrong type", map[string]any{"id": "a1", "verified": "yes"}, "verified"},
		{"unknown key", map[string]any{"id": "a1", "lookupCount": int64(3)}, "lookupCount"},
		{"bad time", map[string]any{"id": "a1", "createdAt": "yesterday"}, "yesterday"},
	} {
		var a Account
		if err := decode(c.in, &a); err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err %v, want one naming %q", c.name, err, c.want)
		}
	}
}

// memberRows is a page of n members as Cypher returns it.
func memberRows(n int) []any {
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	ms := make([]any, n)
	for i := range ms {
		ms[i] = map[string]any{"account": map[string]any{"id": fmt.Sprintf("acc%07d", i), "handle": "h", "createdAt": at, "country": "US",
			"verified": false, "status": nil, "allowlisted": nil, "allowlist": nil, "lastSeenAt": at}, "score": 0.5, "role": "core"}
	}
	return ms
}

// BenchmarkDecodeMembers is the Go cost of decoding network(id)'s page of
// 101 members (the members resolver reads one extra).
func BenchmarkDecodeMembers(b *testing.B) {
	ms := memberRows(101)
	b.ReportAllocs()
	for b.Loop() {
		var out []Member
		if err := decode(ms, &out); err != nil {
			b.Fatal(err)
		}
	}
}
