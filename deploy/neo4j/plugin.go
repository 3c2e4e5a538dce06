package neo4j

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrUnresolved marks a plugin Maven could not fetch (no network, or no
// such artifact on Maven Central).
var ErrUnresolved = errors.New("not resolved")

// coordinate is GROUP:ARTIFACT:VERSION; the characters are limited so a
// coordinate can go into the throwaway pom unescaped.
var coordinate = regexp.MustCompile(`^([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+):([A-Za-z0-9_.+-]+)$`)

// FetchPlugin copies the jars of Maven Central artifacts (given as
// GROUP:ARTIFACT:VERSION) and of their runtime dependencies into dir, for
// Options.Plugins. Jars of artifacts that Neo4j itself already has are left
// out: the server's own classpath comes first, so a second copy, of any
// version, would only be shadowed. runtimeDir is the runtime directory of
// the server the plugins are for (Options.RuntimeDir; "" for the default of
// home), prepared here if need be, which tells which jars Neo4j has. It
// returns the names of the jars it copied.
func FetchPlugin(ctx context.Context, home, dir, runtimeDir string, coords []string, log *slog.Logger) ([]string, error) {
	if len(coords) == 0 {
		return nil, errors.New("managed neo4j: fetch plugin: no artifact named")
	}
	var deps strings.Builder
	for _, c := range coords {
		m := coordinate.FindStringSubmatch(c)
		if m == nil {
			return nil, fmt.Errorf("managed neo4j: fetch plugin: %q: want GROUP:ARTIFACT:VERSION, e.g. org.neo4j.procedure:apoc-core:5.26.19", c)
		}
		fmt.Fprintf(&deps, "    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n", m[1], m[2], m[3])
	}
	if log == nil {
		log = slog.Default()
	}
	opts := Options{RuntimeDir: runtimeDir, Logger: log}
	opts.defaults(home)
	java, err := javaBinary()
	if err != nil {
		return nil, err
	}
	rt, err := prepareRuntime(ctx, opts.RuntimeDir, java, log)
	if err != nil {
		return nil, err
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return nil, errors.New("managed neo4j: no mvn on PATH: plugins are fetched from Maven Central with Maven (apt-get install maven)")
	}
	work, err := os.MkdirTemp("", "lockstep-plugin-")
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	defer os.RemoveAll(work)
	pom := `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.lockstep</groupId><artifactId>neo4j-plugin-fetch</artifactId><version>1</version>
  <dependencies>
` + deps.String() + `  </dependencies>
</project>
`
	if err := os.WriteFile(filepath.Join(work, "pom.xml"), []byte(pom), 0o600); err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	log.Info("managed neo4j: resolving plugin jars with Maven", "artifacts", strings.Join(coords, " "))
	// The runtime scope leaves out what a plugin declares as provided by
	// Neo4j (its API jars).
	if err := run(ctx, work, mvn, "-q", "-B", "-f", "pom.xml", "dependency:build-classpath",
		"-DincludeScope=runtime", "-Dmdep.outputFile=classpath.txt"); err != nil {
		return nil, fmt.Errorf("managed neo4j: Maven could not resolve %s (network, or not on Maven Central?): %w: %w", strings.Join(coords, " "), ErrUnresolved, err)
	}
	b, err := os.ReadFile(filepath.Join(work, "classpath.txt"))
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	// Both classpaths point into the same local repository, laid out as
	// GROUP/ARTIFACT/VERSION/FILE: the grandparent directory of a jar names
	// its artifact, whatever the version.
	neo4jHas := map[string]bool{}
	for _, jar := range filepath.SplitList(rt.classpath) {
		neo4jHas[filepath.Dir(filepath.Dir(jar))] = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	var copied []string
	skipped := 0
	for _, jar := range filepath.SplitList(strings.TrimSpace(string(b))) {
		if neo4jHas[filepath.Dir(filepath.Dir(jar))] {
			skipped++
			continue
		}
		if err := copyFile(jar, filepath.Join(dir, filepath.Base(jar))); err != nil {
			return nil, err
		}
		copied = append(copied, filepath.Base(jar))
	}
	log.Info("managed neo4j: plugin jars copied", "dir", dir, "jars", len(copied), "already_in_neo4j", skipped)
	return copied, nil
}

func copyFile(from, to string) (err error) {
	defer wrapErr(&err, "managed neo4j: copy %s", from)
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
