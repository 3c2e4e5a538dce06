package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store"
)

// slowSink is the store, each write a little slower, so the writers'
// phases last long enough to be seen between log lines.
type slowSink struct {
	*store.Store
	delay time.Duration
}

func (s slowSink) wait() { time.Sleep(s.delay) }
func (s slowSink) MergeAccounts(ctx context.Context, rows []store.AccountRow) error {
	s.wait()
	return s.Store.MergeAccounts(ctx, rows)
}
func (s slowSink) MergeIPs(ctx context.Context, rows []store.IPRow) error {
	s.wait()
	return s.Store.MergeIPs(ctx, rows)
}
func (s slowSink) MergeDevices(ctx context.Context, rows []store.DeviceRow) error {
	s.wait()
	return s.Store.MergeDevices(ctx, rows)
}
func (s slowSink) MergeMatched(ctx context.Context, rows []store.MatchRow) error {
	s.wait()
	return s.Store.MergeMatched(ctx, rows)
}
func (s slowSink) WriteEdges(ctx context.Context, batch, rel string, rows []store.EdgeRow) error {
	s.wait()
	return s.Store.WriteEdges(ctx, batch, rel, rows)
}
func (s slowSink) MarkIngestBatch(ctx context.Context, id string, props map[string]any) error {
	s.wait()
	return s.Store.MarkIngestBatch(ctx, id, props)
}

// trickle hands out its input a little at a time, as a slow pipe does,
// so a chunk is read (and aggregated) over many log intervals.
type trickle struct{ r io.Reader }

func (t trickle) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return t.r.Read(p[:min(len(p), 2048)])
}

// progressLine is one "ingest progress" log line.
type progressLine struct {
	Msg, Phase                                                     string
	Records, Events, Nodes, Relationships, Chunks, Stored, Skipped int64
}

// TestProgressTellsTheTruth loads a file through stdin with small chunks
// and a log line every 5 ms, and reads the lines: each busy stage
// appears with its chunk and its own count (rows written never above the
// chunk's rows), events are counted while nothing is stored yet, every
// counter only grows, and the last line holds the summary's totals.
func TestProgressTellsTheTruth(t *testing.T) {
	s := prepared(t)
	var in bytes.Buffer
	lines, err := ingesttest.Synth(&in, 200, 30, 7)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	opts := testOptions(t)
	opts.ChunkLines, opts.TxRows = 2500, 500
	opts.LogEvery = 5 * time.Millisecond
	opts.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	opts.Stdin = trickle{&in}
	sum, err := Run(testCtx(t), slowSink{s, 10 * time.Millisecond}, []string{"-"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	chunks := int64((lines + opts.ChunkLines - 1) / opts.ChunkLines)

	var got []progressLine
	sc := bufio.NewScanner(&logs)
	for sc.Scan() {
		var l progressLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if l.Msg == "ingest progress" {
			got = append(got, l)
		}
	}
	if len(got) < 10 {
		t.Fatalf("%d progress lines, want many at a 5 ms interval", len(got))
	}
	t.Logf("%d lines; e.g. %+v", len(got), got[len(got)/2])

	phases := map[string]*regexp.Regexp{
		"reading":       regexp.MustCompile(`reading chunk \d+ \((\d+) lines\)`),
		"aggregating":   regexp.MustCompile(`aggregating chunk \d+ \((\d+) events\)`),
		"nodes":         regexp.MustCompile(`writing nodes of chunk \d+ \((\d+) of (\d+) rows\)`),
		"relationships": regexp.MustCompile(`writing relationships of chunk \d+ \((\d+) of (\d+) rows\)`),
		"checkpoint":    regexp.MustCompile(`checkpoint of chunk \d+`),
	}
	seen := map[string]bool{}
	countedBeforeStored := false
	for i, l := range got {
		for name, re := range phases {
			m := re.FindStringSubmatch(l.Phase)
			if m == nil {
				continue
			}
			seen[name] = true
			if len(m) == 3 {
				done, _ := strconv.Atoi(m[1])
				total, _ := strconv.Atoi(m[2])
				if done > total || total == 0 {
					t.Errorf("line %d: %q: %d of %d rows", i, l.Phase, done, total)
				}
			}
		}
		countedBeforeStored = countedBeforeStored || (l.Stored == 0 && l.Events > 0)
		if i == 0 {
			continue
		}
		p := got[i-1]
		if l.Records < p.Records || l.Events < p.Events || l.Nodes < p.Nodes || l.Relationships < p.Relationships || l.Chunks < p.Chunks || l.Stored < p.Stored {
			t.Errorf("line %d went back: %+v after %+v", i, l, p)
		}
	}
	for name := range phases {
		if !seen[name] {
			t.Errorf("no line shows the %s phase", name)
		}
	}
	if !countedBeforeStored {
		t.Error("no line counts aggregated events before the first chunk is stored")
	}
	last := got[len(got)-1]
	want := progressLine{Msg: "ingest progress", Phase: "done", Records: sum.Records, Events: sum.Stored + sum.Skipped, Nodes: sum.Nodes,
		Relationships: sum.Edges, Chunks: chunks, Stored: sum.Stored, Skipped: sum.Skipped}
	if last != want {
		t.Errorf("last line %+v, want the summary's totals %+v", last, want)
	}
	if sum.Records != int64(lines) || sum.Stored != int64(lines) {
		t.Errorf("summary %v, want %d records stored", sum, lines)
	}
}
