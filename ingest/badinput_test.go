package ingest

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestBadInputNothingValidLost loads, over an earlier good load, a CSV and
// an NDJSON file in which each of issue 18's bad inputs sits between valid
// records (the NDJSON ones past the first 8 KiB): every bad record is a
// reject naming its line and field, every valid record is stored, what the
// earlier load stored is unchanged, and neither the graph nor the rejects
// file holds the raw phone numbers or e-mail address.
func TestBadInputNothingValidLost(t *testing.T) {
	s := prepared(t)
	ctx := testCtx(t)
	opts := testOptions(t)

	base := writeFile(t, "base.ndjson", `{"kind":"account","id":"a0","handle":"zoe","created_at":"2023-05-01T00:00:00Z","country":"GB"}`+"\n"+
		`{"kind":"login","account":"a0","time":"2024-02-01T00:00:00Z","ip":"192.0.2.9"}`+"\n")
	if _, err := Run(ctx, s, []string{base}, opts); err != nil {
		t.Fatal(err)
	}

	accounts := writeFile(t, "accounts.csv", "id,handle,created_at,country,verified\n"+
		"a1,alice,2024-01-01T00:00:00Z,US,true\n"+ // 2
		"a2,\"bob,2024-01-01T00:00:00Z,US,\n"+ // 3: unbalanced quote
		"a3,carol,2024-01-01T00:00:00Z,DE,\n"+ // 4: must not be swallowed
		"a4,J\xfcrgen,2024-01-01T00:00:00Z,DE,\n"+ // 5: not UTF-8
		"a5,dan,0001-01-01T00:00:00Z,DE,\n"+ // 6: year 1
		"+14155552323,eve,2024-01-01T00:00:00Z,US,\n"+ // 7: a phone number as id
		"bob@example.org,bob,2024-01-01T00:00:00Z,US,\n"+ // 8: an e-mail address as id
		"a6,\"fred \"\"F\"\"\",2024-01-01T00:00:00Z,US,\n") // 9

	var nd strings.Builder
	login := func(account, tm string) string {
		return fmt.Sprintf(`{"kind":"login","account":%q,"time":%s,"ip":"192.0.2.1"}`+"\n", account, tm)
	}
	const padding = 150 // valid lines: the bad ones come after the first 8 KiB
	for i := range padding {
		nd.WriteString(login("a1", fmt.Sprint(1709290800+i)))
	}
	bad := []struct {
		line, field, reason string
	}{
		{login("a1", "14155552323"), "time", "year 2418 is after"},
		{login("a1", `"+14155552323"`), "time", `time "[11 digits]" is neither`},
		{login("+1 415 555 2323", "1709290800"), "account", "account id looks like a phone number (11 digits)"},
		{`{"kind":"account","id":"a7","handle":"caf` + "\xe9" + `"}` + "\n", "handle", "not UTF-8"},
		{`{"kind":"account","id":"a8","created_at":"0001-01-01T00:00:00Z"}` + "\n", "created_at", "year 1 is before 2000-01-01"},
		{`{"kind":"lookup","account":"a1","time":1709290800,"target":"+14155552324","matched":"bob@example.org"}` + "\n", "matched", "looks like an e-mail address"},
	}
	for _, b := range bad {
		nd.WriteString(b.line)
		nd.WriteString(login("a3", "1709290800"))
	}
	if nd.Len() < 8<<10+len(bad[0].line) {
		t.Fatalf("padding too short: %d bytes", nd.Len())
	}
	eventsFile := writeFile(t, "events.ndjson", nd.String())

	sum, err := Run(ctx, s, []string{accounts, eventsFile}, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantStored := int64(3 + padding + len(bad))
	wantRejects := map[string][]Reject{
		accounts: {
			{Line: 3, Field: "handle", Reason: "unbalanced quote"},
			{Line: 5, Field: "handle", Reason: "not UTF-8"},
			{Line: 6, Field: "created_at", Reason: "year 1 is before 2000-01-01"},
			{Line: 7, Field: "id", Reason: "account id looks like a phone number (11 digits)"},
			{Line: 8, Field: "id", Reason: "account id looks like an e-mail address"},
		},
	}
	for i, b := range bad {
		wantRejects[eventsFile] = append(wantRejects[eventsFile], Reject{Line: int64(padding + 2*i + 1), Field: b.field, Reason: b.reason})
	}
	if sum.Stored != wantStored || sum.Rejected != int64(5+len(bad)) {
		t.Errorf("stored %d rejected %d, want %d and %d", sum.Stored, sum.Rejected, wantStored, 5+len(bad))
	}
	for file, want := range wantRejects {
		raw, err := os.ReadFile(file + ".rejects.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"4155552323", "555 2323", "bob@", "example.org"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("%s holds %q:\n%s", file+".rejects.ndjson", leak, raw)
			}
		}
		got := readRejects(t, file+".rejects.ndjson")
		if len(got) != len(want) {
			t.Fatalf("%s: rejects %+v, want %+v", file, got, want)
		}
		for i, w := range want {
			if g := got[i]; g.File != file || g.Line != w.Line || g.Field != w.Field || !strings.Contains(g.Reason, w.Reason) {
				t.Errorf("reject %d = %+v, want line %d field %q reason ~%q", i, g, w.Line, w.Field, w.Reason)
			}
		}
	}

	// Every valid row is in the graph, the earlier load as it was.
	recs, err := s.Query(ctx, `MATCH (a:Account) RETURN a.id AS id, coalesce(a.handle, '') AS handle ORDER BY id`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%v=%v", r.Values[0], r.Values[1]))
	}
	if want := `a0=zoe a1=alice a3=carol a6=fred "F"`; strings.Join(got, " ") != want {
		t.Errorf("accounts %q, want %q", strings.Join(got, " "), want)
	}
	for _, tt := range []struct {
		account string
		want    int64
	}{{"a0", 1}, {"a1", padding}, {"a3", int64(len(bad))}} {
		recs, err := s.Query(ctx, `MATCH (:Account {id: $id})-[r:USED_IP]->() RETURN sum(r.count) AS n`, map[string]any{"id": tt.account})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := recs[0].Values[0].(int64); n != tt.want {
			t.Errorf("%s has %d logins, want %d", tt.account, n, tt.want)
		}
	}
}
