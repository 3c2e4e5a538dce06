// Package neo4j runs the managed Neo4j server that Lockstep uses when no
// NEO4J_URI is given: Neo4j 5 community, embedded in a small Java launcher,
// fetched from Maven Central on first use, listening for Bolt on 127.0.0.1
// only, with a generated password.
//
// Everything lives in LOCKSTEP_HOME/neo4j:
//
//	password     the neo4j user's password (mode 0600)
//	pid, port    the running launcher's process id and Bolt port
//	bolt-port    the Bolt port of this home, kept across restarts (see Start)
//	plugins, settings  the plugin directory and settings file of this
//	             home, kept across restarts like the port (see Options)
//	neo4j.log    the launcher's stdout and stderr
//	dbms/        Neo4j's home: data/ and logs/ (debug.log holds Neo4j's own log)
//	runtime/     pom.xml, Launcher.java, classpath.txt, compiled Launcher.class
//
// The jars stay in the Maven cache (~/.m2); classpath.txt names them, so only
// the first start anywhere runs Maven.
//
// Options.Plugins and Options.Settings add plugin jars (APOC, OpenGDS) and
// a neo4j.conf-style settings file to a server; Lockstep's own settings
// (Bolt on 127.0.0.1 only, authentication on) win over the file.
// FetchPlugin fetches a plugin and its dependencies from Maven Central into
// a directory for Options.Plugins, leaving out the jars Neo4j already has.
// docs/NEO4J.md, "Plugins and settings", has a worked example. Import it as
// managed "github.com/lockstep-dev/lockstep/deploy/neo4j".
package neo4j

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed pom.xml
var pomXML []byte

//go:embed Launcher.java
var launcherJava []byte

// procedureSources are Lockstep's own procedures, compiled into the
// launcher's jar and registered by the launcher (Launcher.PROCEDURES lists
// their classes). Each file is one class of package lockstep.
//
//go:embed procedures/*.java
var procedureSources embed.FS

// User is the Neo4j user the managed server's password belongs to.
const User = "neo4j"

// ErrNotRunning is returned by Status when no managed server runs in a home.
var ErrNotRunning = errors.New("managed neo4j is not running")

// Server is a running managed Neo4j.
type Server struct {
	URI      string // bolt://127.0.0.1:PORT
	User     string
	Password string
	Port     int
	PID      int
	Reused   bool   // Start found it already running
	Log      string // path of the launcher's log
}

// Options tunes a start. The zero value is fine for interactive use.
type Options struct {
	Heap         string        // JVM -Xmx, such as "2g" (default $LOCKSTEP_NEO4J_HEAP, else "2g")
	PageCache    string        // Neo4j page cache, such as "1g" (default $LOCKSTEP_NEO4J_PAGECACHE, else "1g")
	TxMemory     string        // memory all transactions together may use (default: Neo4j's, 70% of heap)
	ReadyTimeout time.Duration // how long to wait for Bolt (default 5 minutes; see defaults)
	// Port forces the Bolt port; 0 picks a free one on 127.0.0.1.
	Port int
	// RuntimeDir holds pom.xml, the compiled launcher and the classpath
	// file. Default LOCKSTEP_HOME/neo4j/runtime. Test helpers share one
	// across temporary homes so Maven and javac run once per machine.
	RuntimeDir string
	// ExitWithParent makes the server shut itself down when this process
	// exits, so a killed test binary does not leave a JVM behind.
	ExitWithParent bool
	// LightJIT runs the JVM with its quick (C1) compiler only: about half
	// the CPU to start, slower on long heavy queries. For test servers.
	LightJIT bool
	// Plugins is a directory of plugin jars (OpenGDS, APOC, from Maven
	// Central) for the server: they go on its classpath, for the
	// extensions they register, and it is Neo4j's plugin directory, for
	// their procedures. Settings is a neo4j.conf-style file of Neo4j
	// settings (such as dbms.security.procedures.unrestricted=gds.*);
	// Lockstep's own (Bolt on 127.0.0.1 only, authentication on) win over
	// it. Both are kept for later starts of the home, like the port, so a
	// command that starts the server later brings them back; "none" forgets
	// the kept one.
	Plugins, Settings string
	// Logger receives progress messages (default slog.Default()).
	Logger *slog.Logger
}

func (o *Options) defaults(home string) {
	if o.Heap == "" {
		o.Heap = cmp.Or(os.Getenv("LOCKSTEP_NEO4J_HEAP"), "2g")
	}
	if o.PageCache == "" {
		o.PageCache = cmp.Or(os.Getenv("LOCKSTEP_NEO4J_PAGECACHE"), "1g")
	}
	if o.ReadyTimeout <= 0 {
		// A start needs 6 to 15 s of CPU; on a 2-core machine shared with a
		// load average of 25 that took over two minutes. A launcher that
		// fails exits, which is reported at once, so a long timeout only
		// delays the report of a hang.
		o.ReadyTimeout = 5 * time.Minute
	}
	if o.RuntimeDir == "" {
		o.RuntimeDir = filepath.Join(dir(home), "runtime")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func dir(home string) string { return filepath.Join(home, "neo4j") }

// paths names the files of one home.
type paths struct{ dir, password, pid, port, boltPort, plugins, settings, log, dbms, lock, cdsPart string }

func pathsOf(home string) paths {
	d := dir(home)
	return paths{
		dir:      d,
		password: filepath.Join(d, "password"),
		pid:      filepath.Join(d, "pid"),
		port:     filepath.Join(d, "port"),
		boltPort: filepath.Join(d, "bolt-port"),
		plugins:  filepath.Join(d, "plugins"),
		settings: filepath.Join(d, "settings"),
		log:      filepath.Join(d, "neo4j.log"),
		dbms:     filepath.Join(d, "dbms"),
		lock:     filepath.Join(d, "lock"),
		cdsPart:  filepath.Join(d, "cds-part"),
	}
}

// ErrPortTaken is returned by Start when the Bolt port the home keeps is
// in use by another process.
var ErrPortTaken = errors.New("managed neo4j: the Bolt port of this LOCKSTEP_HOME is taken by another process")

// Start returns the managed server of home, starting it if it is not
// running. It returns once Bolt accepts connections, or fails after
// opts.ReadyTimeout with an error naming the log file. Concurrent Starts on
// one home are serialised by a file lock, so they share one server.
//
// The first start of a home picks a free port (or opts.Port) and keeps it
// in LOCKSTEP_HOME/neo4j/bolt-port; every later start of that home, with
// opts.Port 0, listens on the same port, so a process still holding the
// old NEO4J_URI reconnects after a restart. If another process holds that
// port, Start fails with ErrPortTaken rather than move: a server on a new
// port would strand those clients without a word. Deleting the bolt-port
// file lets the next start pick a new port.
func Start(ctx context.Context, home string, opts Options) (*Server, error) {
	if home == "" {
		return nil, errors.New("managed neo4j: empty LOCKSTEP_HOME")
	}
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	opts.defaults(home)
	p := pathsOf(home)
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return nil, fmt.Errorf("managed neo4j: create %s: %w", p.dir, err)
	}
	unlock, err := lockFile(ctx, p.lock)
	if err != nil {
		return nil, err
	}
	defer unlock()

	password, err := ensurePassword(p.password)
	if err != nil {
		return nil, err
	}
	if srv, err := running(p); err == nil {
		srv.Password, srv.Reused = password, true
		opts.Logger.Debug("managed neo4j already running", "pid", srv.PID, "port", srv.Port)
		return srv, nil
	}
	// Our launcher alive but Bolt silent: a start whose caller gave up (a
	// killed command) may still be coming up. A second JVM on the same data
	// would fail on Neo4j's store lock, so wait for this one, or end it.
	if pid, err := readInt(p.pid); err == nil && ownsProcess(pid, home) {
		if srv, ok := awaitOrphan(ctx, p, pid, opts.ReadyTimeout); ok {
			srv.Password, srv.Reused = password, true
			return srv, nil
		}
		opts.Logger.Warn("managed neo4j: killing a launcher that never became ready", "pid", pid, "log", p.log)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for deadline := time.Now().Add(30 * time.Second); pidAlive(pid) && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Not running: forget stale pid/port files before starting anew, and
	// keep the class archive an earlier server wrote when it exited.
	_ = os.Remove(p.pid)
	_ = os.Remove(p.port)
	promoteCDS(p)

	heap, err := normSize("heap", opts.Heap)
	if err != nil {
		return nil, err
	}
	pagecache, err := parseSize("page cache", opts.PageCache)
	if err != nil {
		return nil, err
	}
	var txTotal int64
	if opts.TxMemory != "" {
		if txTotal, err = parseSize("transaction memory", opts.TxMemory); err != nil {
			return nil, err
		}
	}
	if opts.Plugins, err = keptPath(p.plugins, opts.Plugins, true); err != nil {
		return nil, err
	}
	if opts.Settings, err = keptPath(p.settings, opts.Settings, false); err != nil {
		return nil, err
	}
	java, err := javaBinary()
	if err != nil {
		return nil, err
	}
	rt, err := prepareRuntime(ctx, opts.RuntimeDir, java, opts.Logger)
	if err != nil {
		return nil, err
	}
	l := launch{
		java: java, rt: rt, home: home, p: p, password: password,
		heap: heap, pagecache: pagecache, txTotal: txTotal, opts: opts,
	}
	kept, keptErr := readInt(p.boltPort)
	port := opts.Port
	if port == 0 && keptErr == nil {
		port = kept
	}
	var srv *Server
	if port != 0 {
		// Fail in a moment, not after a JVM start, when the port is taken.
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
			return nil, l.portTaken(port, port == kept, err)
		} else {
			ln.Close()
		}
		if srv, err = l.run(ctx, port); errors.Is(err, errPortTaken) {
			return nil, l.portTaken(port, port == kept, err)
		}
	} else {
		srv, err = l.freshPort(ctx)
	}
	if err != nil {
		return nil, err
	}
	if srv.Port != kept {
		if err := writeFile(p.boltPort, strconv.Itoa(srv.Port)); err != nil {
			return nil, err
		}
	}
	// Kept only once a server started with them: a settings file Neo4j
	// refuses must not break every later start on demand.
	for file, path := range map[string]string{p.plugins: opts.Plugins, p.settings: opts.Settings} {
		if path != "" {
			if err := writeFile(file, path); err != nil {
				return nil, err
			}
		}
	}
	return srv, nil
}

// keptPath resolves a path setting kept in file: a given path is checked
// (a directory when dir, else a file) and made absolute, for Start to keep
// once the server runs; "none" forgets the kept one; an empty one means the
// kept one, if any.
func keptPath(file, given string, dir bool) (string, error) {
	from := ""
	switch given {
	case "none":
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			return "", fmt.Errorf("managed neo4j: %w", err)
		}
		return "", nil
	case "":
		b, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("managed neo4j: %w", err)
		}
		given = strings.TrimSpace(string(b))
		from = fmt.Sprintf(" (kept in %s; \"none\" forgets it)", file)
	}
	abs, err := filepath.Abs(given)
	if err != nil {
		return "", fmt.Errorf("managed neo4j: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("managed neo4j: %w%s", err, from)
	}
	if fi.IsDir() != dir {
		return "", fmt.Errorf("managed neo4j: %s%s: want a directory of jars for plugins, a file for settings", abs, from)
	}
	return abs, nil
}

// freshPort starts the server on a free port. A free port can be taken by
// someone else before the JVM binds it; then it tries another.
func (l *launch) freshPort(ctx context.Context) (*Server, error) {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		srv, err := l.run(ctx, port)
		if err == nil || attempt == 3 || !errors.Is(err, errPortTaken) {
			return srv, err
		}
		l.opts.Logger.Info("managed neo4j: port taken meanwhile, trying another", "port", port)
	}
}

// portTaken is the error of a start whose port is in use.
func (l *launch) portTaken(port int, kept bool, err error) error {
	if kept {
		return fmt.Errorf("%w: port %d on 127.0.0.1, kept in %s so that clients of the old NEO4J_URI reconnect after a restart: stop what holds it, or delete that file to start on a new port (clients then need the new NEO4J_URI): %w",
			ErrPortTaken, port, l.p.boltPort, err)
	}
	return fmt.Errorf("managed neo4j: port %d on 127.0.0.1 is not free: %w", port, err)
}

// errPortTaken marks a start that failed because the port was in use.
var errPortTaken = errors.New("port in use")

// launch is one prepared start, run once per port tried.
type launch struct {
	java, home, password, heap string
	rt                         *runtime
	p                          paths
	pagecache, txTotal         int64
	opts                       Options
}

// cdsFlags returns the JVM flags for class data sharing: loading Neo4j's
// classes from an archive cuts the CPU a start needs by a third. Without an
// archive the JVM writes one when it exits (into a part file that
// promoteCDS renames once the JVM is gone).
func (l *launch) cdsFlags() []string {
	if l.rt.cds == "" {
		return nil
	}
	quiet := "-Xlog:cds=error,cds+dynamic=error" // the dump lists thousands of skipped classes
	if _, err := os.Stat(l.rt.cds); err == nil {
		return []string{quiet, "-XX:SharedArchiveFile=" + l.rt.cds}
	}
	if l.opts.Plugins != "" {
		// An archive written with the plugin jars on the classpath would
		// not fit the shorter classpath of the servers without them.
		return nil
	}
	// Writing the archive costs tens of seconds of CPU at exit: let one
	// server at a time do it (test binaries start many at once).
	marker := l.rt.cds + ".dumping"
	if fi, err := os.Stat(marker); err == nil && time.Since(fi.ModTime()) > 15*time.Minute {
		_ = os.Remove(marker) // its server died without anyone promoting
	}
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil
	}
	f.Close()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	part := l.rt.cds + "." + hex.EncodeToString(raw) + ".part"
	if err := writeFile(l.p.cdsPart, part); err != nil {
		_ = os.Remove(marker)
		return nil
	}
	return []string{quiet, "-XX:ArchiveClassesAtExit=" + part}
}

// cdsPending reports whether the server of p writes a class archive when
// it exits (and so needs longer to stop).
func cdsPending(p paths) bool {
	_, err := os.Stat(p.cdsPart)
	return err == nil
}

// promoteCDS moves the archive a stopped server wrote at exit to the name
// later starts use. Call it only when no server of this home runs.
func promoteCDS(p paths) {
	b, err := os.ReadFile(p.cdsPart)
	if err != nil {
		return
	}
	_ = os.Remove(p.cdsPart)
	part := strings.TrimSpace(string(b))
	final, ok := strings.CutSuffix(part, ".part")
	if !ok {
		return
	}
	final = final[:strings.LastIndexByte(final, '.')] // drop the random suffix
	defer os.Remove(final + ".dumping")
	if fi, err := os.Stat(part); err == nil && fi.Size() > 0 {
		_ = os.Rename(part, final)
	} else {
		_ = os.Remove(part)
	}
}

// run starts the launcher JVM on port, detached, and waits until it is ready.
func (l *launch) run(ctx context.Context, port int) (*Server, error) {
	p := l.p
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: open log %s: %w", p.log, err)
	}
	defer logf.Close()
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: %s: %w", p.log, err)
	}
	fmt.Fprintf(logf, "\n=== lockstep: starting neo4j on 127.0.0.1:%d at %s (heap %s, page cache %d MiB)\n",
		port, time.Now().UTC().Format(time.RFC3339), l.heap, l.pagecache>>20)

	args := []string{
		"-Xmx" + l.heap, // no -Xms: idle test servers should not hold their whole heap
		// A subset of Neo4j's own neo4j.conf JVM flags.
		"-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+DisableExplicitGC",
		"-Djdk.nio.maxCachedBufferSize=1024", "-Dio.netty.tryReflectionSetAccessible=true",
		"-Dlog4j2.disable.jmx=true",
		"--add-opens=java.base/java.nio=ALL-UNNAMED",
		"--add-opens=java.base/java.io=ALL-UNNAMED",
		"--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens=java.base/java.lang=ALL-UNNAMED",
		"-Dlockstep.home=" + l.home, // lets ownsProcess recognise our JVM
	}
	if l.opts.LightJIT {
		args = append(args, "-XX:TieredStopAtLevel=1")
	}
	args = append(args, l.cdsFlags()...)
	classpath := l.rt.classpath
	if l.opts.Plugins != "" {
		// Appended: the class archive of the launcher's own classpath
		// stays valid for a classpath that extends it.
		classpath += string(os.PathListSeparator) + filepath.Join(l.opts.Plugins, "*")
	}
	args = append(args, "-cp", classpath, l.rt.main, p.dbms, strconv.Itoa(port))
	cmd := exec.Command(l.java, args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // survives our terminal and our exit
	env := append(os.Environ(),
		"LOCKSTEP_NEO4J_PASSWORD="+l.password,
		"LOCKSTEP_NEO4J_PAGECACHE="+strconv.FormatInt(l.pagecache, 10))
	if l.txTotal > 0 {
		env = append(env, "LOCKSTEP_NEO4J_TX_TOTAL="+strconv.FormatInt(l.txTotal, 10))
	}
	if l.opts.ExitWithParent {
		env = append(env, "LOCKSTEP_NEO4J_PARENT_PID="+strconv.Itoa(os.Getpid()))
	}
	if l.opts.Plugins != "" {
		env = append(env, "LOCKSTEP_NEO4J_PLUGINS="+l.opts.Plugins)
	}
	if l.opts.Settings != "" {
		env = append(env, "LOCKSTEP_NEO4J_SETTINGS="+l.opts.Settings)
	}
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("managed neo4j: run %s: %w", l.java, err)
	}
	// Reap the child whenever it ends, so a zombie never looks alive to
	// pidAlive while this process lives; exited reports the end to the wait.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()

	pid := cmd.Process.Pid
	fail := func(err error) (*Server, error) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		// Wait for the exit, so no JVM still writes into the home when the
		// caller (a test, say) removes it.
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
		}
		_ = os.Remove(p.pid)
		_ = os.Remove(p.port)
		return nil, err
	}
	if err := writeFile(p.pid, strconv.Itoa(pid)); err != nil {
		return fail(err)
	}
	if err := writeFile(p.port, strconv.Itoa(port)); err != nil {
		return fail(err)
	}
	l.opts.Logger.Info("starting managed neo4j", "pid", pid, "port", port, "log", p.log)
	if err := awaitReady(ctx, p.log, logStart, port, l.opts.ReadyTimeout, exited, &waitErr); err != nil {
		return fail(err)
	}
	return &Server{
		URI:      fmt.Sprintf("bolt://127.0.0.1:%d", port),
		User:     User,
		Password: l.password,
		Port:     port,
		PID:      pid,
		Log:      p.log,
	}, nil
}

// awaitReady waits for the launcher's "ready" line (printed after the
// password is set, so Bolt is up and authenticates) and then for a TCP
// connect to the port.
func awaitReady(ctx context.Context, logPath string, from int64, port int, timeout time.Duration, exited <-chan struct{}, waitErr *error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("managed neo4j: start cancelled (%w); see %s", ctx.Err(), logPath)
		case <-exited:
			err := *waitErr
			log := tail(logPath, from, 12)
			reason := ""
			if r := grepLine(logPath, from, "lockstep-neo4j: "); r != "" {
				reason = ": " + strings.TrimPrefix(r, "lockstep-neo4j: ")
			}
			err = fmt.Errorf("managed neo4j: server exited during start (%v)%s; see %s (Neo4j's own log: %s):\n%s", err, reason, logPath, debugLog(logPath), log)
			if strings.Contains(log, "Address already in use") {
				err = fmt.Errorf("%w (%w)", err, errPortTaken)
			}
			return err
		case <-deadline.C:
			return fmt.Errorf("managed neo4j: Bolt on 127.0.0.1:%d not ready after %s; see %s (Neo4j's own log: %s):\n%s", port, timeout, logPath, debugLog(logPath), tail(logPath, from, 15))
		case <-tick.C:
			if !logHasLine(logPath, from, "ready") {
				continue
			}
			if portAnswers(port) {
				return nil
			}
		}
	}
}

// Stop stops the managed server of home: SIGTERM (Neo4j checkpoints and
// closes its store), then SIGKILL if it has not exited within a minute
// (three when it writes its class archive) or when ctx ends. Stopping a server that is not running is not an error.
func Stop(ctx context.Context, home string) error {
	home, err := filepath.Abs(home)
	if err != nil {
		return fmt.Errorf("managed neo4j: %w", err)
	}
	p := pathsOf(home)
	pid, err := readInt(p.pid)
	if err != nil || !ownsProcess(pid, home) {
		_ = os.Remove(p.pid)
		_ = os.Remove(p.port)
		promoteCDS(p)
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("managed neo4j: signal pid %d: %w", pid, err)
	}
	wait := 60 * time.Second
	if cdsPending(p) {
		wait = 3 * time.Minute // writing the class archive takes a while on a busy machine
	}
	grace := time.NewTimer(wait)
	defer grace.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	killed := false
	for pidAlive(pid) {
		select {
		case <-tick.C:
		case <-grace.C:
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed = true
		case <-ctx.Done():
			if !killed {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				killed = true
			}
		}
	}
	_ = os.Remove(p.pid)
	_ = os.Remove(p.port)
	if killed {
		// A JVM killed while writing its class archive leaves half a file.
		if b, err := os.ReadFile(p.cdsPart); err == nil {
			_ = os.Remove(strings.TrimSpace(string(b)))
		}
	}
	promoteCDS(p)
	return nil
}

// Status returns the running server of home (its Password filled in), or
// ErrNotRunning.
func Status(home string) (*Server, error) {
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, fmt.Errorf("managed neo4j: %w", err)
	}
	p := pathsOf(home)
	srv, err := running(p)
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(p.password); err == nil {
		srv.Password = strings.TrimSpace(string(b))
	}
	return srv, nil
}

// awaitOrphan waits up to timeout for a launcher this process did not
// start to answer on its port.
func awaitOrphan(ctx context.Context, p paths, pid int, timeout time.Duration) (*Server, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil && pidAlive(pid) {
		if srv, err := running(p); err == nil {
			return srv, true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return nil, false
}

// running reports the server of p if its pid is our live launcher and its
// port answers.
func running(p paths) (*Server, error) {
	pid, err := readInt(p.pid)
	if err != nil {
		return nil, ErrNotRunning
	}
	port, err := readInt(p.port)
	if err != nil {
		return nil, ErrNotRunning
	}
	if !ownsProcess(pid, filepath.Dir(p.dir)) || !portAnswers(port) {
		return nil, ErrNotRunning
	}
	return &Server{
		URI:  fmt.Sprintf("bolt://127.0.0.1:%d", port),
		User: User,
		Port: port,
		PID:  pid,
		Log:  p.log,
	}, nil
}

// ownsProcess reports whether pid is alive and is the launcher of home, so a
// recycled pid of some other program is never taken for (or killed as) ours.
func ownsProcess(pid int, home string) bool {
	if !pidAlive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		if string(arg) == "-Dlockstep.home="+home {
			return true
		}
	}
	return false
}

// pidAlive is true for a live process that is not a zombie.
func pidAlive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Format: pid (comm) state ...; comm may hold spaces, so cut at the last ')'.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func portAnswers(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("managed neo4j: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ensurePassword reads the password file, creating it with 24 random bytes
// the first time. The file is always left at mode 0600.
func ensurePassword(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		if pw := strings.TrimSpace(string(b)); len(pw) >= 8 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", fmt.Errorf("managed neo4j: chmod %s: %w", path, err)
			}
			return pw, nil
		}
		// The launcher sets the password at every start, so a new file
		// takes effect at the next start.
		return "", fmt.Errorf("managed neo4j: password file %s holds fewer than 8 characters: delete it and restart (lockstep neo4j stop; lockstep neo4j start) to get a new one", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("managed neo4j: read %s: %w", path, err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := base64.RawURLEncoding.EncodeToString(raw)
	if err := writeFile(path, pw); err != nil {
		return "", err
	}
	return pw, nil
}

// writeFile writes s and a newline to path with mode 0600, atomically.
func writeFile(path, s string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("managed neo4j: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("managed neo4j: %w", err)
	}
	if _, err := tmp.WriteString(s + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("managed neo4j: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("managed neo4j: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("managed neo4j: write %s: %w", path, err)
	}
	return nil
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// debugLog names Neo4j's own log, which sits beside the launcher's.
func debugLog(launcherLog string) string {
	return filepath.Join(filepath.Dir(launcherLog), "dbms", "logs", "debug.log")
}

// scanLog calls fn for every line of the log from offset on.
func scanLog(path string, from int64, fn func(line string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fn(sc.Text())
	}
}

// logHasLine reports whether the log, from offset on, holds a line equal to want.
func logHasLine(path string, from int64, want string) bool {
	found := false
	scanLog(path, from, func(line string) { found = found || strings.TrimSpace(line) == want })
	return found
}

// grepLine returns the last line of the log, from offset on, that starts
// with prefix, or "".
func grepLine(path string, from int64, prefix string) string {
	found := ""
	scanLog(path, from, func(line string) {
		if strings.HasPrefix(line, prefix) {
			found = line
		}
	})
	return found
}

// tail returns the last n lines of the log written since offset from,
// indented, for error messages.
func tail(path string, from int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (log unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 16<<20))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// parseSize reads "512m", "1g", "2048k" or a plain number of bytes.
func parseSize(what, s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			mult, t = 1<<10, t[:len(t)-1]
		case 'm':
			mult, t = 1<<20, t[:len(t)-1]
		case 'g':
			mult, t = 1<<30, t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("managed neo4j: %s %q: want a size such as 512m or 2g", what, s)
	}
	return n * mult, nil
}

// normSize validates a size and renders it as the JVM wants it ("2g", "512m").
func normSize(what, s string) (string, error) {
	n, err := parseSize(what, s)
	if err != nil {
		return "", err
	}
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dg", n>>30), nil
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20), nil
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10), nil
	}
	return "", fmt.Errorf("managed neo4j: %s %q: want a multiple of 1k", what, s)
}

func javaBinary() (string, error) {
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		j := filepath.Join(jh, "bin", "java")
		if _, err := os.Stat(j); err == nil {
			return j, nil
		}
	}
	j, err := exec.LookPath("java")
	if err != nil {
		return "", errors.New("managed neo4j: no java on PATH (and no JAVA_HOME): install a JDK 17 or 21, e.g. apt-get install openjdk-17-jdk-headless")
	}
	return j, nil
}

// runtimeLayout names how prepareRuntime lays out its directory; change it
// whenever that changes, so directories prepared by older code are redone.
const runtimeLayout = "launcher.jar+cds/2"

// contentKey identifies the embedded launcher sources, so a runtime
// directory prepared for another version is prepared again.
func contentKey() string {
	h := sha256.New()
	h.Write([]byte(runtimeLayout))
	h.Write(pomXML)
	h.Write([]byte{0})
	h.Write(launcherJava)
	for _, name := range procedureFiles() {
		b, _ := procedureSources.ReadFile(name)
		h.Write([]byte{0})
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// procedureFiles names the embedded procedure sources in a fixed order.
func procedureFiles() []string {
	entries, _ := procedureSources.ReadDir("procedures")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, "procedures/"+e.Name())
	}
	return names
}
