package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

func init() {
	var (
		accounts int
		seed     uint64
		addr     string
		noServe  bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole investigation: managed Neo4j, a generated world, detection, then the UI and API",
		Long: `demo is the tour of Lockstep on one machine. It starts (or reuses) the
managed Neo4j, generates a synthetic world with planted networks into
LOCKSTEP_HOME/demo (reused when it is already there), ingests it (loading
it again changes nothing), runs a detection with the watch lists the world
was generated with (watchlists.yaml beside it), prints the top networks with
their evidence, creates an analyst API key and serves the UI, the GraphQL
playground and the API until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			return withStore(ctx, func(conf *config.Config, st *store.Store) error {
				conf.WarnDevKey()
				dir := filepath.Join(conf.Home, "demo", fmt.Sprintf("world-%d-seed-%d", accounts, seed))
				// A world from before the watch lists were written is made again.
				if _, err := os.Stat(filepath.Join(dir, generate.WatchListsFile)); err != nil {
					fmt.Fprintf(out, "Generating a world of %d accounts (seed %d) into %s\n", accounts, seed, dir)
					if _, err := generate.ToDir(generate.DefaultConfig(accounts, seed), dir); err != nil {
						return fmt.Errorf("demo: generate: %w", err)
					}
				}
				truth, err := generate.ReadTruth(filepath.Join(dir, "truth.json"))
				if err != nil {
					return fmt.Errorf("demo: %w", err)
				}

				sum, err := ingest.Run(ctx, st, []string{filepath.Join(dir, "events.ndjson")}, ingest.Options{
					HMACKey:  conf.HMACKey,
					StateDir: conf.Home,
					Progress: os.Stderr,
				})
				if err != nil {
					return fmt.Errorf("demo: ingest: %w", err)
				}
				fmt.Fprintln(out, sum)

				// The world's own watch lists, so the tour shows "possibly
				// state-linked" with its reasons, as an investigation that
				// configured them would see it.
				params, err := detect.LoadParams(filepath.Join(dir, generate.WatchListsFile))
				if err != nil {
					return fmt.Errorf("demo: %w", err)
				}
				started := time.Now()
				res, err := detect.Run(ctx, st, params, nil)
				if err != nil {
					return fmt.Errorf("demo: detect: %w", err)
				}
				fmt.Fprintf(out, "Detection run %s: %d networks written in %s (the world has %d planted networks)\n",
					res.RunID, len(res.Networks), time.Since(started).Round(time.Millisecond), len(truth.Networks))
				printNetworks(out, detect.TopNetworks(res.Networks, 10))

				key, secret, err := st.CreateAPIKey(ctx, fmt.Sprintf("demo-analyst-%d", time.Now().Unix()), store.RoleAnalyst)
				if err != nil {
					return fmt.Errorf("demo: create key: %w", err)
				}
				keyFile := filepath.Join(conf.Home, "demo", "analyst.key")
				if err := os.WriteFile(keyFile, []byte(secret+"\n"), 0o600); err != nil {
					return fmt.Errorf("demo: save key: %w", err)
				}
				// A viewer key beside it lets the browser tests check that a role
				// too low for an action is refused with a clear message.
				_, viewerSecret, err := st.CreateAPIKey(ctx, fmt.Sprintf("demo-viewer-%d", time.Now().Unix()), store.RoleViewer)
				if err != nil {
					return fmt.Errorf("demo: create key: %w", err)
				}
				if err := os.WriteFile(filepath.Join(conf.Home, "demo", "viewer.key"), []byte(viewerSecret+"\n"), 0o600); err != nil {
					return fmt.Errorf("demo: save key: %w", err)
				}
				if noServe {
					fmt.Fprintf(out, "Analyst key %s saved in %s\n", key.ID, keyFile)
					return nil
				}
				srv := server.New(server.Config{Store: st, HMACKey: conf.HMACKey, Log: slog.Default(), Detect: detect.Runner{Store: st, Params: params}})
				return srv.Serve(ctx, addr, func(a net.Addr) {
					fmt.Fprintf(out, "\nLockstep is serving the demo investigation:\n  UI          http://%s/\n  playground  http://%s/playground\n  GraphQL     http://%s/graphql\n  health      http://%s/healthz\n", a, a, a, a)
					fmt.Fprintf(out, "Analyst API key (also in %s):\n  %s\nCtrl-C stops the server; `lockstep neo4j stop` stops Neo4j.\n", keyFile, secret)
				})
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&accounts, "accounts", 20000, "accounts in the generated world")
	f.Uint64Var(&seed, "seed", 1, "seed of the generated world")
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "host:port to serve on")
	f.BoolVar(&noServe, "no-serve", false, "stop after detection (for scripts)")
	rootCmd.AddCommand(cmd)
}
