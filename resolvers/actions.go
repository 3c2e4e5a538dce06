package resolvers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/loaders"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The resolvers with more than a store call behind them.

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// lineageReviews returns the reviews of a network and its predecessors,
// newest first.
func (r *Resolver) lineageReviews(ctx context.Context, networkID string) ([]store.Review, error) {
	ld := loaders.For(ctx)
	chain, err := ld.Lineage().Load(ctx, networkID)
	if err != nil {
		return nil, err
	}
	lists, err := ld.Reviews().LoadAll(ctx, chain)
	if err != nil {
		return nil, err
	}
	var all []store.Review
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].At.Equal(all[j].At) {
			return all[i].At.After(all[j].At)
		}
		return all[i].ID > all[j].ID
	})
	if all == nil {
		all = []store.Review{}
	}
	return all, nil
}

// targetByNumber hashes a raw number and returns its target. The number
// goes nowhere else: not into errors, the audit log or any log line.
func (r *Resolver) targetByNumber(ctx context.Context, number string, region *string) (*store.Target, error) {
	p, _ := auth.FromContext(ctx)
	if ok, wait := r.TargetLimits.Allow(p.KeyID); !ok {
		return nil, &gqlerror.Error{
			Message:    fmt.Sprintf("targetByNumber is rate-limited: retry in %.0f seconds", math.Ceil(wait)),
			Extensions: map[string]any{"code": "RATE_LIMITED", "retryAfterSeconds": int(math.Ceil(wait))},
		}
	}
	t, err := target.NewHasher(r.HMACKey).Normalise(number, "", deref(region))
	if err != nil {
		// target's errors name lengths and digit counts, never digits.
		_ = r.audit(ctx, "targetByNumber", "", 0, map[string]any{"result": "invalid"})
		return nil, inputError("number: " + err.Error())
	}
	found, err := r.Store.Target(ctx, t.Key)
	rows := 1
	if errors.Is(err, store.ErrNotFound) {
		rows = 0
	} else if err != nil {
		return nil, err
	}
	if err := r.audit(ctx, "targetByNumber", t.Key, rows, map[string]any{"masked": t.Masked}); err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, nil
	}
	return &found, nil
}

// auditTimeout bounds an audit write that is detached from its request.
const auditTimeout = 10 * time.Second

// runDetection checks the input, records the audit event and starts the
// run in the background, answering with the run's id at once: the request
// never waits for detection. The audit is written before the run starts,
// with a context detached from the request (a request at its time limit
// must not leave a run unaudited): no audit, no run. One run at a time per
// server: detection uses every core.
func (r *Resolver) runDetection(ctx context.Context, input *model.RunDetectionInput) (*store.DetectionRun, error) {
	if r.Detect == nil {
		return nil, &gqlerror.Error{Message: "detection is not available in this server build", Extensions: map[string]any{"code": "UNAVAILABLE"}}
	}
	in := deref(input)
	runID, run, err := r.Detect(in)
	if err != nil {
		return nil, inputError("input: " + err.Error())
	}
	if !r.runMu.TryLock() {
		return nil, &gqlerror.Error{Message: "a detection run started through this server is still running; follow it with detectionProgress and try again when it ends",
			Extensions: map[string]any{"code": "CONFLICT"}}
	}
	if err := r.audit(ctx, "runDetection", runID, 0, in); err != nil {
		r.runMu.Unlock()
		return nil, fmt.Errorf("detection not started: %w", err)
	}
	bg := r.Background
	if bg == nil {
		bg = context.Background()
	}
	r.Progress.Start(runID)
	go func() {
		defer r.runMu.Unlock()
		err := run(bg, func(stage string, done, total int) {
			r.Progress.Publish(store.DetectionProgress{RunID: runID, Stage: stage, Done: done, Total: total, Status: store.RunRunning})
		})
		final := store.DetectionProgress{RunID: runID, Stage: "done", Status: store.RunFinished}
		if err != nil {
			msg := err.Error()
			final.Stage, final.Status, final.Message = "failed", store.RunFailed, &msg
			r.Log.Error("detection run failed", "run", runID, "err", err)
		}
		r.Progress.Publish(final)
	}()
	now := timeNow()
	return &store.DetectionRun{ID: runID, Status: store.RunRunning, StartedAt: &now}, nil
}

// detectionProgress streams a run's progress; for a run not running here,
// one event from its stored state.
func (r *Resolver) detectionProgress(ctx context.Context, runID string) (<-chan *store.DetectionProgress, error) {
	out := make(chan *store.DetectionProgress, 1)
	events, live := r.Progress.Subscribe(ctx, runID)
	if !live {
		runs, err := r.Store.RunsByIDs(ctx, []string{runID})
		if err != nil {
			return nil, err
		}
		run, ok := runs[runID]
		if !ok {
			return nil, &gqlerror.Error{Message: fmt.Sprintf("detection run %q not found", runID), Extensions: map[string]any{"code": "NOT_FOUND"}}
		}
		out <- &store.DetectionProgress{RunID: runID, Stage: "stored", Status: run.Status, Message: run.Error}
		close(out)
		return out, nil
	}
	go func() {
		defer close(out)
		for ev := range events {
			select {
			case out <- &ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// suspensionSample is how many entries a dry run shows.
const suspensionSample = 20

func (r *Resolver) createSuspensionList(ctx context.Context, c store.SuspensionCriteria, dryRun bool) (*store.SuspensionListResult, error) {
	if c.ExcludeAllowlisted != nil && !*c.ExcludeAllowlisted {
		return nil, inputError("excludeAllowlisted cannot be false: allowlisted accounts are never listed")
	}
	if c.MinScore != nil && (*c.MinScore < 0 || *c.MinScore > 1) {
		return nil, inputError(fmt.Sprintf("minScore must be between 0 and 1, got %g", *c.MinScore))
	}
	if len(c.NetworkIds) > 10000 {
		return nil, inputError("networkIds may name at most 10,000 networks")
	}
	if dryRun {
		n, sample, err := r.Store.PreviewSuspension(ctx, c, suspensionSample)
		if err != nil {
			return nil, notFoundInput(err, c.RunID)
		}
		if err := r.audit(ctx, "createSuspensionList", "dry-run", n, map[string]any{"dryRun": true, "criteria": c}); err != nil {
			return nil, err
		}
		return &store.SuspensionListResult{DryRun: true, Count: n, Sample: sample}, nil
	}
	ev := auditEvent(ctx, "createSuspensionList", map[string]any{"dryRun": false, "criteria": c})
	l, err := r.Store.CreateSuspensionList(ctx, c, ev)
	if err != nil {
		return nil, notFoundInput(err, c.RunID)
	}
	ev.Subject, ev.Rows = &l.ID, l.AccountCount
	r.logAudit(ev)
	sample, err := r.Store.SuspensionEntries(ctx, l.ID, suspensionSample, "")
	if err != nil {
		return nil, err
	}
	return &store.SuspensionListResult{Count: l.AccountCount, Sample: sample, List: &l}, nil
}

func notFoundInput(err error, runID string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &gqlerror.Error{Message: fmt.Sprintf("detection run %q not found", runID), Extensions: map[string]any{"code": "NOT_FOUND"}}
	}
	return err
}
