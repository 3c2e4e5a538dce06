package neo4j

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The plugins the docs (docs/NEO4J.md) show, at the versions they name.
var (
	apocCore = "org.neo4j.procedure:apoc-core:5.26.19"
	// apoc-core's jar on Maven Central lacks the classes it shares with
	// APOC extended (apoc.result.*), and its pom does not name them.
	apocCommon = "org.neo4j.procedure:apoc-common:5.26.19"
	gdsProc    = "org.neo4j.gds:proc:2.13.9"
	// The extension that gives GDS's procedures their facade: without it
	// the server fails to start ("GraphDataScienceProcedures which is not
	// a known injectable component").
	gdsExtension = "org.neo4j.gds:opengds-extension:2.13.9"
)

// TestPlugins fetches APOC core and OpenGDS from Maven Central, starts a
// server with them and a settings file, calls both, and checks that the
// settings file took effect except where it tried to open Bolt beyond
// 127.0.0.1 or turn authentication off.
func TestPlugins(t *testing.T) {
	needJava(t)
	ctx := testCtx(t)
	opts := testOptions()
	opts.Heap = "1g" // GDS registers a few hundred procedures
	home := t.TempDir()
	t.Cleanup(func() { _ = Stop(context.Background(), home) })

	plugins := filepath.Join(t.TempDir(), "plugins")
	jars, err := FetchPlugin(ctx, home, plugins, opts.RuntimeDir, []string{apocCore, apocCommon, gdsProc, gdsExtension}, opts.Logger)
	if errors.Is(err, ErrUnresolved) {
		t.Skipf("plugins not fetchable from Maven Central (offline?): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d plugin jars", len(jars))
	for _, want := range []string{"apoc-core-5.26.19.jar", "apoc-common-5.26.19.jar", "proc-2.13.9.jar", "opengds-extension-2.13.9.jar"} {
		if !slices.Contains(jars, want) {
			t.Errorf("fetched jars lack %s: %v", want, jars)
		}
	}
	for _, j := range jars {
		if strings.HasSuffix(j, "-5.26.30.jar") { // the version of Neo4j's own jars (pom.xml)
			t.Errorf("fetched %s, which Neo4j has itself", j)
		}
	}

	settings := filepath.Join(t.TempDir(), "neo4j.conf")
	conf := `# what an analyst might write
dbms.security.procedures.unrestricted=apoc.*,gds.*
db.temporal.timezone=Europe/Berlin
# Lockstep's own settings win over these
server.default_listen_address=0.0.0.0
server.bolt.listen_address=0.0.0.0:7999
dbms.security.auth_enabled=false
`
	if err := os.WriteFile(settings, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Plugins, opts.Settings = plugins, settings
	srv, err := Start(ctx, home, opts)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{pathsOf(home).plugins: plugins, pathsOf(home).settings: settings} {
		if b, err := os.ReadFile(file); err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s holds %q (%v), want %q kept for later starts", file, b, err, want)
		}
	}

	d, err := driver.NewDriverWithContext(srv.URI, driver.BasicAuth(srv.User, srv.Password, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	one := func(cypher string) any {
		t.Helper()
		res, err := driver.ExecuteQuery(ctx, d, cypher, nil, driver.EagerResultTransformer)
		if err != nil {
			t.Fatalf("%s: %v", cypher, err)
		}
		if len(res.Records) != 1 {
			t.Fatalf("%s: %d records, want 1", cypher, len(res.Records))
		}
		return res.Records[0].Values[0]
	}
	if v, _ := one("RETURN apoc.version()").(string); !strings.HasPrefix(v, "5.26") {
		t.Errorf("apoc.version() = %q, want 5.26.*", v)
	}
	if v, _ := one("RETURN gds.version()").(string); v != "2.13.9" {
		t.Errorf("gds.version() = %q, want 2.13.9", v)
	}
	if v, _ := one("RETURN datetime().timezone").(string); v != "Europe/Berlin" {
		t.Errorf("the settings file's db.temporal.timezone did not take effect: datetime().timezone = %q", v)
	}
	res, err := driver.ExecuteQuery(ctx, d, "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
		map[string]any{"names": []any{"server.bolt.listen_address", "dbms.security.auth_enabled"}}, driver.EagerResultTransformer)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, r := range res.Records {
		got[r.Values[0].(string)] = r.Values[1]
	}
	want := map[string]any{
		"server.bolt.listen_address": "127.0.0.1:" + strconv.Itoa(srv.Port),
		"dbms.security.auth_enabled": "true",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (Lockstep's setting, not the file's)", k, got[k], v)
		}
	}
	noAuth, err := driver.NewDriverWithContext(srv.URI, driver.NoAuth())
	if err != nil {
		t.Fatal(err)
	}
	defer noAuth.Close(ctx)
	if err := noAuth.VerifyAuthentication(ctx, nil); err == nil {
		t.Error("the server accepted a client without credentials")
	}

	// A settings file Neo4j refuses fails the start, naming the setting,
	// and is not kept: later starts still use the one that worked.
	if err := Stop(ctx, home); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(bad, []byte("db.temporal.timezon=Europe/Berlin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Settings = bad
	if _, err := Start(ctx, home, opts); err == nil || !strings.Contains(err.Error(), "db.temporal.timezon") {
		t.Errorf("start with an unknown setting: %v, want an error naming it", err)
	}
	if b, err := os.ReadFile(pathsOf(home).settings); err != nil || strings.TrimSpace(string(b)) != settings {
		t.Errorf("after a refused settings file the home keeps %q (%v), want %q", b, err, settings)
	}
}
