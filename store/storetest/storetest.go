// Package storetest gives tests a real Neo4j: one managed server per test
// binary, and a fresh (migrated, emptied) Store per test.
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		s := storetest.New(t)
//		...
//	}
//
// New empties the database, so tests of one package that use it must not
// call t.Parallel(): they would clear each other's data. (Different test
// binaries, i.e. packages, each have their own server and may run at once.)
//
// With NEO4J_URI set (and NEO4J_USER, NEO4J_PASSWORD), tests use that server
// instead and start nothing. New DELETES EVERYTHING in it: point it only at
// a scratch database.
//
// Test files in package store itself must be external tests
// (package store_test), since storetest imports store.
package storetest

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store"
)

// Test servers are small so several test binaries fit on one machine.
const (
	heap      = "1g"
	pageCache = "512m"
)

var (
	srvURI, srvUser, srvPassword string
	srvHome                      string // LOCKSTEP_HOME of the managed test server; "" with NEO4J_URI
	started                      bool   // Main ran
	migrateOnce                  sync.Once
	migrateErr                   error
)

// Main starts the test server, runs the tests, stops the server and
// removes its temporary home, then exits with the tests' status. Call it
// from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	started = true
	if !flag.Parsed() {
		flag.Parse() // testing.Verbose needs the flags; m.Run would parse them too
	}
	if u := os.Getenv("NEO4J_URI"); u != "" {
		srvURI, srvUser, srvPassword = u, os.Getenv("NEO4J_USER"), os.Getenv("NEO4J_PASSWORD")
		if srvUser == "" {
			srvUser = "neo4j"
		}
		return m.Run()
	}
	home, err := os.MkdirTemp("", "lockstep-storetest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	defer os.RemoveAll(home)
	ctx := context.Background()
	start := time.Now()
	srv, err := managed.Start(ctx, home, managed.Options{
		Heap:           heap,
		PageCache:      pageCache,
		RuntimeDir:     managed.SharedRuntimeDir(),
		ExitWithParent: true, // no JVM left behind if the test binary is killed
		LightJIT:       true, // half the start-up CPU; test queries are small
		Logger:         logger(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest: start managed Neo4j:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "storetest: Neo4j on %s (pid %d) ready in %s\n", srv.URI, srv.PID, time.Since(start).Round(time.Millisecond))
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := managed.Stop(stopCtx, home); err != nil {
			fmt.Fprintln(os.Stderr, "storetest: stop managed Neo4j:", err)
		}
	}()
	srvURI, srvUser, srvPassword, srvHome = srv.URI, srv.User, srv.Password, home
	return m.Run()
}

// logger shows the managed server's progress only with -v.
func logger() *slog.Logger {
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Server returns the URI, user and password of the test server (for tests
// that need to connect on their own, such as a wrong-password test).
func Server(t testing.TB) (uri, user, password string) {
	t.Helper()
	if !started {
		t.Fatal("storetest: call storetest.Main(m) from TestMain first")
	}
	return srvURI, srvUser, srvPassword
}

// Home returns the LOCKSTEP_HOME of the managed test server, or "" when
// tests run against NEO4J_URI. (For tests of code that finds the server
// through a home, such as store.Connect.)
func Home(t testing.TB) string {
	t.Helper()
	if !started {
		t.Fatal("storetest: call storetest.Main(m) from TestMain first")
	}
	return srvHome
}

// New returns a Store on the test server, with the schema migrated and the
// database emptied, and closes it when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	if !started {
		t.Fatal("storetest: call storetest.Main(m) from TestMain first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, srvURI, srvUser, srvPassword)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	migrateOnce.Do(func() { migrateErr = s.Migrate(ctx) })
	if migrateErr != nil {
		t.Fatalf("storetest: %v", migrateErr)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return s
}
