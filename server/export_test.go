package server_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

const exportRows = 200_000

// seedBigList writes exportRows accounts and a suspension list that
// includes them all, with fast UNWIND batches.
func seedBigList(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := ctxT(t)
	const batch = 20_000
	rows := make([]map[string]any, 0, batch)
	flush := func() {
		if err := st.WriteRows(ctx, `MATCH (s:SuspensionList {id: 'big'})
UNWIND $rows AS r
CREATE (a:Account {id: r.id, verified: false})
CREATE (s)-[:INCLUDES {networkId: r.net, score: r.score, runId: 'run-2', reasons: r.reasons, reason: 'NETWORK_MEMBER'}]->(a)`, rows); err != nil {
			t.Fatal(err)
		}
		rows = rows[:0]
	}
	if err := st.Write(ctx, `CREATE (:SuspensionList {id: 'big', criteria: '{"runId":"run-2"}', createdBy: 'test', createdAt: datetime(), accountCount: $n})`,
		map[string]any{"n": exportRows}); err != nil {
		t.Fatal(err)
	}
	// Written in reverse so the export's order comes from sorting, not
	// from insertion.
	for i := exportRows - 1; i >= 0; i-- {
		rows = append(rows, map[string]any{"id": fmt.Sprintf("acc%07d", i), "net": fmt.Sprintf("net%d", i%97),
			"score": float64(i%100) / 100, "reasons": []string{"NETWORK_MEMBER", "ROLE_CORE"}})
		if len(rows) == batch {
			flush()
		}
	}
	flush()
}

func TestExport200k(t *testing.T) {
	h := newHarness(t, server.Config{})
	seedBigList(t, h.st)
	for _, format := range []string{"csv", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/export/suspension-lists/big?format="+format, nil)
			req.Header.Set("Authorization", "Bearer "+h.keys[analyst])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			peak := base.HeapAlloc

			sum := sha256.New()
			br := bufio.NewReaderSize(resp.Body, 1<<16)
			var last []byte
			n := 0
			for {
				line, err := br.ReadBytes('\n')
				if err == io.EOF && len(line) == 0 {
					break
				}
				if err != nil && err != io.EOF {
					t.Fatal(err)
				}
				if last != nil {
					sum.Write(last)
					if format == "csv" && n == 0 {
						if string(last) != "account_id,network_id,score,run_id,reasons\n" {
							t.Fatalf("header = %q", last)
						}
					} else {
						i := n
						if format == "csv" {
							i = n - 1
						}
						checkRow(t, format, i, last)
					}
					n++
					if n%20000 == 0 {
						// Live heap, not garbage awaiting a collection:
						// what the server holds at this point.
						runtime.GC()
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc)
					}
				}
				last = append(last[:0:0], line...)
			}
			rows := n
			if format == "csv" {
				rows--
			}
			if rows != exportRows {
				t.Fatalf("%d rows, want %d", rows, exportRows)
			}
			digest := hex.EncodeToString(sum.Sum(nil))
			var wantLast string
			if format == "csv" {
				wantLast = fmt.Sprintf("# sha256=%s rows=%d withheld=0\n", digest, exportRows)
			} else {
				b, _ := json.Marshal(map[string]any{"rows": exportRows, "sha256": digest, "withheld": 0})
				wantLast = string(b) + "\n"
			}
			if string(last) != wantLast {
				t.Fatalf("last line = %q, want %q", last, wantLast)
			}
			if got := resp.Trailer.Get("X-Content-SHA256"); got != digest {
				t.Fatalf("trailer X-Content-SHA256 = %q, want %q", got, digest)
			}
			if got := resp.Trailer.Get("X-Row-Count"); got != fmt.Sprint(exportRows) {
				t.Fatalf("trailer X-Row-Count = %q", got)
			}
			// The server streams: its heap (this process) never holds the
			// list (≈16 MB of output, several times that as driver records).
			if grew := int64(peak) - int64(base.HeapAlloc); grew > 48<<20 {
				t.Errorf("heap grew by %d MiB while streaming", grew>>20)
			}
		})
	}
	a := h.audit("export")
	if len(a) != 2 || a[0].Rows != exportRows || *a[0].Subject != "big" || a[0].Actor != "analyst-key" || a[0].Detail["sha256"] == nil {
		t.Fatalf("export audit = %+v", a)
	}
}

func checkRow(t *testing.T, format string, i int, line []byte) {
	t.Helper()
	wantID, wantNet, wantScore := fmt.Sprintf("acc%07d", i), fmt.Sprintf("net%d", i%97), float64(i%100)/100
	if format == "csv" {
		rec, err := csv.NewReader(bytes.NewReader(line)).Read()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		want := []string{wantID, wantNet, fmt.Sprint(wantScore), "run-2", "NETWORK_MEMBER;ROLE_CORE"}
		if strings.Join(rec, ",") != strings.Join(want, ",") {
			t.Fatalf("row %d = %v, want %v", i, rec, want)
		}
		return
	}
	var e store.SuspensionEntry
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatalf("row %d: %v", i, err)
	}
	if e.AccountID != wantID || e.NetworkID != wantNet || e.Score != wantScore || e.RunID != "run-2" || strings.Join(e.Reasons, ";") != "NETWORK_MEMBER;ROLE_CORE" {
		t.Fatalf("row %d = %+v", i, e)
	}
}

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
