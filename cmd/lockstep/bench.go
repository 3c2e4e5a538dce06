package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/benchrun"
	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/store"
)

func init() {
	var (
		opts   benchrun.Options
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "bench [--accounts N] [--seed S] [--api-duration D] [--json]",
		Short: "Measure ingest, detection and the API against their baselines on one generated world",
		Long: `Bench generates a world, loads it, runs a full detection on it and serves
it, and prints each figure beside a baseline measured in the same run on the
same data: our transactional ingest against Neo4j's LOAD CSV of the same
rows; detection's read against the plain Cypher read, its community step
against gonum's Louvain on the same graph; each API view through the whole
server against its one Cypher statement at the store. Then the memory the
world costs per account, relationship and similarity edge.

It needs a database of its own, since it loads, clears and reloads the world:
it refuses one that holds data. Run it with a fresh LOCKSTEP_HOME (the
managed Neo4j) or a NEO4J_URI of a scratch server. BENCHMARKS.md quotes it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Accounts < generate.MinAccounts || opts.Accounts > generate.MaxAccounts {
				return fmt.Errorf("bench: --accounts %d: want %d to %d", opts.Accounts, generate.MinAccounts, generate.MaxAccounts)
			}
			tuneGC()
			ctx := cmd.Context()
			return withStore(ctx, func(cfg *config.Config, st *store.Store) error {
				opts.HMACKey, opts.Log = cfg.HMACKey, slog.Default()
				rep, err := benchrun.Run(ctx, st, opts)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), rep)
				}
				return rep.WriteTable(cmd.OutOrStdout())
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Accounts, "accounts", 20000, "accounts in the generated world (BENCHMARKS.md quotes 100000)")
	f.Uint64Var(&opts.Seed, "seed", 1, "seed of the generated world")
	f.StringVar(&opts.Dir, "out", "", "directory for the generated world (default: a temporary one, removed after)")
	f.DurationVar(&opts.APIDuration, "api-duration", 20*time.Second, "length of each API measurement, after a warm-up as long")
	f.IntVar(&opts.Clients, "clients", 32, "concurrent API clients, back to back")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON instead of a table")
	rootCmd.AddCommand(cmd)
}
