package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// twoTriangles is two triangles joined by a light edge, with a comment, a
// blank line and a default weight.
const twoTriangles = `# two triangles
a	b	1
b	c
c	a	1

d	e	1
e	f	1
f	d	1
c	d	0.25
`

func TestCommunitiesCommand(t *testing.T) {
	for _, alg := range []string{"leiden", "louvain", "lpa", "wcc"} {
		t.Run(alg, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runCommunities(strings.NewReader(twoTriangles), &out, &errOut, communitiesOptions{path: "two.tsv", algorithm: alg, resolution: 1, seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			want := "a\t0\nb\t0\nc\t0\nd\t1\ne\t1\nf\t1\n"
			if alg == "wcc" {
				want = "a\t0\nb\t0\nc\t0\nd\t0\ne\t0\nf\t0\n"
			}
			if out.String() != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
			}
			if !strings.Contains(errOut.String(), "two.tsv: 6 nodes, 7 edges") || !strings.Contains(errOut.String(), "modularity") {
				t.Errorf("stderr %q lacks the summary", errOut.String())
			}
		})
	}
}

func TestCommunitiesCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts communitiesOptions
		want string
	}{
		{"bad weight", "a\tb\n# fine\nb\tc\tx\n", communitiesOptions{path: "g.tsv", algorithm: "leiden", resolution: 1}, `g.tsv:3: weight: "x"`},
		{"empty target", "a\t\n", communitiesOptions{path: "-", algorithm: "leiden", resolution: 1}, "<stdin>:1: target: empty node name"},
		{"unknown algorithm", "a\tb\n", communitiesOptions{path: "g.tsv", algorithm: "spectral", resolution: 1}, `--algorithm: community: unknown algorithm "spectral"`},
		{"resolution", "a\tb\n", communitiesOptions{path: "g.tsv", algorithm: "leiden", resolution: 0}, "--resolution 0: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runCommunities(strings.NewReader(tt.in), &out, &errOut, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestCommunitiesCobra runs the registered subcommand end to end on a file.
func TestCommunitiesCobra(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edges.tsv")
	if err := os.WriteFile(path, []byte(twoTriangles), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs([]string{"communities", "--algorithm", "louvain", "--seed", "9", path})
	defer func() { rootCmd.SetOut(nil); rootCmd.SetErr(nil); rootCmd.SetArgs(nil) }()
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "a\t0\n") || strings.Count(out.String(), "\n") != 6 {
		t.Errorf("stdout %q", out.String())
	}
	rootCmd.SetArgs([]string{"communities", filepath.Join(t.TempDir(), "missing.tsv")})
	if err := rootCmd.Execute(); err == nil || !strings.Contains(err.Error(), "missing.tsv") {
		t.Errorf("missing file: error %v", err)
	}
}

// TestVersionAndHelp checks `lockstep --version` names the build and that
// a flag's help states its default once (cobra prints the default itself).
func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	defer func() { rootCmd.SetOut(nil); rootCmd.SetArgs(nil) }()
	rootCmd.SetArgs([]string{"--version"})
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "lockstep version ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("--version printed %q, want the module version and %s", got, runtime.Version())
	}
	out.Reset()
	rootCmd.SetArgs([]string{"generate", "--help"})
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "--watch-asn") && (strings.Count(line, "default") != 1 || !strings.Contains(line, "65001,65002,65003")) {
			t.Errorf("generate --help: %q, want the default 65001,65002,65003 stated once", line)
		}
	}
}
