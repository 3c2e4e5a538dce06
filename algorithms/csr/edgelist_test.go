package csr

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestReadEdgeList(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		names     []string
		edges     []Edge // EdgeList() of the graph
		selfLoops int
	}{
		{name: "empty", in: ""},
		{name: "comments and blanks", in: "# header\n\n   \n  # indented comment\n"},
		{
			name: "tabs, default weight, CRLF", in: "alice\tbob\r\nbob\tcarol\t2.5\r\n",
			names: []string{"alice", "bob", "carol"}, edges: []Edge{{0, 1, 1}, {1, 2, 2.5}},
		},
		{
			name: "spaces when no tab", in: "1 2\n2   3 0.5\n",
			names: []string{"1", "2", "3"}, edges: []Edge{{0, 1, 1}, {1, 2, 0.5}},
		},
		{
			name: "names with spaces in tab-separated lines", in: "a b\tc d\n",
			names: []string{"a b", "c d"}, edges: []Edge{{0, 1, 1}},
		},
		{
			name: "duplicates summed, self loops dropped", in: "x\ty\ny\tx\t2\nx\tx\n",
			names: []string{"x", "y"}, edges: []Edge{{0, 1, 3}}, selfLoops: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el, err := ReadEdgeList(strings.NewReader(tt.in), "test.tsv")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(el.IDs.Names(), tt.names) {
				t.Errorf("names %q, want %q", el.IDs.Names(), tt.names)
			}
			if got := el.Graph.EdgeList(); !slices.Equal(got, tt.edges) && len(got)+len(tt.edges) > 0 {
				t.Errorf("edges %v, want %v", got, tt.edges)
			}
			if el.SelfLoops != tt.selfLoops {
				t.Errorf("self loops %d, want %d", el.SelfLoops, tt.selfLoops)
			}
		})
	}
}

func TestReadEdgeListErrors(t *testing.T) {
	tests := []struct {
		in    string
		line  int
		field string
		msg   string
	}{
		{"a\tb\nlonely\n", 2, "line", "1 fields"},
		{"a\tb\t1\textra\n", 1, "line", "4 fields"},
		{"# c\n\tb\n", 2, "source", "empty node name"},
		{"a\t \n", 1, "target", "empty node name"},
		{"a\tb\theavy\n", 1, "weight", `"heavy": invalid syntax`},
		{"a\tb\t-1\n", 1, "weight", "positive"},
		{"a\tb\t0\n", 1, "weight", "positive"},
		{"a\tb\tNaN\n", 1, "weight", "positive"},
		{"a\tb\t+Inf\n", 1, "weight", "positive"},
		{"a\tb\t1e999\n", 1, "weight", "value out of range"},
		{"a\tb\n" + strings.Repeat("x", maxLine+1) + "\n", 2, "line", "longer than"},
	}
	for _, tt := range tests {
		_, err := ReadEdgeList(strings.NewReader(tt.in), "edges.tsv")
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%.30q: error %v, want a *ParseError", tt.in, err)
			continue
		}
		if pe.File != "edges.tsv" || pe.Line != tt.line || pe.Field != tt.field || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("%.30q: got %v, want edges.tsv:%d: %s: …%s…", tt.in, err, tt.line, tt.field, tt.msg)
		}
	}
}

// FuzzReadEdgeList checks that any input either fails with a *ParseError
// naming a line, or gives a well-formed graph that survives a round trip
// through WriteEdgeList unchanged.
func FuzzReadEdgeList(f *testing.F) {
	for _, s := range []string{
		"", "# only a comment\n", "a\tb\n", "a\tb\t2\nb\tc\t0.5\n", "1 2\n2 3\n3 1\n",
		"x\tx\n", "a\tb\t-3\n", "a\tb\tc\td\n", "\t\n", "a b\tc\n", "a\tb\t1e-300\nb\ta\t1e308\n",
		"é\t名前\t3\r\n", "p\t#a\nq\t#a\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		el, err := ReadEdgeList(strings.NewReader(in), "fuzz.tsv")
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) && (pe.Line < 1 || pe.File != "fuzz.tsv") {
				t.Fatalf("bad error position: %v", err)
			}
			return
		}
		g := el.Graph
		if g.Nodes() != el.IDs.Len() || len(g.Offsets) != g.Nodes()+1 || g.Offsets[g.Nodes()] != int64(len(g.Neighbors)) {
			t.Fatalf("malformed graph: %d names, offsets %v, %d entries", el.IDs.Len(), g.Offsets, len(g.Neighbors))
		}
		for u := range int32(g.Nodes()) {
			for v, w := range g.Adjacent(u) {
				if v == u || !(w > 0) {
					t.Fatalf("entry %d-%d weight %v", u, v, w)
				}
			}
		}
		var buf bytes.Buffer
		if err := WriteEdgeList(&buf, g, el.IDs.Names()); err != nil {
			t.Fatal(err)
		}
		back, err := ReadEdgeList(&buf, "round-trip")
		if err != nil {
			t.Fatalf("round trip: %v\n%q", err, buf.String())
		}
		// Isolated nodes (only in self loops) are not written, so compare
		// edges by name.
		want, got := map[[2]string]float64{}, map[[2]string]float64{}
		for _, e := range g.EdgeList() {
			want[[2]string{el.IDs.Name(e.U), el.IDs.Name(e.V)}] = e.W
		}
		for _, e := range back.Graph.EdgeList() {
			a, b := back.IDs.Name(e.U), back.IDs.Name(e.V)
			if _, ok := want[[2]string{a, b}]; !ok {
				a, b = b, a
			}
			got[[2]string{a, b}] = e.W
		}
		if len(got) != len(want) {
			t.Fatalf("round trip: %d edges, want %d", len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Fatalf("round trip: %v weight %v, want %v", k, got[k], w)
			}
		}
	})
}

func TestIDs(t *testing.T) {
	var m IDs
	if m.ID("b") != 0 || m.ID("a") != 1 || m.ID("b") != 0 || m.Len() != 2 || m.Name(1) != "a" {
		t.Fatalf("IDs: got %v", m.Names())
	}
	if _, ok := m.Lookup("c"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}
