package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// serverMade are the codes of messages the server composes from its own
// figures (complexity, depth, alias counts), never from client text: they
// are not redacted, so a 7-digit complexity figure stays readable.
var serverMade = map[string]bool{"COMPLEXITY_LIMIT_EXCEEDED": true, "DEPTH_LIMIT_EXCEEDED": true, "ALIAS_LIMIT_EXCEEDED": true}

// presenter maps errors to what clients see: store sentinels to codes,
// timeouts to TIMEOUT, anything unexpected to a generic INTERNAL message
// (the detail goes to the log). Every message is redacted: parser,
// validator and decoder messages echo client input, and a client that
// sends a raw number where an id belongs must not get it back (an id in a
// message may lose a long digit run to this; ids are in the path anyway).
func presenter(log *slog.Logger, timeout, maxBody string) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &gqlerror.Error{Message: fmt.Sprintf("request body is larger than the limit of %d bytes", tooBig.Limit),
				Extensions: map[string]any{"code": "BODY_TOO_LARGE"}}
		}
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			// An error made as a GraphQL error: ours (with a code) or the
			// parser's, validator's or decoder's.
			out := *gerr
			if out.Path == nil {
				out.Path = graphql.GetPath(ctx)
			}
			code, _ := out.Extensions["code"].(string)
			if strings.HasPrefix(out.Message, "json request body could not be decoded") {
				if i := strings.LastIndex(out.Message, " body:"); i >= 0 {
					out.Message = out.Message[:i] // gqlgen's decoder echoes the whole body
				}
			}
			if !serverMade[code] {
				out.Message = target.Redact(out.Message)
			}
			if code == "" && strings.HasSuffix(out.Message, "http: request body too large") {
				out.Message = "request body is larger than the limit of " + maxBody + " bytes"
				out.Extensions = map[string]any{"code": "BODY_TOO_LARGE"}
			}
			if code == "" && strings.HasPrefix(out.Message, "json request body") {
				out.Extensions = map[string]any{"code": "BAD_REQUEST"}
			}
			if code == "COMPLEXITY_LIMIT_EXCEEDED" {
				out.Message += " (ask for smaller pages: list fields cost `first` times their items)"
			}
			return &out
		}
		path := graphql.GetPath(ctx)
		var code, msg string
		switch {
		case errors.Is(err, store.ErrNotFound):
			code, msg = "NOT_FOUND", err.Error()
		case errors.Is(err, store.ErrInvalidArgument):
			code, msg = "BAD_USER_INPUT", err.Error()
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			// The driver reports a query cut by the deadline as a lost
			// connection (ErrUnavailable); the request's own context
			// says what happened.
			code, msg = "TIMEOUT", fmt.Sprintf("the request took longer than its %s limit and was stopped", timeout)
		case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
			// The client went away: nothing is wrong on our side, so
			// nothing is logged as an error (the driver may report
			// the cut as a lost connection, as with the deadline).
			code, msg = "CANCELLED", "the request was cancelled"
		case errors.Is(err, store.ErrUnavailable):
			code, msg = "UNAVAILABLE", "the database is not reachable; try again shortly"
			log.Error("graphql", "path", path.String(), "err", target.Redact(err.Error()))
		default:
			code, msg = "INTERNAL", "internal error (logged)"
			log.Error("graphql", "path", path.String(), "err", target.Redact(err.Error()))
		}
		return &gqlerror.Error{Message: target.Redact(msg), Path: path, Extensions: map[string]any{"code": code}, Err: err}
	}
}
