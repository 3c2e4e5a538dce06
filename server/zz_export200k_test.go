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
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// This file is named to sort last: go test runs a package's tests in the
// order of its files, and whichever test came next would begin by clearing
// the 400,000 nodes and relationships this one writes (half a minute on a
// busy machine); after the last test the server is simply stopped.

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
