package csr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxLine is the longest edge-list line ReadEdgeList accepts.
const maxLine = 1 << 20

// ParseError is a bad line in an edge list: which file, line (from 1) and
// field, and what is wrong with it.
type ParseError struct {
	File  string
	Line  int
	Field string // "source", "target", "weight" or "line"
	Msg   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// EdgeList is a graph read from a text edge list, with the names of its
// nodes.
type EdgeList struct {
	Graph     *Graph
	IDs       *IDs // node names, ids in order of first appearance
	Lines     int  // edge lines read (not counting comments and blank lines)
	SelfLoops int  // lines joining a node to itself, which were dropped
}

// ReadEdgeList reads an undirected weighted edge list, one edge a line:
//
//	source<TAB>target[<TAB>weight]
//
// Node names are any non-empty strings without tabs (surrounding spaces
// are trimmed); a line without a tab is split on runs of spaces instead,
// as many published benchmark files are. The weight defaults to 1 and
// must be a positive finite number. Blank lines and lines starting with
// '#' are skipped. Repeated pairs are summed; self loops are counted and
// dropped (see FromEdges). file names the input in errors, which are
// *ParseError for bad lines. Memory is linear in the edges.
func ReadEdgeList(r io.Reader, file string) (*EdgeList, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	out := &EdgeList{IDs: &IDs{}}
	var edges []Edge
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(text); t == "" || t[0] == '#' {
			continue
		}
		var fields []string
		if strings.Contains(text, "\t") {
			fields = strings.Split(text, "\t")
		} else {
			fields = strings.Fields(text)
		}
		if len(fields) < 2 || len(fields) > 3 {
			return nil, &ParseError{file, line, "line", fmt.Sprintf("%d fields, want source<TAB>target[<TAB>weight]", len(fields))}
		}
		src, dst := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
		if src == "" {
			return nil, &ParseError{file, line, "source", "empty node name"}
		}
		if dst == "" {
			return nil, &ParseError{file, line, "target", "empty node name"}
		}
		w := 1.0
		if len(fields) == 3 {
			s := strings.TrimSpace(fields[2])
			var err error
			w, err = strconv.ParseFloat(s, 64)
			if err != nil {
				var ne *strconv.NumError
				if errors.As(err, &ne) {
					err = ne.Err
				}
				return nil, &ParseError{file, line, "weight", fmt.Sprintf("%q: %v", s, err)}
			}
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, &ParseError{file, line, "weight", fmt.Sprintf("%q: must be a positive finite number", s)}
			}
		}
		u, v := out.IDs.ID(src), out.IDs.ID(dst)
		out.Lines++
		if u == v {
			out.SelfLoops++
			continue
		}
		edges = append(edges, Edge{U: u, V: v, W: w})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &ParseError{file, line + 1, "line", fmt.Sprintf("longer than %d bytes", maxLine)}
		}
		return nil, fmt.Errorf("%s: read after line %d: %w", file, line, err)
	}
	out.Graph = FromEdges(out.IDs.Len(), edges)
	return out, nil
}

// WriteEdgeList writes g as source<TAB>target<TAB>weight lines, each
// undirected edge once, naming nodes by names (indexed by id), so that
// ReadEdgeList reads it back to the same edges. Weights are written in
// the shortest form that reads back exactly.
func WriteEdgeList(w io.Writer, g *Graph, names []string) error {
	bw := bufio.NewWriter(w)
	for _, e := range g.EdgeList() {
		a, b := names[e.U], names[e.V]
		if strings.HasPrefix(a, "#") {
			// Would read back as a comment. A name can only start with
			// '#' as a target, so the other end cannot.
			a, b = b, a
		}
		bw.WriteString(a)
		bw.WriteByte('\t')
		bw.WriteString(b)
		bw.WriteByte('\t')
		bw.WriteString(strconv.FormatFloat(e.W, 'g', -1, 64))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
