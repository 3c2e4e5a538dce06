package bulkload

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/ingest/ingesttest"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// bulkOddities has what the importer's input must carry (commas and quotes in
// free text, non-ASCII, fractional seconds, a property set late, an IP
// without a kind) and bad lines for the rejects file.
const bulkOddities = `{"kind":"account","id":"q1","handle":"x,\"y\"","country":"US"}
{"kind":"login","account":"q1","time":"2024-02-01T10:00:00.123456789Z","ip":"198.51.100.7","ip_as_org":"Acme, \"Inc\"","device":"dq","device_os":"Jürgen's OS"}
{"kind":"login","account":"q1","time":"yesterday","ip":"198.51.100.7"}
{"kind":"login","account":"q2","time":"2024-02-01T10:00:00Z","ip":"198.51.100.8"}
{"kind":"account","id":"q2","handle":"ünï","verified":false}
not json at all
{"kind":"lookup","account":"q2","time":1706781600,"target":"+14155552399","matched":"q1"}
{"kind":"lookup","account":"q2","time":1706781700,"target":"+1 099 555 0123"}
`

// TestBulkEqualsTransactional loads the same inputs (a generated world, the
// same world reversed, hand-written oddities with bad lines) with Run into
// the shared test server and with Bulk into a managed server of its own,
// and requires the same graph (every node, relationship, property with its
// type, and batch marker) and the same rejects. On the way it checks the
// crash paths: a bulk run that fails before installing leaves the home as it
// was; one that dies after installing its store is redone by the next
// --bulk. Then a plain Run of the same inputs on the bulk-loaded graph
// changes nothing, and a second Bulk refuses the non-empty database.
func TestBulkEqualsTransactional(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Neo4j's importer and a Neo4j of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	world := ingesttest.World(t, generate.Config{Accounts: generate.MinAccounts, Seed: 11})
	odd := ingesttest.WriteFile(t, "odd.ndjson", bulkOddities+ingesttest.SmallWorld)
	inputs := []string{world, ingesttest.Reversed(t, world), odd}
	opts := func() ingest.Options {
		o := testOptions(t)
		o.ChunkLines, o.TxRows = 4000, 700
		return o
	}
	rejectsOf := func() string { return readFile(t, odd+".rejects.ndjson") }

	// The transactional load, into the shared test server.
	s := prepared(t)
	want, err := ingest.Run(ctx, s, inputs, opts())
	if err != nil {
		t.Fatal(err)
	}
	wantGraph := storetest.DumpGraph(t, s)
	wantRejects := rejectsOf()
	if strings.Count(wantRejects, "\n") != 2 || want.Rejected != 2 {
		t.Fatalf("transactional load: %d rejects %s, want 2", want.Rejected, wantRejects)
	}
	os.Remove(odd + ".rejects.ndjson")
	wantSchema := storetest.Schema(t, s)

	// The bulk loads use servers of their own, beside the other bulk tests'.
	t.Parallel()
	home := t.TempDir()
	t.Cleanup(func() { _ = managed.Stop(context.Background(), home) })
	bo := func(hook func(string) error) Options {
		b := testBulkOptions(home, 3)
		b.Server.Heap, b.Server.PageCache = "768m", "128m"
		b.hook = hook
		return b
	}
	boom := errors.New("simulated crash")
	failAt := func(stage string) func(string) error {
		return func(s string) error {
			if s == stage {
				return boom
			}
			return nil
		}
	}

	// A failure before the install: nothing changed, no state left.
	if _, _, err := Load(ctx, inputs, opts(), bo(failAt("merged"))); !errors.Is(err, boom) {
		t.Fatalf("bulk failing after the merge: err %v", err)
	}
	if _, err := os.Stat(StatePath(home)); !errors.Is(err, os.ErrNotExist) || managed.HasDatabase(home) {
		t.Fatalf("after a failure before the install: state file err %v, database %v; want neither", err, managed.HasDatabase(home))
	}
	if _, err := os.Stat(filepath.Join(home, "ingest", "bulk-tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary files left: %v", err)
	}
	// Dies after installing its store, before the schema: the next bulk
	// load must replace that half-made database.
	if _, _, err := Load(ctx, inputs, opts(), bo(failAt("installed"))); !errors.Is(err, boom) {
		t.Fatalf("bulk failing after the install: err %v", err)
	}
	if !Interrupted(home) {
		t.Fatal("an interrupted install is not recorded")
	}

	sum, st, err := Load(ctx, inputs, opts(), bo(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%s", sum, st)
	if Interrupted(home) {
		t.Error("state file left after a successful bulk load")
	}
	if sum.Records != want.Records || sum.Stored != want.Stored || sum.Rejected != want.Rejected || sum.Skipped != want.Skipped ||
		sum.Nodes != want.Nodes || sum.Edges != want.Edges {
		t.Errorf("summary %s, want as the transactional load: %s", sum, want)
	}
	bs := openManaged(t, ctx, home)
	got := storetest.DumpGraph(t, bs)
	t.Logf("%d nodes, relationships and markers", len(got))
	storetest.SameGraph(t, "bulk load against transactional load", got, wantGraph)
	if got := rejectsOf(); got != wantRejects {
		t.Errorf("bulk rejects\n%s\nwant\n%s", got, wantRejects)
	}
	// The same indexes and constraints, the token lookup indexes every
	// database has included (the importer makes those itself).
	if got, want := storetest.Schema(t, bs), wantSchema; len(want) < 2 || !slices.Equal(got, want) {
		t.Errorf("bulk-loaded schema:\n%s\nwant as the transactional database:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A plain load of the same inputs finds every chunk marker.
	again, err := ingest.Run(ctx, bs, inputs, opts())
	if err != nil {
		t.Fatal(err)
	}
	if again.Stored != 0 || again.Skipped != want.Stored || again.Edges != 0 || again.Nodes != 0 {
		t.Errorf("plain re-load after bulk: %s; want everything already stored", again)
	}
	storetest.SameGraph(t, "plain re-load after bulk", storetest.DumpGraph(t, bs), wantGraph)

	// A second bulk load refuses the non-empty database and changes nothing.
	if _, _, err := Load(ctx, inputs, opts(), bo(nil)); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("bulk into a loaded database: err %v, want ErrNotEmpty", err)
	}
	if _, err := managed.Status(home); err != nil {
		t.Fatalf("the refusal stopped the running server: %v", err)
	}
	storetest.SameGraph(t, "after the refused bulk load", storetest.DumpGraph(t, bs), wantGraph)
}

// TestBulkStrictFromStdin: --strict with input on stdin. The bulk load
// stops at the same bad record as a transactional one, loads the same
// chunks before it (all or nothing applies to the load, not to strict's
// rule), and writes the same reject.
func TestBulkStrictFromStdin(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Neo4j's importer and a Neo4j of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var b strings.Builder
	b.WriteString(ingesttest.SmallWorld)
	b.WriteString(`{"kind":"login","account":"bad","time":1709290800,"ip":"nope"}` + "\n")
	b.WriteString(`{"kind":"login","account":"late","time":1709290800,"ip":"192.0.2.1"}` + "\n")
	input := b.String()
	opts := func() ingest.Options {
		o := testOptions(t) // chunks of 7 lines: the bad line 13 is in chunk 1
		o.Strict = true
		o.Stdin = strings.NewReader(input)
		return o
	}
	check := func(what string, sum ingest.Summary, err error) string {
		t.Helper()
		if !errors.Is(err, ingest.ErrStrict) || !strings.Contains(err.Error(), `stdin:13: field "ip"`) {
			t.Fatalf("%s: err = %v, want ErrStrict naming stdin line 13", what, err)
		}
		if sum.Rejected != 1 || len(sum.Rejects) != 1 {
			t.Fatalf("%s: %s, rejects files %v", what, sum, sum.Rejects)
		}
		return readFile(t, sum.Rejects[0])
	}
	s := prepared(t)
	sum, err := ingest.Run(ctx, s, []string{"-"}, opts())
	wantRejects := check("transactional", sum, err)
	want := storetest.DumpGraph(t, s)

	t.Parallel() // the bulk load uses a server of its own
	home := t.TempDir()
	t.Cleanup(func() { _ = managed.Stop(context.Background(), home) })
	sum, _, err = Load(ctx, []string{"-"}, opts(), testBulkOptions(home, 0))
	if got := check("bulk", sum, err); got != wantRejects {
		t.Errorf("bulk rejects\n%s\nwant\n%s", got, wantRejects)
	}
	bs := openManaged(t, ctx, home)
	got := storetest.DumpGraph(t, bs)
	if len(got) == 0 {
		t.Fatal("nothing loaded before the bad record")
	}
	storetest.SameGraph(t, "strict bulk load against strict transactional load", got, want)
}

// bulkOptions are bulk options with a managed server and importer of their
// own in home, on the machine's shared Neo4j runtime (so a test or
// benchmark pays for a home's first load, not a machine's first Neo4j),
// sized by Neo4j's defaults. Bulk gives both the ingest options' logger.
func bulkOptions(home string) Options {
	return Options{Home: home,
		Server: managed.Options{RuntimeDir: managed.SharedRuntimeDir(), ExitWithParent: true},
		Import: managed.ImportOptions{RuntimeDir: managed.SharedRuntimeDir()}}
}

// testBulkOptions are bulkOptions for a test: a small server and importer,
// partitions spill partitions (0: Bulk's choice).
func testBulkOptions(home string, partitions int) Options {
	o := bulkOptions(home)
	o.Partitions = partitions
	o.Server.Heap, o.Server.PageCache, o.Server.LightJIT = "512m", "64m", true
	o.Import.Heap, o.Import.OffHeap = "512m", "512m"
	return o
}

// openManaged opens the store of the managed server running in home,
// closed when the test ends.
func openManaged(t testing.TB, ctx context.Context, home string) *store.Store {
	t.Helper()
	srv, err := managed.Status(home)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, srv.URI, srv.User, srv.Password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// readFile returns the content of path: the rejects files of two loads of
// the same inputs must be the same bytes.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ingestOptions are ingest options with a state directory of their own,
// a test key and no log.
func ingestOptions(tb testing.TB) ingest.Options {
	return ingest.Options{
		HMACKey:  []byte("bulkload-test-key-0123456789"),
		StateDir: tb.TempDir(),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// testOptions are ingestOptions for a test: small chunks and
// transactions, so that even small inputs make several of each.
func testOptions(t *testing.T) ingest.Options {
	o := ingestOptions(t)
	o.ChunkLines, o.TxRows = 7, 3
	return o
}

// prepared is the shared test server's store, emptied, with the schema.
// New empties the one shared server, so the bulk tests use it for their
// transactional loads before t.Parallel and their own servers after.
func prepared(t *testing.T) *store.Store {
	s := storetest.New(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMain(m *testing.M) { storetest.Main(m) }
