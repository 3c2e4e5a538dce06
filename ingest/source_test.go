package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func readAll(t *testing.T, in []byte, isCSV bool) []record {
	t.Helper()
	rr := newRecordReader(bytes.NewReader(in), isCSV, 0, 0)
	var out []record
	for {
		rec, err := rr.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		rec.data = bytes.Clone(rec.data)
		out = append(out, rec)
	}
}

func TestRecordReader(t *testing.T) {
	// A quote does not carry a record over a newline: every line is a
	// record of its own (the first two lines here are rejects).
	in := "a,b\r\n\"x\ny\",z\n\nlast"
	got := readAll(t, []byte(in), true)
	want := []record{
		{data: []byte("a,b"), line: 1},
		{data: []byte("\"x"), line: 2},
		{data: []byte("y\",z"), line: 3},
		{data: []byte(""), line: 4},
		{data: []byte("last"), line: 5, noEOL: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !bytes.Equal(got[i].data, want[i].data) || got[i].line != want[i].line || got[i].noEOL != want[i].noEOL {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	long := append(bytes.Repeat([]byte("x"), maxLine+10), []byte("\nok\n")...)
	got = readAll(t, long, false)
	if len(got) != 2 || !got[0].tooLong || string(got[1].data) != "ok" || got[1].line != 2 {
		t.Errorf("long line: %+v", got)
	}
}

// TestCSVResync reads a CSV input as a load does (record reader, then
// parser): a bad quote is a reject of its own line, named by that line,
// and the valid rows after it are all kept.
func TestCSVResync(t *testing.T) {
	in := "id,handle,created_at,country,verified\n" +
		"a1,\"alice,2024-01-01T00:00:00Z,US,\n" + // line 2: the quote is never closed
		"a2,bob,2024-01-01T00:00:00Z,US,\n" +
		"a3,\"carol \"\"C\"\"\",,DE,true\n" +
		"a4,da\"ve,,DE,\n" + // line 5: a bare quote
		"a5,\"eve\",,,\n" +
		"a6,\"fr\nank\",,,\n" + // lines 7 and 8: a quoted newline
		"a7,gus,,,\n"
	recs := readAll(t, []byte(in), true)
	p := newParser()
	var kept []string
	var rejects []Reject
	for _, rec := range recs[1:] {
		ev, _, fe := p.parseCSV("account", string(rec.data), nil)
		if fe != nil {
			rejects = append(rejects, Reject{Line: rec.line, Field: fe.field, Reason: fe.reason})
			continue
		}
		kept = append(kept, ev.account)
	}
	if want := []string{"a2", "a3", "a5", "a7"}; !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	want := []Reject{
		{Line: 2, Field: "handle", Reason: "unbalanced quote"},
		{Line: 5, Field: "handle", Reason: "a quote inside an unquoted field"},
		{Line: 7, Field: "handle", Reason: "unbalanced quote"},
		{Line: 8, Field: "id", Reason: "a quote inside an unquoted field"},
	}
	if len(rejects) != len(want) {
		t.Fatalf("rejects %+v, want %+v", rejects, want)
	}
	for i, w := range want {
		if g := rejects[i]; g.Line != w.Line || g.Field != w.Field || !strings.Contains(g.Reason, w.Reason) {
			t.Errorf("reject %d = %+v, want line %d field %q reason ~%q", i, g, w.Line, w.Field, w.Reason)
		}
	}
}

// FuzzCSVRecords checks the CSV reading (lines, then splitCSV) against
// encoding/csv: whenever encoding/csv accepts an input and no field holds
// a line break, both give the same records; splitCSV refuses a line
// exactly when encoding/csv refuses that line alone, and then names the
// field where the quoting breaks.
func FuzzCSVRecords(f *testing.F) {
	for _, s := range []string{"a,b\nc,d\n", "\"x\ny\",z\n", "a,\"b,c\",\"d\"\"e\"\n\nf,g", "\"\"\n", ",\n,,\n", "a,\"b\nc,d\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.IndexByte(in, '\r') >= 0 {
			return // encoding/csv rewrites \r\n inside quotes; we keep bytes as they are
		}
		var got [][]string
		for _, rec := range readAll(t, in, true) {
			if bytes.IndexByte(rec.data, '\n') >= 0 {
				t.Fatalf("record %q spans lines", rec.data)
			}
			if len(rec.data) == 0 {
				continue // encoding/csv skips empty lines too
			}
			fields, err := splitCSV(string(rec.data), nil)
			r := csv.NewReader(bytes.NewReader(rec.data))
			r.FieldsPerRecord = -1
			_, lineErr := r.Read()
			if (err != nil) != (lineErr != nil) {
				t.Fatalf("splitCSV(%q) error %v, encoding/csv error %v", rec.data, err, lineErr)
			}
			if err != nil {
				var qe *csvQuoteError
				if !errors.As(err, &qe) || qe.field < 0 {
					t.Fatalf("splitCSV(%q): %v names no field", rec.data, err)
				}
				continue
			}
			got = append(got, fields)
		}
		r := csv.NewReader(bytes.NewReader(in))
		r.FieldsPerRecord = -1
		want, err := r.ReadAll()
		if err != nil {
			return
		}
		for _, rec := range want {
			for _, field := range rec {
				if strings.ContainsAny(field, "\n") {
					return // one record over lines: refused by design
				}
			}
		}
		if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
			t.Fatalf("records differ:\n got  %q\n want %q", got, want)
		}
	})
}

// FuzzRecordReader: records are the input's lines, in order, numbered
// from 1, whatever the bytes; CSV and NDJSON split alike.
func FuzzRecordReader(f *testing.F) {
	for _, s := range []string{"a\nb", "\"x\ny\"\n", "\r\n\r\n", "{\"a\":\"\n\"}\n", ""} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, isCSV bool) {
		recs := readAll(t, in, isCSV)
		var lines [][]byte
		if len(in) > 0 {
			lines = bytes.Split(in, []byte("\n"))
		}
		if len(in) > 0 && in[len(in)-1] == '\n' {
			lines = lines[:len(lines)-1]
		}
		if len(recs) != len(lines) {
			t.Fatalf("%d records from %d lines", len(recs), len(lines))
		}
		for i, rec := range recs {
			if rec.line != int64(i+1) || !bytes.Equal(rec.data, bytes.TrimRight(lines[i], "\r\n")) {
				t.Fatalf("record %d = line %d %q, want line %d %q", i, rec.line, rec.data, i+1, lines[i])
			}
			if rec.noEOL != (i == len(recs)-1 && in[len(in)-1] != '\n') {
				t.Fatalf("record %d: noEOL %v", i, rec.noEOL)
			}
		}
	})
}

func TestSniff(t *testing.T) {
	text := strings.Repeat("a1,alice,,DE,\n", 200)
	tests := []struct {
		name, in, format, err string
	}{
		{"csv", text, FormatCSV, ""},
		{"ndjson after a BOM", "\xef\xbb\xbf {\"kind\":\"account\"}\n", FormatNDJSON, ""},
		{"a few bad bytes are text", "a1,J\xfcrgen,,DE,\n" + text, FormatCSV, ""},
		{"a rune cut by the window", strings.Repeat("x", 8<<10-1) + "ü", FormatCSV, ""},
		{"nul", "a\x00b\n", "", "binary data (NUL bytes)"},
		{"mostly not utf-8", strings.Repeat("\xff\xfe\x80a", 100), "", "binary data (not UTF-8)"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format, err := sniff(bufio.NewReader(strings.NewReader(tt.in)))
			if format != tt.format || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("sniff = %q, %v; want %q, %q", format, err, tt.format, tt.err)
			}
		})
	}
}
