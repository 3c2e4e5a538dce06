package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
)

// idSink records the chunk ids a load marks, and can fail at one chunk to
// play a crash.
type idSink struct {
	nullSink
	mu     sync.Mutex
	ids    []string
	failAt int // chunk number whose marker fails; -1 never
}

var errCrash = errors.New("crash")

func (s *idSink) MarkIngestBatch(_ context.Context, id string, props map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if props["chunk"] == int64(s.failAt) {
		return errCrash
	}
	s.ids = append(s.ids, id)
	return nil
}

// TestResumeKeepsChunkIDs checks that a load resumed from its checkpoint
// cuts and names the remaining chunks exactly as an uninterrupted load does,
// for NDJSON and CSV: the markers in Neo4j only protect the counts if they
// do.
func TestResumeKeepsChunkIDs(t *testing.T) {
	ndjson, _ := ingesttest.SynthFile(t, 200, 5, 3)
	csv := "account,time,target,target_kind,region,matched\n"
	for i := range 100 {
		csv += "a" + string(rune('0'+i%10)) + ",1709294400,+1415555" + pad(i) + ",,,\n"
	}
	csvPath := ingesttest.WriteFile(t, "lookups.csv", csv)
	for _, path := range []string{ndjson, csvPath} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			opts := testOptions(t)
			opts.ChunkLines = 13
			full := &idSink{failAt: -1}
			if _, err := Run(context.Background(), full, []string{path}, opts); err != nil {
				t.Fatal(err)
			}
			if len(full.ids) < 5 {
				t.Fatalf("only %d chunks", len(full.ids))
			}
			crash := &idSink{failAt: 3}
			if _, err := Run(context.Background(), crash, []string{path}, opts); !errors.Is(err, errCrash) {
				t.Fatalf("err = %v, want the crash", err)
			}
			opts.Resume = true
			resumed := &idSink{failAt: -1}
			sum, err := Run(context.Background(), resumed, []string{path}, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := append(crash.ids, resumed.ids...)
			if !slices.Equal(got, full.ids) {
				t.Errorf("chunk ids after resume differ:\n got  %v\n want %v", got, full.ids)
			}
			if sum.Records == 0 || sum.Records >= int64(len(full.ids)*opts.ChunkLines) {
				t.Errorf("resume read %d records; it should start at chunk 3", sum.Records)
			}
		})
	}
}

func pad(i int) string {
	s := "0000" + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
	return s[len(s)-4:]
}
