package ingest

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress counts what a load has done and shows it: a bar with rate and
// ETA on a terminal, a log line every logEvery otherwise. The stages of
// the pipeline run at once on different chunks (one is read and
// aggregated while the one before has its nodes written and the one
// before that its relationships), so the phase names each busy stage with
// its chunk and its own count; the counters only grow, and the last line
// a load logs holds its totals.
type progress struct {
	records, stored, skipped, rejected atomic.Int64
	bytes                              atomic.Int64
	// events aggregated, node and relationship rows merged: the stages'
	// counts over the whole load.
	events, nodes, edges atomic.Int64
	chunks               atomic.Int64 // committed (or found committed) chunks
	// chunkLines are the lines read of the chunk being read: set for
	// every line, so an atomic rather than the stage's mutex.
	chunkLines atomic.Int64

	log      *slog.Logger
	out      io.Writer
	tty      bool
	logEvery time.Duration
	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	name     string
	stages   [numStages]stageState
	done     chan struct{}
	wg       sync.WaitGroup
	start    time.Time
}

// Stages a chunk passes through, in order.
const (
	stageRead = iota
	stageAggregate
	stageNodes
	stageEdges
	stageCheckpoint
	numStages
)

// stageState is what one stage is doing: the chunk it works on and what
// of it is done (lines read, events aggregated, rows written of total).
type stageState struct {
	busy        bool
	chunk       int
	done, total int64
}

// defaultLogEvery is how often a load without a terminal logs progress.
const defaultLogEvery = 10 * time.Second

func newProgress(out io.Writer, log *slog.Logger, logEvery time.Duration) *progress {
	if logEvery <= 0 {
		logEvery = defaultLogEvery
	}
	p := &progress{log: log, out: out, logEvery: logEvery, done: make(chan struct{}), start: time.Now()}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) addBytes(n int64) {
	p.bytes.Add(n)
	if p.tty {
		p.mu.Lock()
		if p.bar != nil {
			_ = p.bar.Add64(n)
		}
		p.mu.Unlock()
	}
}

// begin starts stage s on chunk with total rows to write (0 when the
// stage does not count rows).
func (p *progress) begin(s, chunk int, total int64) {
	p.mu.Lock()
	p.stages[s] = stageState{busy: true, chunk: chunk, total: total}
	p.mu.Unlock()
}

// end marks stage s idle (waiting for its next chunk).
func (p *progress) end(s int) {
	p.mu.Lock()
	p.stages[s].busy = false
	p.mu.Unlock()
}

// wrote counts n rows of stage s's chunk as written by this load: in the
// chunk's count and in the stage's total over the load.
func (p *progress) wrote(s int, n int64) {
	switch s {
	case stageAggregate:
		p.events.Add(n)
	case stageNodes:
		p.nodes.Add(n)
	case stageEdges:
		p.edges.Add(n)
	}
	p.passed(s, n)
}

// passed counts n rows of stage s's chunk as done without adding them to
// the load's totals (an earlier load committed them).
func (p *progress) passed(s int, n int64) {
	p.mu.Lock()
	p.stages[s].done += n
	p.mu.Unlock()
}

// phase names what the load is doing now, the busy stages in pipeline
// order: "reading chunk 4 (300 lines), aggregating chunk 3 (1200 events), writing nodes of
// chunk 2 (400 of 900 rows), writing relationships of chunk 1 (3000 of
// 8000 rows)"; "waiting" when every stage waits on another (the writers
// on Neo4j's commit, the reader on a free writer).
func (p *progress) phase() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var parts []string
	st := p.stages
	if s := st[stageRead]; s.busy {
		parts = append(parts, fmt.Sprintf("reading chunk %d (%d lines)", s.chunk, p.chunkLines.Load()))
	}
	if s := st[stageAggregate]; s.busy {
		parts = append(parts, fmt.Sprintf("aggregating chunk %d (%d events)", s.chunk, s.done))
	}
	if s := st[stageNodes]; s.busy {
		parts = append(parts, fmt.Sprintf("writing nodes of chunk %d (%d of %d rows)", s.chunk, s.done, s.total))
	}
	if s := st[stageEdges]; s.busy {
		parts = append(parts, fmt.Sprintf("writing relationships of chunk %d (%d of %d rows)", s.chunk, s.done, s.total))
	}
	if s := st[stageCheckpoint]; s.busy {
		parts = append(parts, fmt.Sprintf("checkpoint of chunk %d", s.chunk))
	}
	if len(parts) == 0 {
		return "waiting"
	}
	return strings.Join(parts, ", ")
}

// startFile begins a bar for one input (size -1: unknown, a spinner).
func (p *progress) startFile(name string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.name = name
	if !p.tty {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	p.bar = progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(p.out),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(min(time.Second, p.logEvery))
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			if p.tty {
				phase := p.phase()
				p.mu.Lock()
				if p.bar != nil {
					p.bar.Describe(fmt.Sprintf("%s: %s · %d records, %d stored", p.name, phase, p.records.Load(), p.stored.Load()))
				}
				p.mu.Unlock()
			} else if now.Sub(last) >= p.logEvery {
				last = now
				p.logLine(p.phase())
			}
		}
	}
}

// logLine logs the counters with phase.
func (p *progress) logLine(phase string) {
	p.mu.Lock()
	name := p.name
	p.mu.Unlock()
	rec := p.records.Load()
	p.log.Info("ingest progress", "file", name, "phase", phase,
		"records", rec, "rejected", p.rejected.Load(), "events", p.events.Load(),
		"nodes", p.nodes.Load(), "relationships", p.edges.Load(),
		"chunks", p.chunks.Load(), "stored", p.stored.Load(), "skipped", p.skipped.Load(),
		"records_per_s", int64(float64(rec)/time.Since(p.start).Seconds()), "read", fmtBytes(p.bytes.Load()))
}

// stop ends the display; without a terminal it logs the final counts, the
// load's totals.
func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
	if !p.tty {
		p.logLine("done")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
