// Package storetest gives tests a real Neo4j: one managed server per test
// binary, started when the first test asks for it (a run whose tests need
// no Neo4j starts none), and a fresh (migrated, emptied) Store per test.
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
// Servers have a 1 GiB heap and a 512 MiB page cache unless
// LOCKSTEP_NEO4J_HEAP and LOCKSTEP_NEO4J_PAGECACHE say otherwise. They run
// the JVM's quick compiler only, except when the binary runs benchmarks
// (-test.bench), which get the optimising compiler too.
//
// Test files in package store itself must be external tests
// (package store_test), since storetest imports store.
package storetest

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store"
)

// Test servers are small so several test binaries fit on one machine;
// LOCKSTEP_NEO4J_HEAP and LOCKSTEP_NEO4J_PAGECACHE override (benchmarks
// that load millions of rows want more).
const (
	testHeap      = "1g"
	testPageCache = "512m"
)

var (
	started bool // Main ran

	serverOnce                   sync.Once
	serverErr                    error
	srvURI, srvUser, srvPassword string
	srvHome                      string // LOCKSTEP_HOME of the managed test server; "" with NEO4J_URI

	migrateOnce sync.Once
	migrateErr  error

	// The second server, without Lockstep's procedures (NewPlain).
	plainOnce                          sync.Once
	plainErr                           error
	plainURI, plainUser, plainPassword string
	plainHome                          string
	plainMigrateOnce                   sync.Once
	plainMigrateErr                    error
)

// Main runs the tests, then stops the test server if one was started and
// removes its temporary home, and exits with the tests' status. Call it
// from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	started = true
	code := m.Run()
	for _, home := range []string{srvHome, plainHome} {
		if home == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		if err := managed.Stop(ctx, home); err != nil {
			fmt.Fprintln(os.Stderr, "storetest: stop managed Neo4j:", err)
		}
		cancel()
		if err := os.RemoveAll(home); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
		}
	}
	return code
}

// server starts the test server on first use, or takes NEO4J_URI.
func server(t testing.TB) {
	t.Helper()
	if !started {
		t.Fatal("storetest: call storetest.Main(m) from TestMain first")
	}
	serverOnce.Do(func() { serverErr = startServer() })
	if serverErr != nil {
		t.Fatalf("storetest: %v", serverErr)
	}
}

func startServer() error {
	if u := os.Getenv("NEO4J_URI"); u != "" {
		srvURI, srvUser, srvPassword = u, cmp.Or(os.Getenv("NEO4J_USER"), "neo4j"), os.Getenv("NEO4J_PASSWORD")
		return nil
	}
	var err error
	srvURI, srvUser, srvPassword, srvHome, err = startManaged(nil)
	return err
}

// startManaged starts a managed server in a new temporary home with the
// given Neo4j settings (none: nil).
func startManaged(settings []string) (uri, user, password, home string, err error) {
	home, err = os.MkdirTemp("", "lockstep-storetest-")
	if err != nil {
		return "", "", "", "", err
	}
	var settingsFile string
	if len(settings) > 0 {
		settingsFile = filepath.Join(home, "test-settings.conf")
		if err := os.WriteFile(settingsFile, []byte(strings.Join(settings, "\n")+"\n"), 0o600); err != nil {
			os.RemoveAll(home)
			return "", "", "", "", err
		}
	}
	begin := time.Now()
	srv, err := managed.Start(context.Background(), home, managed.Options{
		Settings:       settingsFile,
		Heap:           cmp.Or(os.Getenv("LOCKSTEP_NEO4J_HEAP"), testHeap),
		PageCache:      cmp.Or(os.Getenv("LOCKSTEP_NEO4J_PAGECACHE"), testPageCache),
		RuntimeDir:     managed.SharedRuntimeDir(),
		ExitWithParent: true,            // no JVM left behind if the test binary is killed
		ReadyTimeout:   5 * time.Minute, // many test binaries may start servers at once on 2 cores
		// The quick compiler alone halves the start-up CPU and suits small
		// test queries; benchmarks get the optimising one.
		LightJIT: !benchmarking(),
		Logger:   logger(),
	})
	if err != nil {
		os.RemoveAll(home)
		return "", "", "", "", fmt.Errorf("start managed Neo4j: %w", err)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "storetest: Neo4j on %s (pid %d) ready in %s\n", srv.URI, srv.PID, time.Since(begin).Round(time.Millisecond))
	}
	return srv.URI, srv.User, srv.Password, home, nil
}

// benchmarking reports whether the binary runs benchmarks (-test.bench).
func benchmarking() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
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
	server(t)
	return srvURI, srvUser, srvPassword
}

// Home returns the LOCKSTEP_HOME of the managed test server, or "" when
// tests run against NEO4J_URI. (For tests of code that finds the server
// through a home, such as the commands' openStore.)
func Home(t testing.TB) string {
	t.Helper()
	server(t)
	return srvHome
}

// New returns a Store on the test server, with the schema migrated and the
// database emptied, and closes it when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	server(t)
	return open(t, srvURI)
}

// NewRouted is New through the neo4j:// routing scheme, as Lockstep talks
// to a cluster: the driver asks the server for its routing table and sends
// reads to readers and writes to the writer. A single Neo4j 5 answers
// routing requests with itself in every role, so a store method that sends
// a write to a reader fails here as it would on a cluster's follower
// (the server refuses writes in a transaction begun in read mode).
func NewRouted(t testing.TB) *store.Store {
	t.Helper()
	server(t)
	u, err := url.Parse(srvURI)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	switch u.Scheme {
	case "bolt":
		u.Scheme = "neo4j"
	case "bolt+s":
		u.Scheme = "neo4j+s"
	case "bolt+ssc":
		u.Scheme = "neo4j+ssc"
	}
	return open(t, u.String())
}

// NewPlain is New on a second managed server that loads none of Lockstep's
// procedures (its procedure allowlist names none of them), as a cluster or
// any server Lockstep does not manage: for tests of the plain-Cypher
// paths. It starts on first use, once per test binary (a JVM more: use it
// only where the fallback is the point). With NEO4J_URI set it skips.
func NewPlain(t testing.TB) *store.Store {
	t.Helper()
	if !started {
		t.Fatal("storetest: call storetest.Main(m) from TestMain first")
	}
	if os.Getenv("NEO4J_URI") != "" {
		t.Skip("storetest: NEO4J_URI is set; NewPlain starts a second managed server only without it")
	}
	plainOnce.Do(func() {
		// Only procedures the allowlist names are loaded; Neo4j's
		// built-in ones are not subject to it.
		plainURI, plainUser, plainPassword, plainHome, plainErr = startManaged([]string{"dbms.security.procedures.allowlist=none.*"})
	})
	if plainErr != nil {
		t.Fatalf("storetest: %v", plainErr)
	}
	return openOn(t, plainURI, plainUser, plainPassword, &plainMigrateOnce, &plainMigrateErr)
}

func open(t testing.TB, uri string) *store.Store {
	t.Helper()
	return openOn(t, uri, srvUser, srvPassword, &migrateOnce, &migrateErr)
}

func openOn(t testing.TB, uri, user, password string, migrated *sync.Once, migrateErr *error) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, uri, user, password)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	migrated.Do(func() { *migrateErr = s.Migrate(ctx) })
	if *migrateErr != nil {
		t.Fatalf("storetest: %v", *migrateErr)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return s
}
