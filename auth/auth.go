// Package auth authenticates API requests by key and carries the caller
// (the principal) in the request context for the role directive, the rate
// limiter and the audit log.
package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Principal is an authenticated API key.
type Principal struct {
	KeyID string
	Name  string
	Role  store.Role
}

// Allows reports whether the principal's role is at least min.
func (p Principal) Allows(min store.Role) bool {
	return p.Role.Level() > 0 && p.Role.Level() >= min.Level()
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of the request, if authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// ErrUnauthenticated means no key, an unknown key or a revoked key.
var ErrUnauthenticated = errors.New(UnauthenticatedFor(store.RoleViewer))

// UnauthenticatedFor is ErrUnauthenticated's message for a route that needs
// role: its hint creates a key that can use the route, so a newcomer who
// follows it is not refused a second time.
func UnauthenticatedFor(role store.Role) string {
	return "missing, unknown or revoked API key: send `Authorization: Bearer KEY` (create one with `lockstep keys create --role " +
		strings.ToLower(string(role)) + " --name NAME`)"
}

// Authenticator checks secrets against the stored key hashes. It caches
// answers for TTL so a busy client costs no Neo4j read per request; a
// revocation made by another process therefore takes effect within TTL
// (Forget drops the cache at once, for revocations in this process).
type Authenticator struct {
	Store *store.Store
	TTL   time.Duration

	mu    sync.Mutex
	cache map[string]cached // by key hash, never by secret
}

type cached struct {
	p       Principal
	ok      bool
	expires time.Time
}

// maxCached bounds the cache, so a flood of random keys cannot grow it
// without end; when full it is simply dropped.
const maxCached = 10000

// Authenticate returns the principal of a secret key.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, store.KeyPrefix) || len(secret) > 200 {
		return Principal{}, ErrUnauthenticated
	}
	h := store.HashKey(secret)
	now := time.Now()
	a.mu.Lock()
	c, hit := a.cache[h]
	a.mu.Unlock()
	if hit && now.Before(c.expires) {
		if !c.ok {
			return Principal{}, ErrUnauthenticated
		}
		return c.p, nil
	}
	k, err := a.Store.APIKeyBySecret(ctx, secret)
	var p Principal
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Principal{}, err // Neo4j trouble: not cached, not a 401
	default:
		p = Principal{KeyID: k.ID, Name: k.Name, Role: k.Role}
	}
	a.mu.Lock()
	if a.cache == nil || len(a.cache) >= maxCached {
		a.cache = make(map[string]cached)
	}
	a.cache[h] = cached{p: p, ok: err == nil, expires: now.Add(a.TTL)}
	a.mu.Unlock()
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	return p, nil
}

// Forget drops every cached answer.
func (a *Authenticator) Forget() {
	a.mu.Lock()
	a.cache = nil
	a.mu.Unlock()
}

// BearerToken returns the key of an `Authorization: Bearer KEY` header.
func BearerToken(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(prefix):])
	return tok, tok != ""
}

// FromRequest returns the bearer token of a request.
func FromRequest(r *http.Request) (string, bool) {
	return BearerToken(r.Header.Get("Authorization"))
}

// HasRole implements the @hasRole schema directive: the field resolves only
// for a principal whose role is at least role; otherwise the field is null
// with a FORBIDDEN error.
func HasRole(ctx context.Context, _ any, next graphql.Resolver, role store.Role) (any, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return nil, &gqlerror.Error{Message: ErrUnauthenticated.Error(), Extensions: map[string]any{"code": "UNAUTHENTICATED"}}
	}
	if !p.Allows(role) {
		return nil, &gqlerror.Error{
			Message:    "forbidden: this field needs role " + string(role) + " and the key " + p.Name + " has role " + string(p.Role),
			Extensions: map[string]any{"code": "FORBIDDEN", "requiredRole": string(role)},
		}
	}
	return next(ctx)
}
