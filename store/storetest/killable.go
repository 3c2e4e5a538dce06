package storetest

import (
	"context"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store"
)

// Killable is a managed Neo4j of one test's own, for fault tests that
// kill it (the shared test server must stay up), with a migrated Store on
// it. Restart brings it back on the same port (kept per home), so the
// Store, never reopened, can find it again.
type Killable struct {
	Home   string
	Server *managed.Server
	Store  *store.Store
	opts   managed.Options
}

// NewKillable starts a small Neo4j in a temporary home and opens a Store
// on it; both are stopped and closed when the test ends.
func NewKillable(t testing.TB, ctx context.Context) *Killable {
	t.Helper()
	k := &Killable{Home: t.TempDir(), opts: managed.Options{Heap: "512m", PageCache: "128m",
		RuntimeDir: managed.SharedRuntimeDir(), ExitWithParent: true, LightJIT: true,
		ReadyTimeout: 10 * time.Minute, // recovery after SIGKILL on a busy machine
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil))}}
	srv, err := managed.Start(ctx, k.Home, k.opts)
	if err != nil {
		t.Fatal(err)
	}
	k.Server = srv
	t.Cleanup(func() { _ = managed.Stop(context.Background(), k.Home) })
	k.Store, err = store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Store.Close(context.Background()) })
	if err := k.Store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return k
}

// Kill kills the server with SIGKILL (no shutdown, as a crash or the OOM
// killer would) and waits up to 10 s for it to be gone. Safe to call from
// any goroutine: it reports errors with t.Error.
func (k *Killable) Kill(t testing.TB) {
	if err := syscall.Kill(k.Server.PID, syscall.SIGKILL); err != nil {
		t.Error(err)
		return
	}
	for i := 0; i < 200 && syscall.Kill(k.Server.PID, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart starts the killed server again (Neo4j recovers from its
// transaction log) and fails the test if it came back on another port.
func (k *Killable) Restart(t testing.TB, ctx context.Context) {
	t.Helper()
	srv, err := managed.Start(ctx, k.Home, k.opts)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Port != k.Server.Port {
		t.Fatalf("restarted on port %d, was %d: a running process cannot find it", srv.Port, k.Server.Port)
	}
	k.Server = srv
}
