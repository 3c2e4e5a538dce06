package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/loaders"
	"github.com/lockstep-dev/lockstep/store"
)

// protect wraps an API handler with, in order: authentication (a request
// without a valid key is refused before a byte of its body is read, and
// its connection closed), per-key rate limiting, the body size limit
// (declared or chunked), the GraphQL time limit, and fresh dataloaders.
// Exports of millions of rows take as long as they take.
func (s *Server) protect(next http.Handler, graphQL bool, needs store.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ws := isWebSocket(r)
		if graphQL && !ws {
			// A backstop for the whole request, from its arrival (the
			// key check included): the requestTimeout extension cuts
			// execution at the limit and names it; this ends whatever
			// still runs a moment later (gqlgen answers a request whose
			// context ended before execution with no response at all, so
			// it cannot be the limit itself).
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout+timeoutGrace)
			defer cancel()
		}
		if secret, ok := auth.FromRequest(r); ok {
			actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
			p, err := s.auth.Authenticate(actx, secret)
			cancel()
			if errors.Is(err, auth.ErrUnauthenticated) {
				unauthorized(w, r, needs)
				return
			}
			if errors.Is(err, context.DeadlineExceeded) {
				writeError(w, http.StatusServiceUnavailable, "TIMEOUT", "the request took longer than its "+s.cfg.Timeout.String()+" limit and was stopped (checking its API key)")
				return
			}
			if err != nil {
				s.cfg.Log.Error("authenticate", "err", err)
				writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "cannot check the API key: the database is not reachable")
				return
			}
			ctx = auth.WithPrincipal(ctx, p)
		} else if !(ws && graphQL) && r.Method != http.MethodOptions {
			// A browser cannot set headers on a WebSocket: those
			// authenticate in connection_init (wsInit).
			unauthorized(w, r, needs)
			return
		}
		if p, ok := auth.FromContext(ctx); ok {
			if ok, wait := s.limits.Allow(p.KeyID); !ok {
				secs := int(math.Ceil(wait))
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeError(w, http.StatusTooManyRequests, "RATE_LIMITED",
					"rate limit exceeded for key "+p.Name+": retry after "+strconv.Itoa(secs)+" s")
				return
			}
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			refuseBody(w, r)
			writeError(w, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE",
				"request body is "+strconv.FormatInt(r.ContentLength, 10)+" bytes; the limit is "+strconv.FormatInt(s.cfg.MaxBodyBytes, 10))
			closeUnread(w)
			return
		}
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			// A chunked body has no declared size: read it here, up to
			// the limit, so one over it gets the same 413 as a declared
			// one (inside the GraphQL handler it could only be an error
			// in a 200 response).
			b, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, "BAD_REQUEST", "cannot read the request body")
				return
			}
			if int64(len(b)) > s.cfg.MaxBodyBytes {
				refuseBody(w, r)
				writeError(w, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE",
					"request body is larger than the limit of "+strconv.FormatInt(s.cfg.MaxBodyBytes, 10)+" bytes")
				closeUnread(w)
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r.WithContext(loaders.With(ctx, s.cfg.Store)))
	})
}

// timeoutGrace is how long past its time limit a GraphQL request may take
// to answer before its context ends regardless.
const timeoutGrace = time.Second

// refuseBody marks the response to a request whose body will not be read
// as the connection's last: net/http would otherwise read what is left of
// the body (up to 256 KiB, however slowly it comes) to reuse it.
func refuseBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

// closeUnread sends the response written so far and ends reading the
// connection now, so a client that sends its body slowly (or never) does
// not hold it: net/http's read of what is left of the body fails at once.
func closeUnread(w http.ResponseWriter) {
	if w.Header().Get("Connection") != "close" {
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now())
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func unauthorized(w http.ResponseWriter, r *http.Request, needs store.Role) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="lockstep"`)
	refuseBody(w, r)
	writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", auth.UnauthenticatedFor(needs))
	closeUnread(w)
}

// writeError answers in the GraphQL error shape, so clients parse every
// rejection the same way.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack (WebSocket).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, path, status, size and duration of every
// request, never the query string or body (they may hold a raw number).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if isWebSocket(r) {
			// Hijacked connections must see the original writer.
			next.ServeHTTP(w, r)
			s.cfg.Log.Debug("websocket closed", "path", r.URL.Path, "duration", time.Since(start))
			return
		}
		// Checked first: the arguments of a disabled Debug call are still
		// built (and escape to the heap) on every request.
		if !s.cfg.Log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.cfg.Log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.bytes, "duration", time.Since(start))
	})
}
