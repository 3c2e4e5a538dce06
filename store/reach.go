package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Reachability. The driver retries a managed transaction that cannot
// connect for up to its retry budget (MaxTransactionRetryTime), sleeping
// 2 s, 4 s, ... between attempts, so against a dead Neo4j every call
// would hang until its context or that budget ran out. Instead the store
// probes: when an operation has run for suspectAfter (or ended on a lost
// connection), one probe asks the driver to reach the server; when the
// server cannot be reached, every operation in flight ends at once with
// ErrUnavailable, new ones fail without trying, and the probe repeats
// every probeEvery until Neo4j answers again. Operations keep the driver's
// retry of transient errors: the probe only cuts them short when the
// server is gone.

const (
	// suspectAfter is how long an operation runs before a probe checks
	// that Neo4j is still there (an answering server costs the probe one
	// round trip).
	suspectAfter = 250 * time.Millisecond
	// probeEvery spaces the probes: while Neo4j is unreachable, it is how
	// soon after Neo4j answers again the store serves again.
	probeEvery = 250 * time.Millisecond
	// probeTimeout bounds one probe. A probe that runs out of time has
	// found a slow server, not a dead one, and changes nothing: only a
	// refused or broken connection marks Neo4j unreachable.
	probeTimeout = 2 * time.Second
)

// reach is what the store knows of whether Neo4j answers.
type reach struct {
	verify func(context.Context) error // the probe: the driver's VerifyConnectivity

	mu        sync.Mutex
	lost      context.Context // cancelled, with the ErrUnavailable cause, when Neo4j is found unreachable
	markLost  context.CancelCauseFunc
	probing   bool
	lastProbe time.Time
	closed    chan struct{}
}

func newReach(verify func(context.Context) error) *reach {
	r := &reach{verify: verify, closed: make(chan struct{})}
	r.lost, r.markLost = context.WithCancelCause(context.Background())
	return r
}

// close stops a probe loop that waits for Neo4j to come back.
func (r *reach) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.closed:
	default:
		close(r.closed)
	}
}

// current returns the context that is cancelled when Neo4j is found
// unreachable (already cancelled while it is).
func (r *reach) current() context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost
}

// probe starts a probe unless one runs or one started within probeEvery.
func (r *reach) probe() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.probing || time.Since(r.lastProbe) < probeEvery {
		return
	}
	r.probing = true
	go r.probeLoop()
}

// probeLoop probes until Neo4j answers or a probe is inconclusive
// (slow, not refused), then ends; while Neo4j is unreachable it keeps
// probing every probeEvery.
func (r *reach) probeLoop() {
	for {
		r.mu.Lock()
		r.lastProbe = time.Now()
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := r.verify(ctx)
		refused := err != nil && ctx.Err() == nil && neo4j.IsConnectivityError(err)
		cancel()

		r.mu.Lock()
		down := r.lost.Err() != nil
		switch {
		case err == nil && down:
			r.lost, r.markLost = context.WithCancelCause(context.Background())
		case refused && !down:
			r.markLost(fmt.Errorf("%w: no answer since %s (is it running? is NEO4J_URI right?): %w",
				ErrUnavailable, time.Now().UTC().Format(time.TimeOnly), err))
			down = true
		}
		if !refused {
			r.probing = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		select {
		case <-r.closed:
			r.mu.Lock()
			r.probing = false
			r.mu.Unlock()
			return
		case <-time.After(probeEvery):
		}
	}
}

// watch runs an operation under the reachability check: it returns the
// context to run it with, cancelled when Neo4j is found unreachable
// (already, when it is known to be), and end, to be called with the
// operation's error, which returns the error to report: ErrUnavailable
// with the probe's reason when the probe cut the operation short.
func (s *Store) watch(parent context.Context) (context.Context, func(error) error) {
	ctx, cancel := context.WithCancelCause(parent)
	lost := s.reach.current()
	if lost.Err() != nil {
		cancel(context.Cause(lost))
	}
	stop := context.AfterFunc(lost, func() { cancel(context.Cause(lost)) })
	// While the operation runs, a probe every suspectAfter.
	var ended atomic.Bool
	var suspect atomic.Pointer[time.Timer]
	var arm func()
	arm = func() {
		suspect.Store(time.AfterFunc(suspectAfter, func() {
			if !ended.Load() {
				s.reach.probe()
				arm()
			}
		}))
	}
	arm()
	return ctx, func(err error) error {
		ended.Store(true)
		suspect.Load().Stop()
		stop()
		defer cancel(nil)
		if err == nil || parent.Err() != nil {
			return err
		}
		if cause := context.Cause(ctx); errors.Is(cause, ErrUnavailable) {
			return cause
		}
		if errors.Is(err, ErrUnavailable) {
			s.reach.probe() // a lost connection: is the server gone?
		}
		return err
	}
}

// WaitReachable returns at once unless the store has found Neo4j
// unreachable; then it returns when Neo4j answers again, or with ctx's
// error. (For work that must still be recorded once Neo4j is back, such
// as the failure of a detection run that lost it.)
func (s *Store) WaitReachable(ctx context.Context) error {
	for {
		lost := s.reach.current()
		if lost.Err() == nil {
			return nil
		}
		s.reach.probe()
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", context.Cause(lost), ctx.Err())
		case <-time.After(probeEvery):
		}
	}
}
