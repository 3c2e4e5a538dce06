package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lockstep-dev/lockstep/store"
)

// The writer commits chunks in two stages that overlap: while one chunk's
// edges are written, the next chunk's nodes already are. Within a chunk,
// nodes must be committed before its edges (the edges MATCH them), and
// each relationship type is written on its own (all three share the
// accounts, so mixing them makes concurrent transactions wait on account
// locks); every such barrier leaves writers idle while the last
// transactions of a phase finish. The other chunk's node writes fill
// those gaps. All transactions of both stages share one pool of
// Options.Writers slots, so Neo4j never sees more than that many at once.
//
// Node writes are idempotent MERGEs, and the checkpoint and the chunk
// marker are written by the edge stage only after the chunk's edges are
// committed, so a crash at any point leaves what docs/INGEST.md says: a
// resume re-reads the chunks after the checkpoint and re-merges their
// nodes, and sub-batch markers keep edges from counting twice. Memory:
// one more chunk is held (the one whose nodes are written while the
// previous chunk's edges are), so three in all with the one being
// aggregated.

// nodesWritten is a chunk whose nodes are committed, on its way to the
// edge stage.
type nodesWritten struct {
	bt   *batch
	done map[string]bool // markers of this chunk committed before
	skip bool            // the whole chunk was committed before
}

// writerPool bounds the write transactions in flight across both stages.
type writerPool chan struct{}

func (p writerPool) run(ctx context.Context, f func() error) error {
	select {
	case p <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p }()
	return f()
}

// writeStages runs the two writer stages over batches, in order, and
// calls committed after each chunk is fully written (or found written).
func (l *loader) writeStages(ctx context.Context, g *errgroup.Group, name string, batches <-chan *batch, committed func(*batch) error) {
	pool := make(writerPool, l.opts.Writers)
	// Unbuffered: the node stage waits with its finished chunk until the
	// edge stage takes it, which bounds memory to one extra chunk.
	toEdges := make(chan nodesWritten)
	g.Go(func() error {
		defer close(toEdges)
		for bt := range batches {
			nw, err := l.writeNodes(ctx, pool, bt)
			if err != nil {
				return fmt.Errorf("ingest: %s: chunk %d (lines up to %d): %w", name, bt.index, bt.endLine, err)
			}
			select {
			case toEdges <- nw:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		for nw := range toEdges {
			if !nw.skip {
				if err := l.writeEdges(ctx, pool, nw.bt, nw.done); err != nil {
					return fmt.Errorf("ingest: %s: chunk %d (lines up to %d): %w", name, nw.bt.index, nw.bt.endLine, err)
				}
			}
			l.prog.begin(stageCheckpoint, nw.bt.index, 0)
			if err := committed(nw.bt); err != nil {
				return err
			}
			l.prog.chunks.Add(1)
			l.prog.end(stageCheckpoint)
		}
		return nil
	})
}

// writeNodes looks up the chunk's committed markers and, unless the whole
// chunk was committed before, merges its nodes (idempotent MERGE).
func (l *loader) writeNodes(ctx context.Context, pool writerPool, bt *batch) (nodesWritten, error) {
	done, err := l.sink.IngestBatches(ctx, bt.id)
	if err != nil {
		return nodesWritten{}, err
	}
	if done[bt.id] {
		l.prog.skipped.Add(bt.events)
		l.opts.Log.Debug("chunk already loaded", "file", bt.file, "chunk", bt.index)
		return nodesWritten{bt: bt, skip: true}, nil
	}
	tx := l.opts.TxRows
	// Nodes this run has already written with the same properties need no
	// second MERGE (most accounts appear in every chunk).
	accounts := filterSeen(&l.seen, bt.accounts, func(r *store.AccountRow) (string, string) {
		if r.Verified == nil && r.Handle == "" && r.Country == "" && r.CreatedAt.IsZero() {
			return "a" + r.ID, ""
		}
		return "a" + r.ID, fmt.Sprint(r.Handle, "\x00", r.Country, "\x00", r.Verified != nil && *r.Verified, r.Verified != nil, "\x00", r.CreatedAt.Unix())
	})
	ips := filterSeen(&l.seen, bt.ips, func(r *store.IPRow) (string, string) {
		if r.ASN == 0 && r.ASOrg == "" && r.Country == "" && r.Kind == "" {
			return "i" + r.Addr, ""
		}
		return "i" + r.Addr, fmt.Sprint(r.ASN, "\x00", r.ASOrg, "\x00", r.Country, "\x00", r.Kind)
	})
	devices := filterSeen(&l.seen, bt.devices, func(r *store.DeviceRow) (string, string) {
		if r.OS == "" && r.Client == "" {
			return "d" + r.ID, ""
		}
		return "d" + r.ID, r.OS + "\x00" + r.Client
	})
	l.prog.begin(stageNodes, bt.index, int64(len(accounts.rows)+len(ips.rows)+len(devices.rows)))
	defer l.prog.end(stageNodes)
	wrote := func(n int64) { l.prog.wrote(stageNodes, n) }
	g, gctx := errgroup.WithContext(ctx)
	// Node labels are disjoint, so their transactions never wait on each
	// other.
	nodeJobs(g, gctx, pool, accounts.rows, tx, l.sink.MergeAccounts, wrote)
	nodeJobs(g, gctx, pool, ips.rows, tx, l.sink.MergeIPs, wrote)
	nodeJobs(g, gctx, pool, devices.rows, tx, l.sink.MergeDevices, wrote)
	if err := g.Wait(); err != nil {
		return nodesWritten{}, err
	}
	accounts.commit(&l.seen)
	ips.commit(&l.seen)
	devices.commit(&l.seen)
	return nodesWritten{bt: bt, done: done}, nil
}

// writeEdges writes the chunk's edges in sub-batches that each carry a
// marker, one relationship type at a time, then MATCHED (its targets come
// with LOOKED_UP), then the chunk's own marker.
func (l *loader) writeEdges(ctx context.Context, pool writerPool, bt *batch, done map[string]bool) error {
	rels := []struct {
		rel   string
		parts [][]store.EdgeRow
	}{{store.RelLookedUp, bt.lookedUp}, {store.RelUsedIP, bt.usedIP}, {store.RelUsedDevice, bt.usedDev}}
	total := int64(len(bt.matched))
	for _, e := range rels {
		for _, rows := range e.parts {
			total += int64(len(rows))
		}
	}
	l.prog.begin(stageEdges, bt.index, total)
	defer l.prog.end(stageEdges)
	for _, e := range rels {
		g, gctx := errgroup.WithContext(ctx)
		for j, rows := range e.parts {
			id := fmt.Sprintf("%s/%s/%d", bt.id, e.rel, j)
			if done[id] || len(rows) == 0 {
				l.prog.passed(stageEdges, int64(len(rows)))
				continue
			}
			g.Go(func() error {
				return pool.run(gctx, func() error {
					t0 := time.Now()
					err := l.sink.WriteEdges(gctx, id, e.rel, rows)
					l.opts.Log.Debug("ingest: wrote edges", "rows", len(rows), "type", e.rel, "took", time.Since(t0))
					if errors.Is(err, store.ErrBatchDone) {
						l.prog.passed(stageEdges, int64(len(rows)))
						return nil
					}
					if err == nil {
						l.prog.wrote(stageEdges, int64(len(rows)))
					}
					return err
				})
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	nodeJobs(g, gctx, pool, bt.matched, l.opts.TxRows, l.sink.MergeMatched, func(n int64) { l.prog.wrote(stageEdges, n) })
	if err := g.Wait(); err != nil {
		return err
	}
	l.prog.end(stageEdges)
	l.prog.begin(stageCheckpoint, bt.index, 0)
	if err := l.sink.MarkIngestBatch(ctx, bt.id, map[string]any{"file": bt.file, "chunk": int64(bt.index), "lines": bt.lines, "events": bt.events}); err != nil {
		return err
	}
	l.prog.stored.Add(bt.events)
	return nil
}

// nodeJobs writes rows in transactions of tx rows, each taking a slot of
// pool, and reports each committed transaction's rows to wrote.
func nodeJobs[T any](g *errgroup.Group, ctx context.Context, pool writerPool, rows []T, tx int, write func(context.Context, []T) error, wrote func(int64)) {
	for lo := 0; lo < len(rows); lo += tx {
		part := rows[lo:min(lo+tx, len(rows))]
		g.Go(func() error {
			return pool.run(ctx, func() error {
				if err := write(ctx, part); err != nil {
					return err
				}
				wrote(int64(len(part)))
				return nil
			})
		})
	}
}
