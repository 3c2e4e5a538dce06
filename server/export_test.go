package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
)

func TestExportErrors(t *testing.T) {
	h := newHarness(t, server.Config{})
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/export/suspension-lists/nope", http.StatusNotFound},
		{"/export/suspension-lists/nope?format=xml", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodGet, h.ts.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+h.keys[analyst])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h.record(b)
		if resp.StatusCode != c.status || !bytes.Contains(b, []byte(`"errors"`)) {
			t.Errorf("%s: %d %s, want %d", c.path, resp.StatusCode, b, c.status)
		}
	}
}

// exportBody fetches a list's export as an analyst: the body split into
// the lines before the last, the last line, and the trailers.
func exportBody(t *testing.T, h *harness, id, format string) (lines []string, last string, trailer http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/export/suspension-lists/"+id+"?format="+format, nil)
	req.Header.Set("Authorization", "Bearer "+h.keys[analyst])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d err %v body %s", resp.StatusCode, err, b)
	}
	h.record(b)
	all := strings.SplitAfter(string(b), "\n")
	if len(all) < 2 || all[len(all)-1] != "" {
		t.Fatalf("body does not end with a last line: %q", b)
	}
	all = all[:len(all)-1]
	return all[:len(all)-1], all[len(all)-1], resp.Trailer
}

// TestExportFormulasAndAllowlist: account ids a spreadsheet would run are
// neutralised in CSV and raw in NDJSON; an account allowlisted after the
// list was saved is withheld and the withheld count is said; the hash
// covers exactly the bytes sent.
func TestExportFormulasAndAllowlist(t *testing.T) {
	h := newHarness(t, server.Config{})
	ctx := ctxT(t)
	hostile := []string{"=1+1", "@SUM(1+1)", `=HYPERLINK("http://evil.example/","x")`, "+1", "-1", "\tx", "\rx", "plain", "cleared"}
	if err := h.st.Write(ctx, `CREATE (s:SuspensionList {id: 'hostile', criteria: '{}', createdBy: 'test', createdAt: datetime(), accountCount: size($ids)})
WITH s UNWIND $ids AS id
CREATE (s)-[:INCLUDES {networkId: '=net', score: 0.5, runId: 'run-2', reasons: ['NETWORK_MEMBER']}]->(:Account {id: id})`,
		map[string]any{"ids": hostile}); err != nil {
		t.Fatal(err)
	}
	h.ok(analyst, `mutation { allowlistAccount(id: "cleared", reason: "known tester") { id } }`, nil, nil)

	lines, last, trailer := exportBody(t, h, "hostile", "csv")
	sum := sha256.Sum256([]byte(strings.Join(lines, "")))
	digest := hex.EncodeToString(sum[:])
	if want := fmt.Sprintf("# sha256=%s rows=%d withheld=1 (allowlisted after the list was saved)\n", digest, len(hostile)-1); last != want {
		t.Fatalf("last line %q, want %q", last, want)
	}
	if trailer.Get("X-Lockstep-Withheld") != "1" || trailer.Get("X-Content-SHA256") != digest || trailer.Get("X-Row-Count") != fmt.Sprint(len(hostile)-1) {
		t.Fatalf("trailers %v", trailer)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, ""))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q would run as a formula (row %q)", c, rec)
			}
		}
		if rec[0] == "cleared" {
			t.Errorf("allowlisted account exported: %q", rec)
		}
	}
	if recs[1][1] != "'=net" {
		t.Errorf("network cell %q, want '=net", recs[1][1])
	}

	csvDigest := digest
	lines, last, trailer = exportBody(t, h, "hostile", "ndjson")
	sum = sha256.Sum256([]byte(strings.Join(lines, "")))
	var footer struct {
		SHA256, WithheldReason string
		Rows, Withheld         int
	}
	if err := json.Unmarshal([]byte(last), &footer); err != nil {
		t.Fatal(err)
	}
	if footer.SHA256 != hex.EncodeToString(sum[:]) || footer.Rows != len(hostile)-1 || footer.Withheld != 1 || footer.WithheldReason == "" || trailer.Get("X-Lockstep-Withheld") != "1" {
		t.Fatalf("ndjson footer %+v trailers %v", footer, trailer)
	}
	var got []string
	for _, l := range lines {
		var e struct{ AccountID string }
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.AccountID)
	}
	want := slices.Clone(hostile[:len(hostile)-1])
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ndjson ids %q, want the raw ids %q", got, want)
	}
	a := h.audit("export")
	if len(a) != 2 || a[0].Detail["withheld"] != float64(1) {
		t.Fatalf("export audit = %+v", a)
	}

	// The list names what enforcement received: both downloads, newest
	// first, with the digests their bodies carried (a viewer reads them too:
	// a case report is read by people who cannot export).
	var exports struct {
		SuspensionList struct {
			Exports []struct {
				By, Format, SHA256 string
				Rows, Withheld     int
			}
		}
	}
	h.ok(viewer, `{ suspensionList(id: "hostile") { exports { by format sha256 rows withheld at } } }`, nil, &exports)
	got2 := exports.SuspensionList.Exports
	if len(got2) != 2 || got2[0].Format != "ndjson" || got2[0].SHA256 != footer.SHA256 || got2[1].Format != "csv" || got2[1].SHA256 != csvDigest ||
		got2[1].Rows != len(hostile)-1 || got2[1].Withheld != 1 || got2[1].By == "" {
		t.Fatalf("list exports %+v, want ndjson %s then csv %s", got2, footer.SHA256, csvDigest)
	}
}
