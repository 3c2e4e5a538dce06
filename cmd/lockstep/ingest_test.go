package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBulkRefusesNeo4jURI: with NEO4J_URI set, --bulk fails at once with
// a message that says why, and touches nothing (no server is contacted:
// the URI points at a closed port).
func TestBulkRefusesNeo4jURI(t *testing.T) {
	home := t.TempDir()
	t.Setenv("LOCKSTEP_HOME", home)
	t.Setenv("NEO4J_URI", "bolt://127.0.0.1:1")
	t.Setenv("LOCKSTEP_HMAC_KEY", "0123456789abcdef0123456789abcdef")
	in := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(in, []byte(`{"kind":"account","id":"a1"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rootCmd.SetArgs([]string{"ingest", "--bulk", in})
	rootCmd.SetOut(new(strings.Builder))
	rootCmd.SetErr(new(strings.Builder))
	err := rootCmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "NEO4J_URI is set") || !strings.Contains(err.Error(), "plain `lockstep ingest`") {
		t.Fatalf("err %v, want a refusal naming NEO4J_URI and the plain path", err)
	}
	if _, err := os.Stat(filepath.Join(home, "neo4j")); err == nil {
		t.Error("the refused bulk load created a managed Neo4j directory")
	}
}
