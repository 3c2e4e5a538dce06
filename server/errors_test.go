package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/store"
)

// TestPresenterClientCancel: a client that hangs up mid-request often
// surfaces as a lost connection from the driver; the request's context says
// it was the client, so the answer is CANCELLED and nothing is logged as an
// error. The same driver error on a live request stays UNAVAILABLE and is
// logged.
func TestPresenterClientCancel(t *testing.T) {
	lost := fmt.Errorf("read network: %w", store.ErrUnavailable)
	for _, tt := range []struct {
		name     string
		cancel   bool
		wantCode string
		wantLog  bool
	}{
		{"client gone", true, "CANCELLED", false},
		{"database gone", false, "UNAVAILABLE", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			present := presenter(slog.New(slog.NewTextHandler(&logs, nil)), "15s", "1MiB")
			ctx, cancel := context.WithCancel(graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover))
			if tt.cancel {
				cancel()
			}
			defer cancel()
			got := present(ctx, lost)
			if code := got.Extensions["code"]; code != tt.wantCode {
				t.Errorf("code %v, want %s", code, tt.wantCode)
			}
			if logged := bytes.Contains(logs.Bytes(), []byte("level=ERROR")); logged != tt.wantLog {
				t.Errorf("logged an error: %v, want %v (%s)", logged, tt.wantLog, logs.String())
			}
		})
	}
}
