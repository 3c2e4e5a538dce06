package ingest

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress counts what a load has done and shows it: a bar with rate and
// ETA on a terminal, a log line every logEvery otherwise.
type progress struct {
	records, stored, skipped, rejected atomic.Int64
	bytes                              atomic.Int64

	log   *slog.Logger
	out   io.Writer
	tty   bool
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	name  string
	done  chan struct{}
	wg    sync.WaitGroup
	start time.Time
}

const logEvery = 10 * time.Second

func newProgress(out io.Writer, log *slog.Logger) *progress {
	p := &progress{log: log, out: out, done: make(chan struct{}), start: time.Now()}
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
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			rec := p.records.Load()
			rate := float64(rec) / time.Since(p.start).Seconds()
			if p.tty {
				p.mu.Lock()
				if p.bar != nil {
					p.bar.Describe(fmt.Sprintf("%s: %d records (%.0f/s), %d rejected", p.name, rec, rate, p.rejected.Load()))
				}
				p.mu.Unlock()
			} else if now.Sub(last) >= logEvery {
				last = now
				p.log.Info("ingest progress", "file", p.name, "records", rec, "stored", p.stored.Load(), "rejected", p.rejected.Load(),
					"records_per_s", int64(rate), "read", fmtBytes(p.bytes.Load()))
			}
		}
	}
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
