package main

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/spf13/cobra"
)

func init() {
	var (
		addr         string
		detectConfig string
		cfg          server.Config
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the GraphQL API, playground, exports and UI on one port",
		Long: `Serve Lockstep on one port:

  /graphql                          GraphQL (POST, GET, WebSocket subscriptions)
  /playground                       GraphiQL (no key needed to load; queries need one)
  /export/suspension-lists/{id}     bulk export (?format=csv|ndjson)
  /healthz                          Neo4j reachability, no key
  /                                 the web UI

Every API call needs a key: lockstep keys create --role analyst --name NAME.
--config FILE is detection's configuration (as for lockstep detect): runs
started from the API (runDetection) use it.
SIGTERM or Ctrl-C stops accepting connections and lets requests in flight
finish (up to 20 s).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			params, err := detect.LoadParams(detectConfig)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return withStore(ctx, func(conf *config.Config, st *store.Store) error {
				conf.WarnDevKey()
				if err := failOrphanedRuns(ctx, st); err != nil {
					return err
				}
				cfg.Store, cfg.HMACKey, cfg.Log = st, conf.HMACKey, slog.Default()
				cfg.Detect = detect.Runner{Store: st, Params: params}
				srv := server.New(cfg)
				return srv.Serve(ctx, addr, func(a net.Addr) {
					fmt.Fprintf(cmd.OutOrStdout(), "Lockstep API on http://%s/graphql, playground http://%s/playground, UI http://%s/\n", a, a, a)
				})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "host:port to listen on")
	f.StringVar(&detectConfig, "config", "", "YAML or JSON detection settings for runs started from the API (docs/DETECTION.md)")
	f.IntVar(&cfg.MaxDepth, "max-depth", 12, "deepest nesting an operation may have")
	f.IntVar(&cfg.MaxComplexity, "max-complexity", 100000, "highest complexity an operation may have (list fields count first x items)")
	f.IntVar(&cfg.MaxAliases, "max-aliases", 30, "most aliases an operation may use")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body", 1<<20, "largest request body in bytes")
	f.DurationVar(&cfg.Timeout, "timeout", 15*time.Second, "longest a GraphQL request may run")
	f.Float64Var(&cfg.RatePerSecond, "rate", 50, "requests per second per API key (sustained)")
	f.IntVar(&cfg.RateBurst, "burst", 100, "requests per API key allowed in a burst")
	f.Float64Var(&cfg.CostPerSecond, "cost-rate", 20000, "complexity units per second per API key (sustained)")
	f.IntVar(&cfg.CostBurst, "cost-burst", 500000, "complexity units per API key allowed in a burst (at least --max-complexity)")
	f.Float64Var(&cfg.TargetPerMin, "target-rate", 6, "targetByNumber lookups per minute per key")
	rootCmd.AddCommand(cmd)
}
