package server_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/target"
)

// TestInvalidNumberEndToEnd: a lookup of a number no numbering plan allows
// (US area code 099) goes through ingest like any other, hashed and masked,
// is stored with its invalid mark and reads back through the API as
// invalid; a valid number reads back as valid, and a malformed number is
// still rejected with its file, line and field.
func TestInvalidNumberEndToEnd(t *testing.T) {
	const (
		valid       = "+14155550177"
		unallocated = "+1 099 555 0123"
		malformed   = "+999 555 0199 11"
	)
	dir := t.TempDir()
	path := filepath.Join(dir, "events.ndjson")
	lines := strings.Join([]string{
		`{"kind":"account","id":"u1","country":"US"}`,
		`{"kind":"lookup","account":"u1","time":1709290800,"target":"` + valid + `"}`,
		`{"kind":"lookup","account":"u1","time":1709290860,"target":"` + unallocated + `"}`,
		`{"kind":"lookup","account":"u1","time":1709290920,"target":"` + malformed + `"}`,
	}, "\n") + "\n"
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	var sum ingest.Summary
	h := newHarnessSeeded(t, server.Config{}, func(h *harness, ctx context.Context) {
		var err error
		sum, err = ingest.Run(ctx, h.st, []string{path}, ingest.Options{HMACKey: hmacKey, StateDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
	})
	if sum.Stored != 3 || sum.Rejected != 1 {
		t.Fatalf("stored %d, rejected %d; want 3 and 1", sum.Stored, sum.Rejected)
	}
	rejects, err := os.ReadFile(path + ".rejects.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if r := string(rejects); !strings.Contains(r, `"line":4`) || !strings.Contains(r, `"field":"target"`) || !strings.Contains(r, path) {
		t.Errorf("reject of the malformed number lacks file, line or field: %s", r)
	}

	hs := target.NewHasher(hmacKey)
	for _, c := range []struct {
		raw     string
		invalid bool
		masked  string
	}{{valid, false, "+1 415-555-01xx"}, {unallocated, true, "01xx"}} {
		tg, err := hs.Normalise(c.raw, "phone", "")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Target *struct {
				Key, Masked string
				Invalid     bool
			}
		}
		h.ok(viewer, `query($k: ID!) { target(key: $k) { key masked invalid } }`, map[string]any{"k": tg.Key}, &got)
		if got.Target == nil || got.Target.Invalid != c.invalid || !strings.HasSuffix(got.Target.Masked, c.masked) {
			t.Errorf("%s: target %+v, want invalid %v, masked …%s", c.masked, got.Target, c.invalid, c.masked)
		}
	}
	// Stored as a mark on the invalid node only (the bulk load stores no
	// false flags either).
	recs, err := h.st.Query(ctxT(t), `MATCH (t:Target) RETURN count(t.invalid) AS marked, sum(CASE WHEN t.invalid THEN 1 ELSE 0 END) AS invalid`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, i := recs[0].Values[0], recs[0].Values[1]; m != int64(1) || i != int64(1) {
		t.Errorf("%v targets carry the mark, %v of them invalid; want 1 and 1", m, i)
	}
	if b := h.bodies.String(); strings.Contains(b, "0995550123") || strings.Contains(b, "4155550177") {
		t.Error("a response carries a raw number")
	}
}
