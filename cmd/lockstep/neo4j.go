package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/config"
	managed "github.com/lockstep-dev/lockstep/deploy/neo4j"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/spf13/cobra"
)

// openStore opens the store cfg describes and migrates its schema: what
// every command that reads or writes the graph does first. The server is
// the one at cfg.Neo4jURI or, when that is empty, the managed one under
// cfg.Home (started if it is not running, reused if it is). The commands
// wire this; store itself only opens a URI, and deploy/neo4j only runs the
// server.
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	st, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close(ctx)
		return nil, err
	}
	return st, nil
}

// withStore is what a command that works on the graph does around its
// work: read the configuration from the environment, open its store
// (openStore), hand both to run, and close the store after.
func withStore(ctx context.Context, run func(cfg *config.Config, st *store.Store) error) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	return useStore(ctx, cfg, func(st *store.Store) error { return run(cfg, st) })
}

// useStore is withStore for a command that has read its configuration
// already (ingest decides from it whether it needs the store at all).
func useStore(ctx context.Context, cfg *config.Config, run func(st *store.Store) error) error {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close(ctx)
	return run(st)
}

func connect(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	if cfg.Neo4jURI != "" {
		return store.Open(ctx, cfg.Neo4jURI, cfg.Neo4jUser, cfg.Neo4jPassword)
	}
	srv, err := managed.Start(ctx, cfg.Home, managed.Options{})
	if err != nil {
		return nil, fmt.Errorf("NEO4J_URI is unset, so Lockstep runs its own Neo4j, which failed: %w", err)
	}
	return store.Open(ctx, srv.URI, srv.User, srv.Password)
}

func init() {
	cmd := &cobra.Command{
		Use:   "neo4j",
		Short: "Start, stop or inspect the managed local Neo4j (used when NEO4J_URI is unset)",
		Long: `Lockstep runs its own Neo4j 5 community server when NEO4J_URI is unset:
fetched from Maven Central on first use, listening on 127.0.0.1 only, with a
generated password. Its files live in $LOCKSTEP_HOME/neo4j (see docs/NEO4J.md).
Settings such as --heap apply when a server starts, not to a running one.`,
	}

	var opts managed.Options
	start := &cobra.Command{
		Use:   "start",
		Short: "Start the managed Neo4j (or reuse the running one) and print eval-able settings",
		Long: `Start the managed Neo4j, or reuse it when it already runs, and print
shell lines that point Lockstep and other tools at it:

  eval "$(lockstep neo4j start)"`,
		Args: cobra.NoArgs,
		RunE: withHome(func(cmd *cobra.Command, home string) error {
			srv, err := managed.Start(cmd.Context(), home, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), exportLine(srv))
			return nil
		}),
	}
	f := start.Flags()
	f.StringVar(&opts.Heap, "heap", "", "JVM heap of the server (-Xmx) (default $LOCKSTEP_NEO4J_HEAP, else 2g)")
	f.StringVar(&opts.PageCache, "pagecache", "", "Neo4j page cache size (default $LOCKSTEP_NEO4J_PAGECACHE, else 1g)")
	f.StringVar(&opts.TxMemory, "tx-memory", "", "memory all transactions together may use (default: Neo4j's, 70% of heap)")
	f.DurationVar(&opts.ReadyTimeout, "timeout", 5*time.Minute, "how long to wait for Bolt to answer")
	f.IntVar(&opts.Port, "port", 0, "Bolt port on 127.0.0.1, kept for later starts of this LOCKSTEP_HOME (default: the kept one, else a free one)")
	f.StringVar(&opts.Plugins, "plugins", "", "directory of plugin jars (see fetch-plugin), kept for later starts of this LOCKSTEP_HOME; none forgets it (docs/NEO4J.md)")
	f.StringVar(&opts.Settings, "settings", "", "neo4j.conf-style file of Neo4j settings, kept for later starts; none forgets it (Lockstep's own settings win)")

	stop := &cobra.Command{
		Use:   "stop",
		Short: "Stop the managed Neo4j (a clean shutdown; no error if it is not running)",
		Args:  cobra.NoArgs,
		RunE: withHome(func(cmd *cobra.Command, home string) error {
			return managed.Stop(cmd.Context(), home)
		}),
	}

	status := &cobra.Command{
		Use:   "status",
		Short: "Say whether the managed Neo4j runs (exit status 3 when it does not)",
		Args:  cobra.NoArgs,
		RunE: withHome(func(cmd *cobra.Command, home string) error {
			srv, err := managed.Status(home)
			if errors.Is(err, managed.ErrNotRunning) {
				fmt.Fprintf(cmd.OutOrStdout(), "not running (LOCKSTEP_HOME=%s)\n", home)
				// Like `systemctl status`: scripts can test the exit status.
				return &exitError{code: 3, err: err}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "running: pid %d, %s, log %s\n", srv.PID, srv.URI, srv.Log)
			return nil
		}),
	}

	var into string
	fetch := &cobra.Command{
		Use:   "fetch-plugin GROUP:ARTIFACT:VERSION... --into DIR",
		Short: "Fetch Neo4j plugins and their dependencies from Maven Central into a directory for --plugins",
		Long: `Fetch Neo4j plugins from Maven Central with Maven, with their runtime
dependencies, into DIR, leaving out the jars the managed Neo4j already has.
Then start the server with them:

  lockstep neo4j fetch-plugin org.neo4j.procedure:apoc-core:5.26.19 \
      org.neo4j.procedure:apoc-common:5.26.19 --into ~/neo4j-plugins
  lockstep neo4j stop; lockstep neo4j start --plugins ~/neo4j-plugins --settings plugins.conf

APOC core needs apoc-common beside it, OpenGDS its extension:
org.neo4j.gds:proc:2.13.9 org.neo4j.gds:opengds-extension:2.13.9 (docs/NEO4J.md).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			jars, err := managed.FetchPlugin(cmd.Context(), cfg.Home, into, "", args, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d jars in %s; start the server with --plugins %s\n", len(jars), into, shellQuote(into))
			return nil
		},
	}
	fetch.Flags().StringVar(&into, "into", "", "directory to copy the jars into (created if missing)")
	_ = fetch.MarkFlagRequired("into")

	cmd.AddCommand(start, stop, status, fetch)
	rootCmd.AddCommand(cmd)
}

// withHome is a command's RunE that hands run the LOCKSTEP_HOME of the
// configuration in the environment.
func withHome(run func(cmd *cobra.Command, home string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.FromEnv()
		if err != nil {
			return err
		}
		return run(cmd, cfg.Home)
	}
}

// exportLine renders the server's settings as one eval-able shell line.
func exportLine(srv *managed.Server) string {
	return fmt.Sprintf("export NEO4J_URI=%s NEO4J_USER=%s NEO4J_PASSWORD=%s",
		shellQuote(srv.URI), shellQuote(srv.User), shellQuote(srv.Password))
}

// shellQuote quotes s for POSIX shells when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
