// Package ingest loads raw account, login and lookup records (NDJSON or CSV,
// docs/FORMATS.md) into the graph: it validates and normalises every record,
// writes the bad ones to a rejects file, aggregates the good ones per chunk
// of input into distinct nodes and edges (first, last, count), and hands
// those to the store in batches that are committed at most once, so that a
// re-load or a resumed load leaves the graph as one clean load would
// (docs/INGEST.md).
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lockstep-dev/lockstep/ingest/ipinfo"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
)

// Sink is where batches go: *store.Store.
type Sink interface {
	MergeAccounts(ctx context.Context, rows []store.AccountRow) error
	MergeIPs(ctx context.Context, rows []store.IPRow) error
	MergeDevices(ctx context.Context, rows []store.DeviceRow) error
	MergeTargets(ctx context.Context, rows []store.TargetRow) error
	MergeMatched(ctx context.Context, rows []store.MatchRow) error
	WriteEdges(ctx context.Context, batch, rel string, rows []store.EdgeRow) error
	IngestBatches(ctx context.Context, prefix string) (map[string]bool, error)
	MarkIngestBatch(ctx context.Context, id string, props map[string]any) error
}

// Defaults of the batch geometry. Both are part of a batch's identity (a
// re-load is recognised only with the same values), so they are not flags.
const (
	DefaultChunkLines = 500_000
	DefaultTxRows     = 10_000
)

// Options configure Run.
type Options struct {
	Format      string // FormatNDJSON, FormatCSV or "" to tell by extension or content
	Strict      bool   // stop at the first bad record, before its chunk is written
	Resume      bool   // continue files from their checkpoints
	RejectsPath string // "" means FILE.rejects.ndjson beside each input (stdin: in StateDir)
	HMACKey     []byte // config.Config.HMACKey
	IPDB        *ipinfo.DB
	StateDir    string // LOCKSTEP_HOME: checkpoints, rejects of stdin
	Workers     int    // parsing goroutines; 0 means GOMAXPROCS
	Writers     int    // concurrent write transactions; 0 means 2
	Log         *slog.Logger
	Progress    io.Writer // a terminal gets a progress bar; nil means periodic log lines
	// LogEvery is how often a load without a terminal logs its
	// progress; 0 means every 10 seconds.
	LogEvery   time.Duration
	ChunkLines int // 0 means DefaultChunkLines
	TxRows     int // 0 means DefaultTxRows
	// Stdin is read for the input "-" (os.Stdin when nil).
	Stdin io.Reader

	// noCheckpoints: Bulk's sink commits nothing until the import is
	// installed, so its chunks must not be checkpointed as committed.
	noCheckpoints bool
}

// Summary is what a load did.
type Summary struct {
	Files    int
	Records  int64 // records read (non-blank lines)
	Stored   int64 // valid records written in this run
	Skipped  int64 // valid records of chunks committed by an earlier load
	Rejected int64 // records refused (see the rejects files)
	Nodes    int64 // node rows merged
	Edges    int64 // edge rows merged
	Elapsed  time.Duration
	Rejects  []string // rejects files written
}

// Rate is records read per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Records) / s.Elapsed.Seconds()
}

func (s Summary) String() string {
	return fmt.Sprintf("%d records read, %d stored, %d already stored, %d rejected in %s (%.0f records/s); %d nodes, %d edges merged",
		s.Records, s.Stored, s.Skipped, s.Rejected, s.Elapsed.Round(time.Millisecond), s.Rate(), s.Nodes, s.Edges)
}

// ErrStrict is returned (wrapped with the reject) when Strict stops a load.
var ErrStrict = errors.New("strict: stopped at the first bad record")

// Run loads the inputs (paths, "-" for stdin) in order into sink.
func Run(ctx context.Context, sink Sink, inputs []string, opts Options) (Summary, error) {
	start := time.Now()
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Writers <= 0 {
		opts.Writers = 2
	}
	if opts.ChunkLines <= 0 {
		opts.ChunkLines = DefaultChunkLines
	}
	if opts.TxRows <= 0 {
		opts.TxRows = DefaultTxRows
	}
	if len(opts.HMACKey) == 0 {
		return Summary{}, errors.New("ingest: no HMAC key")
	}
	switch opts.Format {
	case "", FormatNDJSON, FormatCSV:
	default:
		return Summary{}, fmt.Errorf("ingest: unknown format %q (want ndjson or csv)", opts.Format)
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	l := &loader{opts: opts, sink: sink, prog: newProgress(opts.Progress, opts.Log, opts.LogEvery)}
	defer l.prog.stop()
	var err error
	for _, in := range inputs {
		if err = l.file(ctx, in); err != nil {
			break
		}
		l.sum.Files++
	}
	l.sum.Elapsed = time.Since(start)
	l.sum.Records, l.sum.Stored, l.sum.Skipped, l.sum.Rejected = l.prog.records.Load(), l.prog.stored.Load(), l.prog.skipped.Load(), l.prog.rejected.Load()
	l.sum.Nodes, l.sum.Edges = l.prog.nodes.Load(), l.prog.edges.Load()
	return l.sum, err
}

type loader struct {
	opts Options
	sink Sink
	prog *progress
	sum  Summary
	seen nodeCache // writer goroutine only
}

// chainSeed starts every input's chain of chunk ids; the batch geometry is
// in it because the same bytes cut differently are different batches.
func chainSeed(o Options) string {
	return fmt.Sprintf("lockstep-ingest/v1 chunk=%d tx=%d", o.ChunkLines, o.TxRows)
}

// file loads one input.
func (l *loader) file(ctx context.Context, path string) (err error) {
	name := path
	var in io.Reader
	var size int64 = -1
	var info os.FileInfo
	if path == "-" {
		name = "stdin"
		in = l.opts.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		defer f.Close()
		if info, err = f.Stat(); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if info.IsDir() {
			return fmt.Errorf("ingest: %s is a directory", path)
		}
		size = info.Size()
		in = f
	}

	// Resume from the checkpoint: seek past the committed chunks.
	var cp *checkpoint
	cpPath := ""
	if path != "-" && l.opts.StateDir != "" && !l.opts.noCheckpoints {
		cpPath = checkpointPath(l.opts.StateDir, path)
		if l.opts.Resume {
			cp, err = loadCheckpoint(cpPath, info, chainSeed(l.opts))
			if err != nil {
				l.opts.Log.Warn("checkpoint not usable; reading from the start (committed batches are still skipped)", "file", name, "reason", err)
				cp = nil
			}
		}
	}
	rej, err := l.rejects(path, cp != nil)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rej.close(); err == nil {
			err = cerr
		}
		if rej.n > 0 {
			l.sum.Rejects = append(l.sum.Rejects, rej.path)
		}
	}()

	br := bufio.NewReaderSize(in, 256<<10)
	format, serr := sniff(br)
	if serr != nil {
		l.prog.rejected.Add(1)
		return rej.add(l, &Reject{File: name, Line: 1, Reason: serr.Error()})
	}
	if format == "" { // empty input
		l.opts.Log.Warn("input is empty", "file", name)
		return nil
	}
	if l.opts.Format != "" {
		format = l.opts.Format
	} else if ext := strings.ToLower(filepath.Ext(path)); ext == ".csv" {
		format = FormatCSV
	} else if ext == ".ndjson" || ext == ".jsonl" || ext == ".json" {
		format = FormatNDJSON
	}

	rr := newRecordReader(br, format == FormatCSV, 0, 0)
	chunk := 0
	rr.resetChain(chainSeed(l.opts))
	csvKindName := ""
	if format == FormatCSV {
		// The header is read first, also when resuming (it is not part of
		// any chunk; the chain starts after it).
		for {
			rec, err := rr.next()
			if err == io.EOF {
				l.opts.Log.Warn("CSV input has no header and no records", "file", name)
				return nil
			}
			if err != nil {
				return fmt.Errorf("ingest: %s: %w", name, err)
			}
			data := bytes.TrimPrefix(rec.data, utf8BOM)
			if len(bytes.TrimSpace(data)) == 0 {
				continue
			}
			fields, ferr := splitCSV(string(data), nil)
			if ferr == nil {
				csvKindName = csvKind(fields)
			}
			if csvKindName == "" {
				l.prog.rejected.Add(1)
				return rej.add(l, &Reject{File: name, Line: rec.line, Field: "header", Reason: fmt.Sprintf(
					"header %q names no record kind; want one of account: %s | login: %s | lookup: %s",
					target.Clip(string(data)), strings.Join(accountCols, ","), strings.Join(loginCols, ","), strings.Join(lookupCols, ","))})
			}
			break
		}
		rr.resetChain(chainSeed(l.opts) + " header=" + csvKindName)
	}
	if cp != nil {
		if seeker, ok := in.(io.Seeker); ok && cp.Offset >= rr.offset {
			if _, err := seeker.Seek(cp.Offset, io.SeekStart); err != nil {
				return fmt.Errorf("ingest: %s: resume: %w", name, err)
			}
			br.Reset(in)
			rr = newRecordReader(br, format == FormatCSV, cp.Line, cp.Offset)
			rr.resetChain(cp.Chain)
			chunk = cp.Chunk
			l.prog.addBytes(cp.Offset)
			l.opts.Log.Info("resuming from checkpoint", "file", name, "line", cp.Line, "chunk", chunk)
		}
	}
	l.prog.startFile(name, size)
	return l.pipeline(ctx, &fileRun{name: name, format: format, csvKindName: csvKindName, rr: rr, chunk: chunk, rej: rej, cpPath: cpPath, info: info})
}

// block is a run of records parsed by one worker; blocks never span chunks.
type block struct {
	// text holds the block's records, back to back. It is a string, never
	// changed once the block is sent, so that parsed events can point into
	// it instead of copying every field.
	text  string
	recs  []recRef
	chunk *batch // set on the last block of a chunk: the chunk's metadata
	res   chan blockResult
}

type recRef struct {
	start, end int
	line       int64
	tooLong    bool
	noEOL      bool
}

type blockResult struct {
	events  []event
	rejects []Reject
	records int64
}

const blockRecords = 2048

// eventSlices recycles the parsers' event slices: a block's events are
// dead once the aggregator has folded them in.
var eventSlices = sync.Pool{New: func() any { return new([]event) }}

func getEvents(n int) []event {
	p := eventSlices.Get().(*[]event)
	if cap(*p) < n {
		return make([]event, 0, n)
	}
	return (*p)[:0]
}

func putEvents(evs []event) {
	clear(evs[:cap(evs)]) // drop the pointers into the block's text
	evs = evs[:0]
	eventSlices.Put(&evs)
}

// fileRun is one input on its way through the pipeline's stages, which
// run concurrently: readBlocks cuts the records into blocks and chunks,
// parseBlocks (Options.Workers of them) turns blocks into events and
// rejects, aggregate folds them in input order into one batch per chunk,
// and the writer stages (write.go) commit the batches, each followed by
// the checkpoint.
type fileRun struct {
	l                         *loader
	name, format, csvKindName string
	rr                        *recordReader
	chunk                     int // index of the first chunk read
	rej                       *rejectsFile
	cpPath                    string // "" for no checkpoints
	info                      os.FileInfo

	ctx context.Context
	// Strict mode stops reading at the first bad record but lets the
	// batches before it finish writing: readCtx stops only the reading
	// side.
	readCtx     context.Context
	stopReading context.CancelFunc
	strictErr   error
	work        chan *block // blocks to parse, in any order
	ordered     chan *block // the same blocks in input order
	// Unbuffered: at most two chunks are in memory, the one being
	// aggregated and the one being written.
	batches chan *batch
}

// pipeline runs the stages of fileRun over one input.
func (l *loader) pipeline(ctx context.Context, f *fileRun) error {
	g, ctx := errgroup.WithContext(ctx)
	f.l, f.ctx = l, ctx
	f.readCtx, f.stopReading = context.WithCancel(ctx)
	defer f.stopReading()
	f.work = make(chan *block, 2*l.opts.Workers)
	f.ordered = make(chan *block, 4*l.opts.Workers)
	f.batches = make(chan *batch)
	g.Go(f.readBlocks)
	for range l.opts.Workers {
		p := &parser{hasher: target.NewHasher(l.opts.HMACKey)}
		g.Go(func() error { return f.parseBlocks(p) })
	}
	g.Go(f.aggregate)
	l.writeStages(ctx, g, f.name, f.batches, f.checkpoint)
	if err := g.Wait(); err != nil {
		return err
	}
	return f.strictErr
}

// readBlocks reads the records into blocks, marks chunk boundaries with
// their chained ids, and hands each block to the parsers and, in order, to
// the aggregator.
func (f *fileRun) readBlocks() error {
	l := f.l
	defer close(f.work)
	defer close(f.ordered)
	defer l.prog.end(stageRead)
	inChunk, chunk := 0, f.chunk
	l.prog.begin(stageRead, chunk, 0)
	l.prog.chunkLines.Store(0)
	first := f.rr.offset == 0
	lastOffset := f.rr.offset
	var b *block
	var buf []byte // the block being filled; reused
	emit := func() error {
		b.text = string(buf)
		buf = buf[:0]
		for _, ch := range []chan *block{f.work, f.ordered} {
			select {
			case ch <- b:
			case <-f.readCtx.Done():
				if f.ctx.Err() == nil {
					return errStopped // strict mode stopped the aggregator
				}
				return f.readCtx.Err()
			}
		}
		b = nil
		return nil
	}
	for {
		rec, err := f.rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("ingest: %s: read: %w", f.name, err)
		}
		l.prog.addBytes(f.rr.offset - lastOffset)
		lastOffset = f.rr.offset
		if first {
			rec.data = bytes.TrimPrefix(rec.data, utf8BOM)
			first = false
		}
		if b == nil {
			b = &block{res: make(chan blockResult, 1), recs: make([]recRef, 0, blockRecords)}
		}
		if len(bytes.TrimSpace(rec.data)) > 0 || rec.tooLong {
			b.recs = append(b.recs, recRef{start: len(buf), end: len(buf) + len(rec.data), line: rec.line, tooLong: rec.tooLong, noEOL: rec.noEOL})
			buf = append(buf, rec.data...)
		}
		inChunk++
		l.prog.chunkLines.Store(int64(inChunk))
		if inChunk == l.opts.ChunkLines {
			b.chunk = &batch{id: f.rr.chainSum(), file: f.name, index: chunk, endLine: f.rr.line, endOffset: f.rr.offset, lines: int64(inChunk)}
			chunk++
			inChunk = 0
			l.prog.chunkLines.Store(0)
			l.prog.begin(stageRead, chunk, 0)
		}
		if b.chunk != nil || len(b.recs) == blockRecords {
			if err := emit(); err == errStopped {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	if inChunk > 0 || b != nil {
		if b == nil {
			b = &block{res: make(chan blockResult, 1)}
		}
		b.chunk = &batch{id: f.rr.chainSum(), file: f.name, index: chunk, endLine: f.rr.line, endOffset: f.rr.offset, lines: int64(inChunk)}
		if err := emit(); err != errStopped {
			return err
		}
	}
	return nil
}

// parseBlocks parses the blocks it takes with p into events and rejects.
func (f *fileRun) parseBlocks(p *parser) error {
	var fields []string
	for b := range f.work {
		res := blockResult{events: getEvents(len(b.recs))}
		for _, r := range b.recs {
			res.records++
			if r.tooLong {
				res.rejects = append(res.rejects, Reject{File: f.name, Line: r.line, Reason: fmt.Sprintf("record longer than %d bytes", maxLine)})
				continue
			}
			data := b.text[r.start:r.end]
			var ev event
			var fe *fieldError
			if f.format == FormatCSV {
				ev, fields, fe = p.parseCSV(f.csvKindName, data, fields)
			} else {
				ev, fe = p.parseNDJSON(data)
			}
			if fe != nil {
				reason := fe.reason
				if r.noEOL {
					reason = "truncated last line (no newline at the end of the input): " + reason
				}
				res.rejects = append(res.rejects, Reject{File: f.name, Line: r.line, Field: fe.field, Reason: reason})
				continue
			}
			ev.line = r.line
			res.events = append(res.events, ev)
		}
		b.res <- res
	}
	return nil
}

// aggregate takes the parsed blocks in input order, records their rejects
// (strict mode: stops at the first), and folds their events into one batch
// per chunk for the writers.
func (f *fileRun) aggregate() error {
	l := f.l
	defer close(f.batches)
	agg := newAggregator(nil)
	var rejected int64
	chunk, inChunk := f.chunk, false
	for b := range f.ordered {
		if !inChunk {
			l.prog.begin(stageAggregate, chunk, 0)
			inChunk = true
		}
		var res blockResult
		select {
		case res = <-b.res:
		case <-f.readCtx.Done():
			return f.readCtx.Err()
		}
		l.prog.records.Add(res.records)
		for i := range res.rejects {
			if l.opts.Strict {
				l.prog.rejected.Add(1)
				f.strictErr = fmt.Errorf("%w: %w", ErrStrict, &res.rejects[i])
				f.stopReading()
				return f.rej.add(l, &res.rejects[i])
			}
			if err := f.rej.add(l, &res.rejects[i]); err != nil {
				return err
			}
		}
		l.prog.rejected.Add(int64(len(res.rejects)))
		rejected += int64(len(res.rejects))
		agg.addAll(res.events)
		l.prog.wrote(stageAggregate, int64(len(res.events)))
		putEvents(res.events)
		if b.chunk != nil {
			bt := b.chunk
			bt.rejected = rejected
			if err := agg.finish(bt, l.opts.IPDB, l.opts.TxRows); err != nil {
				return err
			}
			// Handing the batch over waits for the writers: not
			// aggregating any more.
			l.prog.end(stageAggregate)
			chunk, inChunk = bt.index+1, false
			select {
			case f.batches <- bt:
			case <-f.readCtx.Done():
				return f.readCtx.Err()
			}
			agg, rejected = newAggregator(agg), 0
		}
	}
	return nil
}

// checkpoint records, after a chunk is committed, where a resume starts.
func (f *fileRun) checkpoint(bt *batch) error {
	l := f.l
	if f.cpPath == "" {
		return nil
	}
	if err := f.rej.sync(); err != nil {
		return err
	}
	cp := checkpoint{File: f.name, Size: f.info.Size(), ModTime: f.info.ModTime(), Offset: bt.endOffset, Line: bt.endLine, Chunk: bt.index + 1, Chain: bt.id, Seed: chainSeed(l.opts)}
	return cp.save(f.cpPath)
}

// errStopped tells the reader that strict mode ended the load.
var errStopped = errors.New("stopped")

// rejectsFile writes rejects as NDJSON, created on the first one.
type rejectsFile struct {
	mu     sync.Mutex
	path   string
	append bool
	f      *os.File
	w      *bufio.Writer
	n      int64
}

func (l *loader) rejects(input string, resume bool) (*rejectsFile, error) {
	p := l.opts.RejectsPath
	if p == "" {
		if input == "-" {
			dir := filepath.Join(l.opts.StateDir, "rejects")
			if l.opts.StateDir == "" {
				dir = "."
			}
			p = filepath.Join(dir, "stdin-"+time.Now().UTC().Format("20060102T150405Z")+".rejects.ndjson")
		} else {
			p = input + ".rejects.ndjson"
		}
	}
	// One --rejects file for several inputs collects them all.
	return &rejectsFile{path: p, append: resume || (l.opts.RejectsPath != "" && l.sum.Files > 0)}, nil
}

func (r *rejectsFile) add(l *loader, rej *Reject) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
			return fmt.Errorf("ingest: rejects file: %w", err)
		}
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if r.append {
			flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(r.path, flag, 0o600)
		if err != nil {
			return fmt.Errorf("ingest: rejects file: %w", err)
		}
		r.f, r.w = f, bufio.NewWriter(f)
	}
	r.n++
	if r.n <= 5 {
		l.opts.Log.Warn("rejected", "record", rej.Error())
	}
	b, _ := jsonMarshal(rej)
	r.w.Write(b)
	return r.w.WriteByte('\n')
}

func (r *rejectsFile) sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return nil
	}
	return r.w.Flush()
}

func (r *rejectsFile) close() error {
	if r.f == nil {
		return nil
	}
	if err := r.w.Flush(); err != nil {
		r.f.Close()
		return err
	}
	return r.f.Close()
}
