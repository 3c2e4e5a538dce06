package neo4j

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// SharedRuntimeDir is a runtime directory (see Options.RuntimeDir) that
// every home of this user can share, so test servers in temporary homes run
// Maven and javac once per machine and version of the embedded sources:
// LOCKSTEP_TEST_RUNTIME if set, else lockstep/neo4j-runtime/KEY in the
// user cache directory, KEY naming the sources (contentKey). One directory
// per version keeps two checkouts with different procedures (branches
// tested side by side) from recompiling the one directory in turn.
func SharedRuntimeDir() string {
	if d := os.Getenv("LOCKSTEP_TEST_RUNTIME"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "lockstep", "neo4j-runtime", contentKey())
	}
	return filepath.Join(os.TempDir(), "lockstep-neo4j-runtime", contentKey())
}

// runtime is what a JVM needs to run the launcher.
type runtime struct {
	classpath string // compiled classes dir (if javac exists) and the Maven jars
	main      string // "Launcher", or the source file when no javac was found
	// cds is the class-data-sharing archive for this JVM and classpath
	// (it may not exist yet); "" when running from source.
	cds string
}

// bulkMain is what the JVM runs for a bulk import: the compiled class, or
// (no javac) its source file, which the runtime directory holds beside the
// launcher's.
func (rt *runtime) bulkMain() string {
	if rt.main == "Launcher" {
		return "lockstep.BulkImport"
	}
	return filepath.Join(filepath.Dir(rt.main), "BulkImport.java")
}

// prepareRuntime makes dir hold the launcher and a classpath for it: the
// first time it runs Maven (which downloads Neo4j into ~/.m2) and javac;
// afterwards it only checks that the recorded jars still exist. A key file
// records which embedded sources the directory was prepared for.
func prepareRuntime(ctx context.Context, dir, java string, log *slog.Logger) (*runtime, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("managed neo4j: create %s: %w", dir, err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	var (
		keyPath    = filepath.Join(dir, "key")
		cpPath     = filepath.Join(dir, "classpath.txt")
		srcPath    = filepath.Join(dir, "Launcher.java")
		classesDir = filepath.Join(dir, "classes")
		key        = contentKey()
	)
	if b, err := os.ReadFile(keyPath); err == nil && strings.TrimSpace(string(b)) == key {
		if rt, err := loadRuntime(dir, java); err == nil {
			return rt, nil
		} else {
			log.Info("managed neo4j: cached classpath unusable, resolving again", "reason", err)
		}
	}

	_ = os.Remove(keyPath)
	if err := os.WriteFile(filepath.Join(dir, "pom.xml"), pomXML, 0o600); err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	if err := os.WriteFile(srcPath, launcherJava, 0o600); err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	sources := []string{srcPath}
	for _, name := range procedureFiles() {
		b, _ := procedureSources.ReadFile(name)
		path := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("managed neo4j: %w", err)
		}
		sources = append(sources, path)
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return nil, errors.New("managed neo4j: no mvn on PATH: Maven fetches Neo4j from Maven Central on first use; install it (apt-get install maven)")
	}
	log.Info("managed neo4j: resolving Neo4j jars with Maven (first use; later starts skip this)", "dir", dir)
	start := time.Now()
	if err := run(ctx, dir, mvn, "-q", "-B", "-f", "pom.xml", "dependency:build-classpath", "-Dmdep.outputFile=classpath.txt"); err != nil {
		return nil, fmt.Errorf("managed neo4j: Maven could not resolve Neo4j (network or ~/.m2 problem?): %w", err)
	}
	log.Info("managed neo4j: jars resolved", "took", time.Since(start).Round(time.Millisecond))

	// Compiling once saves the source launcher's per-start compile (seconds
	// on a busy 2-core machine), and a jar (not a directory) on the class
	// path lets the JVM use a class-data-sharing archive. Without javac (a
	// JRE), run from source.
	jar := filepath.Join(dir, "launcher.jar")
	_ = os.Remove(jar)
	_ = os.RemoveAll(classesDir)
	if javac := javacFor(java); javac != "" {
		cp, err := os.ReadFile(cpPath)
		if err != nil {
			return nil, fmt.Errorf("managed neo4j: %w", err)
		}
		args := append([]string{"-nowarn", "-cp", strings.TrimSpace(string(cp)), "-d", classesDir}, sources...)
		if err := run(ctx, dir, javac, args...); err != nil {
			return nil, fmt.Errorf("managed neo4j: compile %s: %w", strings.Join(sources, " "), err)
		}
		if err := writeJar(jar, classesDir); err != nil {
			return nil, err
		}
		_ = os.RemoveAll(classesDir)
	}
	// Archives made for the old classpath are useless now.
	if old, _ := filepath.Glob(filepath.Join(dir, "app-*.jsa*")); len(old) > 0 {
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	rt, err := loadRuntime(dir, java)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	return rt, nil
}

// loadRuntime reads the classpath file of a prepared runtime directory and
// checks every jar on it exists (someone may have cleaned ~/.m2 since).
func loadRuntime(dir, java string) (*runtime, error) {
	cpPath := filepath.Join(dir, "classpath.txt")
	b, err := os.ReadFile(cpPath)
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	cp := strings.TrimSpace(string(b))
	if cp == "" {
		return nil, fmt.Errorf("managed neo4j: %s is empty", cpPath)
	}
	for _, jar := range filepath.SplitList(cp) {
		if _, err := os.Stat(jar); err != nil {
			return nil, fmt.Errorf("managed neo4j: jar on %s missing: %w", cpPath, err)
		}
	}
	jar := filepath.Join(dir, "launcher.jar")
	if _, err := os.Stat(jar); err == nil {
		return &runtime{
			classpath: jar + string(os.PathListSeparator) + cp,
			main:      "Launcher",
			cds:       filepath.Join(dir, "app-"+jvmKey(java)+".jsa"),
		}, nil
	}
	return &runtime{classpath: cp, main: filepath.Join(dir, "Launcher.java")}, nil
}

// jvmKey identifies a JVM installation, since a class-data-sharing archive
// only works with the JVM that wrote it.
func jvmKey(java string) string {
	real, err := filepath.EvalSymlinks(java)
	if err != nil {
		real = java
	}
	h := sha256.New()
	h.Write([]byte(real))
	if fi, err := os.Stat(real); err == nil {
		fmt.Fprintf(h, "\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// writeJar packs the files of dir into a jar (a zip; no manifest needed,
// since the main class is named on the command line).
func writeJar(jar, dir string) (err error) {
	defer wrapErr(&err, "managed neo4j: write %s", jar)
	f, err := os.Create(jar)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		zw.Close()
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func wrapErr(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// javacFor finds the javac next to java (following /etc/alternatives), else on PATH.
func javacFor(java string) string {
	if real, err := filepath.EvalSymlinks(java); err == nil {
		j := filepath.Join(filepath.Dir(real), "javac")
		if _, err := os.Stat(j); err == nil {
			return j
		}
	}
	if j, err := exec.LookPath("javac"); err == nil {
		return j
	}
	return ""
}

// run runs a tool and returns its output in the error when it fails.
func run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 4000 {
			msg = "..." + msg[len(msg)-4000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, msg)
	}
	return nil
}

// lockFile takes an exclusive flock on path, waiting (politely, so ctx can
// end the wait) while another process holds it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("managed neo4j: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("managed neo4j: waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
