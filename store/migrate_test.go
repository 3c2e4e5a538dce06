package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
	"github.com/lockstep-dev/lockstep/target"
)

// TestMigrateRegroupsMasks: targets stored with the masked form that showed
// a number's last two digits get the masked form of their group of 100,
// computed from the stored block and offset; e-mails keep theirs; a second
// Migrate finds the marker and leaves the store as it is.
func TestMigrateRegroupsMasks(t *testing.T) {
	s := storetest.New(t)
	hs := target.NewHasher([]byte("migrate-test-key"))
	var rows []map[string]any
	want := map[string]string{}
	for _, raw := range []string{"+14155550123", "+14155559977", "+442079460958", "someone@example.org"} {
		tg, err := hs.Normalise(raw, "", "")
		if err != nil {
			t.Fatal(err)
		}
		old := "+1 415 ***-**" + raw[len(raw)-2:] // the form before groups
		if tg.Kind == target.Email {
			old = tg.Masked
		}
		rows = append(rows, map[string]any{"key": tg.Key, "masked": old, "kind": tg.Kind, "block": tg.Block, "offset": int64(tg.Offset)})
		want[tg.Key] = tg.Masked
	}
	if err := s.WriteRows(ctx(t), "UNWIND $rows AS r CREATE (:Target {key: r.key, masked: r.masked, kind: r.kind, block: r.block, offset: r.offset})", rows); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Migrate(ctx(t)); err != nil {
			t.Fatal(err)
		}
		recs, err := s.Query(ctx(t), "MATCH (t:Target) RETURN t.key AS key, t.masked AS masked", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			key, _ := store.Get[string](r, "key")
			masked, _ := store.Get[string](r, "masked")
			if masked != want[key] {
				t.Errorf("masked = %q, want %q", masked, want[key])
			}
		}
	}
	if n := count(t, s, "MATCH (m:Migration) RETURN count(m) AS n", nil); n != 1 {
		t.Errorf("%d migration markers, want 1", n)
	}
}

// TestSchemaRebuilt: with every constraint and index dropped
// (storetest.DropSchema, as the schema benchmark does), Migrate and
// BuildSchema, the bulk load's way, each build the schema Migrate made.
func TestSchemaRebuilt(t *testing.T) {
	s := storetest.New(t)
	want := storetest.Schema(t, s)
	// The tests after this one need the schema whatever happens here.
	t.Cleanup(func() {
		if err := s.Migrate(context.Background()); err != nil {
			t.Error(err)
		}
	})
	for _, b := range []struct {
		name  string
		build func(context.Context) error
	}{{"Migrate", s.Migrate}, {"BuildSchema", s.BuildSchema}} {
		storetest.DropSchema(t, s)
		if got := storetest.Schema(t, s); len(got) >= len(want) {
			t.Fatalf("after DropSchema:\n%s\nwant fewer than\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if err := b.build(ctx(t)); err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if got := storetest.Schema(t, s); !slices.Equal(got, want) {
			t.Errorf("%s built:\n%s\nwant:\n%s", b.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
