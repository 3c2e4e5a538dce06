// Package resolvers implements the GraphQL schema in graph/schema. Each
// resolver only parses its arguments and calls the store (through the
// request's dataloaders where a field repeats per list item) or detection.
package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vikstrous/dataloadgen"
	"golang.org/x/time/rate"
)

// Resolver holds what the resolvers need; the server builds one.
type Resolver struct {
	Store *store.Store
	// Detect runs detection; nil means this build has none, and
	// runDetection answers with an error saying so.
	Detect DetectFunc
	// Progress fans detection progress out to subscribers.
	Progress *Hub
	// HMACKey hashes numbers for targetByNumber.
	HMACKey []byte
	// TargetLimits limits targetByNumber per key.
	TargetLimits *Limiters
	// Log receives audit and error lines (never a raw number).
	Log *slog.Logger
	// Background is the context detection runs in: cancelled on shutdown.
	Background context.Context

	runMu sync.Mutex // held while a detection run started here runs
}

// Page-size defaults and bounds.
const (
	maxFirst = store.MaxPage
)

// page returns the page size asked for, or def when not given, rejecting
// anything outside 1..max with a clear error.
func page(first *int, def, max int) (int, error) {
	if first == nil {
		return def, nil
	}
	if *first < 1 || *first > max {
		return 0, inputError(fmt.Sprintf("first must be between 1 and %d, got %d (page through larger lists with cursors)", max, *first))
	}
	return *first, nil
}

// countryTally is the first countries of all (most first) and how many
// there are; nil when the network has no stored countries.
func countryTally(all []store.CountryCount, first *int) (*store.CountryTally, error) {
	n, err := page(first, 3, maxFirst)
	if err != nil || all == nil {
		return nil, err
	}
	return &store.CountryTally{Count: len(all), Top: all[:min(n, len(all))]}, nil
}

func inputError(msg string) error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
}

// notFoundNil turns "not found" into a null result for nullable lookups.
func notFoundNil[T any](v T, err error) (*T, error) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// audit records an audit event for the request's key, for actions that
// are not one store write (those pass auditEvent to the store, which
// writes it in the action's transaction). It writes with a context
// detached from the request's, bounded by auditTimeout: a request at its
// time limit, or whose client hung up, still leaves its record. A failure
// to audit fails the operation's response and is logged.
func (r *Resolver) audit(ctx context.Context, action string, subject string, rows int, detail any) error {
	ev := auditEvent(ctx, action, detail)
	if subject != "" {
		ev.Subject = &subject
	}
	ev.Rows = rows
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	_, err := r.Store.RecordAudit(actx, ev)
	if err != nil {
		r.Log.Error("audit failed", "action", action, "subject", subject, "key", ev.ActorKeyID, "err", err)
		return fmt.Errorf("%s done but not audited: %w", action, err)
	}
	r.logAudit(ev)
	return nil
}

// auditEvent is the audit event of an action by the request's key.
func auditEvent(ctx context.Context, action string, detail any) store.AuditEvent {
	p, _ := auth.FromContext(ctx)
	return store.AuditEvent{Actor: p.Name, ActorKeyID: p.KeyID, Role: p.Role, Action: action, Detail: detail}
}

func (r *Resolver) logAudit(ev store.AuditEvent) {
	subject := ""
	if ev.Subject != nil {
		subject = *ev.Subject
	}
	r.Log.Info("audit", "action", ev.Action, "subject", subject, "rows", ev.Rows, "key", ev.ActorKeyID, "actor", ev.Actor)
}

// Limiters gives each API key its own token bucket.
type Limiters struct {
	Limit rate.Limit
	Burst int

	m syncMap
}

// Allow takes a token from key's bucket; when none is left it returns the
// delay after which one will be.
func (l *Limiters) Allow(key string) (ok bool, retryAfter float64) {
	return l.AllowN(key, 1)
}

// AllowN takes n tokens from key's bucket at once; when fewer are left it
// takes none and returns the delay after which n will be. More than the
// bucket holds is never allowed (retryAfter is then -1).
func (l *Limiters) AllowN(key string, n int) (ok bool, retryAfter float64) {
	lim := l.m.get(key, func() *rate.Limiter { return rate.NewLimiter(l.Limit, l.Burst) })
	res := lim.ReserveN(time.Now(), n)
	if !res.OK() {
		return false, -1
	}
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return false, d.Seconds()
	}
	return true, 0
}

var timeNow = func() time.Time { return time.Now().UTC() }
