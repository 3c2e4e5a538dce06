package neo4j

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testOptions are small servers sharing the machine's runtime directory.
func testOptions() Options {
	return Options{
		Heap:           "512m",
		PageCache:      "64m",
		RuntimeDir:     SharedRuntimeDir(),
		ExitWithParent: true,
		LightJIT:       true,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// testCtx bounds a test, not a start: TestLifecycle starts four servers,
// and one start took over two minutes on the shared 2-core machine.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func needJava(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a JVM; skipped with -short")
	}
	for _, tool := range []string{"java", "mvn"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not on PATH: the managed Neo4j needs a JDK and Maven (.ci/run installs them)", tool)
		}
	}
}

// TestLifecycle starts a server, checks its files, starts again (reuse),
// stops, checks status, and restarts over the same data.
func TestLifecycle(t *testing.T) {
	needJava(t)
	ctx := testCtx(t)
	home := t.TempDir()
	t.Cleanup(func() { _ = Stop(context.Background(), home) })

	if _, err := Status(home); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Status before any start: %v, want ErrNotRunning", err)
	}
	begin := time.Now()
	srv, err := Start(ctx, home, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first start: %s (pid %d, %s)", time.Since(begin).Round(time.Millisecond), srv.PID, srv.URI)
	if srv.Reused || srv.User != "neo4j" || srv.URI != "bolt://127.0.0.1:"+strconv.Itoa(srv.Port) || len(srv.Password) < 24 {
		t.Errorf("first start gave %+v", srv)
	}
	p := pathsOf(home)
	for _, c := range []struct {
		path string
		want string
	}{
		{p.password, srv.Password},
		{p.pid, strconv.Itoa(srv.PID)},
		{p.port, strconv.Itoa(srv.Port)},
	} {
		b, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(b)); got != c.want {
			t.Errorf("%s holds %q, want %q", c.path, got, c.want)
		}
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", c.path, fi.Mode().Perm())
		}
	}
	// Bolt listens on loopback only.
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port)), time.Second); err != nil {
		t.Errorf("Bolt port does not answer: %v", err)
	} else {
		c.Close()
	}

	// Class data sharing: a server either maps the machine's archive or,
	// when there is none yet, writes it at exit (checked after Stop).
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(srv.PID) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	dumping := strings.Contains(string(cmdline), "-XX:ArchiveClassesAtExit=")
	if !dumping && !strings.Contains(string(cmdline), "-XX:SharedArchiveFile=") {
		t.Logf("server neither uses nor writes a class archive (another server is writing it)")
	}

	again, err := Start(ctx, home, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || again.PID != srv.PID || again.Port != srv.Port || again.Password != srv.Password {
		t.Errorf("second start gave %+v, want a reuse of %+v", again, srv)
	}
	st, err := Status(home)
	if err != nil || st.PID != srv.PID || st.URI != srv.URI || st.Password != srv.Password {
		t.Errorf("Status = %+v, %v; want pid %d at %s", st, err, srv.PID, srv.URI)
	}

	begin = time.Now()
	if err := Stop(ctx, home); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop: %s", time.Since(begin).Round(time.Millisecond))
	if pidAlive(srv.PID) {
		t.Errorf("pid %d alive after Stop", srv.PID)
	}
	if _, err := Status(home); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Status after Stop: %v, want ErrNotRunning", err)
	}
	for _, f := range []string{p.pid, p.port} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Stop (%v)", f, err)
		}
	}
	if err := Stop(ctx, home); err != nil {
		t.Errorf("Stop when stopped: %v", err)
	}
	if dumping {
		rt, err := loadRuntime(SharedRuntimeDir(), must(javaBinary()))
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(rt.cds); err != nil || fi.Size() == 0 {
			t.Errorf("the stopped server wrote no class archive %s (%v)", rt.cds, err)
		}
		if _, err := os.Stat(rt.cds + ".dumping"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dump marker left behind (%v)", err)
		}
	}

	// A restart over the existing data keeps the password (the launcher
	// sets it again, which Neo4j must accept).
	begin = time.Now()
	re, err := Start(ctx, home, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restart: %s", time.Since(begin).Round(time.Millisecond))
	if re.Reused || re.Password != srv.Password || re.PID == srv.PID {
		t.Errorf("restart gave %+v", re)
	}
	// A client holding the old NEO4J_URI reconnects: the port is the home's.
	if re.Port != srv.Port || re.URI != srv.URI {
		t.Errorf("restart listens on %s, the first start on %s; want the same port", re.URI, srv.URI)
	}
	if dumping {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(re.PID) + "/cmdline")
		if !strings.Contains(string(cmdline), "-XX:SharedArchiveFile=") {
			t.Errorf("restart does not use the class archive its predecessor wrote")
		}
	}
	if err := Stop(ctx, home); err != nil {
		t.Fatal(err)
	}

	// Someone else takes the port while the server is stopped: the start
	// says so and names the file that keeps the port, rather than moving
	// to another port that the old clients do not know.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port)))
	if err != nil {
		t.Fatalf("take the port: %v", err)
	}
	_, err = Start(ctx, home, testOptions())
	ln.Close()
	if !errors.Is(err, ErrPortTaken) || !strings.Contains(err.Error(), p.boltPort) || !strings.Contains(err.Error(), strconv.Itoa(srv.Port)) {
		t.Errorf("start with the port taken: %v; want ErrPortTaken naming port %d and %s", err, srv.Port, p.boltPort)
	}
	if _, err := os.Stat(p.pid); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file left by the refused start (%v)", err)
	}
	// Freed again, the home's server comes back on its port.
	back, err := Start(ctx, home, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if back.Port != srv.Port {
		t.Errorf("start after the port was freed listens on %d, want %d", back.Port, srv.Port)
	}
	if err := Stop(ctx, home); err != nil {
		t.Fatal(err)
	}
}

// TestStartFailures checks that every way a start can fail says why and
// names the log file, and leaves no process or pid file behind.
func TestStartFailures(t *testing.T) {
	needJava(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	for _, c := range []struct {
		name  string
		setup func(t *testing.T, opts *Options)
		want  []string // substrings of the error besides the log path
	}{
		{"port taken", func(t *testing.T, o *Options) { o.Port = busyPort }, []string{"not free", strconv.Itoa(busyPort)}},
		{"bad heap", func(t *testing.T, o *Options) { o.Heap = "lots" }, []string{`heap "lots"`}},
		{"ready timeout", func(t *testing.T, o *Options) { o.ReadyTimeout = 300 * time.Millisecond }, []string{"not ready after 300ms"}},
		{"broken classpath", func(t *testing.T, o *Options) {
			// A runtime directory that claims to be prepared but whose
			// classpath lacks Neo4j: the launcher cannot compile.
			dir := t.TempDir()
			junk := filepath.Join(dir, "junk.jar")
			for path, content := range map[string]string{
				"key":           contentKey(),
				"classpath.txt": junk,
				"junk.jar":      "",
				"Launcher.java": string(launcherJava),
			} {
				if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			o.RuntimeDir = dir
		}, []string{"exited during start"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			t.Cleanup(func() { _ = Stop(context.Background(), home) })
			opts := testOptions()
			c.setup(t, &opts)
			srv, err := Start(testCtx(t), home, opts)
			if err == nil {
				t.Fatalf("Start succeeded: %+v", srv)
			}
			want := c.want
			if c.name != "port taken" && c.name != "bad heap" { // those fail before any log is written
				want = append(want, pathsOf(home).log)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if _, err := os.Stat(pathsOf(home).pid); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pid file left after a failed start (%v)", err)
			}
		})
	}
}

// TestExitWithParent runs a child process that starts a server with
// ExitWithParent and exits without stopping it; the server must follow.
func TestExitWithParent(t *testing.T) {
	needJava(t)
	if os.Getenv("LOCKSTEP_TEST_CHILD_HOME") != "" {
		return // the child's part is in TestMain
	}
	home := t.TempDir()
	t.Cleanup(func() { _ = Stop(context.Background(), home) })
	cmd := exec.Command(os.Args[0], "-test.run=^TestExitWithParent$")
	cmd.Env = append(os.Environ(), "LOCKSTEP_TEST_CHILD_HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	pid, err := readInt(pathsOf(home).pid)
	if err != nil {
		t.Fatalf("child left no pid file: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for pidAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("server pid %d still alive 30s after its parent exited", pid)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestStartAdoptsOrphan kills a process while its server is still
// starting; the next Start must wait for that server and reuse it rather
// than start a second JVM on the same data.
func TestStartAdoptsOrphan(t *testing.T) {
	needJava(t)
	home := t.TempDir()
	t.Cleanup(func() { _ = Stop(context.Background(), home) })
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartAdoptsOrphan$")
	cmd.Env = append(os.Environ(), "LOCKSTEP_TEST_CHILD_HOME="+home, "LOCKSTEP_TEST_CHILD_ORPHAN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if pid, err = readInt(pathsOf(home).pid); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("child wrote no pid file")
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if portAnswers(must(readInt(pathsOf(home).port))) {
		t.Log("server was ready before the child was killed; the test shows reuse only")
	}
	srv, err := Start(testCtx(t), home, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if srv.PID != pid || !srv.Reused {
		t.Errorf("Start gave pid %d (reused %v), want the orphan %d reused", srv.PID, srv.Reused, pid)
	}
}

func TestMain(m *testing.M) {
	if home := os.Getenv("LOCKSTEP_TEST_CHILD_HOME"); home != "" {
		// Child of TestExitWithParent (start and leave without Stop) or of
		// TestStartAdoptsOrphan (killed while starting).
		opts := testOptions()
		opts.ExitWithParent = os.Getenv("LOCKSTEP_TEST_CHILD_ORPHAN") == ""
		if _, err := Start(context.Background(), home, opts); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		norm string
	}{
		{"512m", 512 << 20, "512m"},
		{"2g", 2 << 30, "2g"},
		{"2G", 2 << 30, "2g"},
		{"1024m", 1 << 30, "1g"},
		{"4096k", 4 << 20, "4m"},
		{"1048576", 1 << 20, "1m"},
		{" 64m ", 64 << 20, "64m"},
		{"", 0, ""},
		{"m", 0, ""},
		{"-1g", 0, ""},
		{"0", 0, ""},
		{"1.5g", 0, ""},
		{"2t", 0, ""},
		{"99999999999g", 0, ""},
	} {
		got, err := parseSize("x", c.in)
		if got != c.want || (err == nil) != (c.want != 0) {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		norm, err := normSize("x", c.in)
		if norm != c.norm || (err == nil) != (c.norm != "") {
			t.Errorf("normSize(%q) = %q, %v; want %q", c.in, norm, err, c.norm)
		}
	}
	if _, err := normSize("heap", "1000"); err == nil {
		t.Error("normSize accepted a size the JVM cannot take (not a multiple of 1k)")
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512m", "2g", "1k", "123", "", "g", "-5m", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize("x", s)
		if err != nil {
			return
		}
		if n <= 0 || n > 1<<50 {
			t.Fatalf("parseSize(%q) = %d, outside (0, 2^50]", s, n)
		}
		norm, err := normSize("x", s)
		if err != nil {
			if n%1024 == 0 {
				t.Fatalf("normSize(%q) failed for a multiple of 1k: %v", s, err)
			}
			return
		}
		if back, err := parseSize("x", norm); err != nil || back != n {
			t.Fatalf("normSize(%q) = %q, which parses to %d, %v; want %d", s, norm, back, err, n)
		}
	})
}

func TestPidAlive(t *testing.T) {
	if !pidAlive(os.Getpid()) {
		t.Error("this process is not alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if pidAlive(cmd.Process.Pid) {
		t.Errorf("reaped pid %d reported alive", cmd.Process.Pid)
	}
	for _, pid := range []int{0, -1} {
		if pidAlive(pid) {
			t.Errorf("pidAlive(%d) = true", pid)
		}
	}
	// Our own process is alive but is not a launcher of any home.
	if ownsProcess(os.Getpid(), "/nonexistent") {
		t.Error("ownsProcess took the test binary for a launcher")
	}
}
