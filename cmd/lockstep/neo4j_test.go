package main

import (
	"os/exec"
	"strings"
	"testing"

	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
)

// TestExportLineEvaluates runs the printed line through a real shell, so
// whatever a password holds, eval sets exactly it.
func TestExportLineEvaluates(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, pw := range []string{
		"ZvH4cpK0jSUI0hrCRSssqDi1p18r-JLs",
		"it's $HOME; `rm -rf /` \"quoted\" \\ ",
		"a b\tc",
		"=",
	} {
		line := exportLine(&managed.Server{URI: "bolt://127.0.0.1:7687", User: "neo4j", Password: pw})
		out, err := exec.Command(sh, "-c", line+`; printf '%s\n%s\n%s' "$NEO4J_URI" "$NEO4J_USER" "$NEO4J_PASSWORD"`).Output()
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		got := strings.SplitN(string(out), "\n", 3)
		if len(got) != 3 || got[0] != "bolt://127.0.0.1:7687" || got[1] != "neo4j" || got[2] != pw {
			t.Errorf("eval %s gave %q", line, got)
		}
	}
}
