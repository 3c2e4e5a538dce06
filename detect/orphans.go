package detect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// HeartbeatEvery is how often a running detection records that it is
// alive; a run whose last heartbeat is older than StaleAfter has lost its
// process (on another host, where its process id cannot be checked).
const (
	HeartbeatEvery = 30 * time.Second
	StaleAfter     = 3 * HeartbeatEvery
)

// heartbeat records that runID is alive every HeartbeatEvery until stop
// is called.
func heartbeat(ctx context.Context, st *store.Store, runID string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = st.Heartbeat(ctx, runID) // a missed beat is not fatal; StaleAfter allows for two
			}
		}
	}()
	return func() { cancel(); <-done }
}

// FailOrphanedRuns marks failed, with the reason, every run recorded as
// running whose process is gone: on this host, a process id that no
// longer exists or that is now this process (a restarted container's
// process 1); anywhere, no heartbeat for StaleAfter. Their partial
// networks are removed (store.FailRun), so the previous run's results are
// what the API serves. `lockstep serve` and `lockstep detect` call it at
// start. It returns the ids it failed.
func FailOrphanedRuns(ctx context.Context, st *store.Store, now time.Time) ([]string, error) {
	runs, started, err := st.RunningRuns(ctx)
	if err != nil {
		return nil, err
	}
	me := store.Self()
	var failed []string
	var errs []error
	for id, o := range runs {
		why := orphaned(o, started[id], me, now)
		if why == "" {
			continue
		}
		if err := st.FailRun(ctx, id, now, errors.New(why)); err != nil {
			errs = append(errs, err)
			continue
		}
		failed = append(failed, id)
	}
	return failed, errors.Join(errs...)
}

// orphaned says why a run owned by o has lost its process, or "" if it
// may still be running.
func orphaned(o store.RunOwner, started time.Time, me store.RunOwner, now time.Time) string {
	if o.Host == me.Host && o.PID > 0 && o.Token != me.Token {
		if o.PID == me.PID {
			return fmt.Sprintf("the process running it (pid %d on %s) has exited: that pid is now a new process", o.PID, o.Host)
		}
		if processGone(o.PID) {
			return fmt.Sprintf("the process running it (pid %d on %s) has exited", o.PID, o.Host)
		}
	}
	last := o.Heartbeat
	if last.IsZero() {
		last = started
	}
	if !last.IsZero() && now.Sub(last) > StaleAfter {
		return fmt.Sprintf("no heartbeat from the process running it since %s (pid %d on %s)", last.UTC().Format(time.RFC3339), o.PID, o.Host)
	}
	return ""
}
