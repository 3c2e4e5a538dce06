package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/bulkload"
	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/ingest/ipinfo"
	"github.com/lockstep-dev/lockstep/store"
)

func init() {
	var (
		format, rejects string
		strict, resume  bool
		bulk            bool
		ipDBs           []string
		writers         int
	)
	cmd := &cobra.Command{
		Use:   "ingest FILE... | -",
		Short: "Load account, login and lookup records (NDJSON or CSV) into Neo4j",
		Long: `Load raw records into the graph (formats: docs/FORMATS.md; how loads are
made idempotent and resumable: docs/INGEST.md).

Every input is validated record by record; bad records go to a rejects file
(NDJSON: file, line, field, reason) and the good ones are stored. The exit
status is 0 when everything was stored, 2 when some records were rejected,
1 on any other failure. Loading the same file again changes nothing; after
a crash of this process or of Neo4j, run the same command with --resume.

--bulk fills an EMPTY managed database offline with Neo4j's batch importer
(the managed server is stopped meanwhile and started again after): many
times faster for a first load, same graph and batch markers as a plain load,
so later plain loads add to it. It refuses a database that holds any node,
and a server named by NEO4J_URI. All or nothing: after a failure or a kill,
run the same --bulk command again.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			cfg.WarnDevKey()
			tuneGC()
			ctx := cmd.Context()
			var db *ipinfo.DB
			if len(ipDBs) > 0 {
				if db, err = ipinfo.Open(ipDBs...); err != nil {
					return err
				}
				defer db.Close()
			}
			opts := ingest.Options{
				Format:      format,
				Strict:      strict,
				Resume:      resume,
				RejectsPath: rejects,
				HMACKey:     cfg.HMACKey,
				IPDB:        db,
				StateDir:    cfg.Home,
				Writers:     writers,
				Progress:    os.Stderr,
			}
			var sum ingest.Summary
			if bulk {
				if cfg.Neo4jURI != "" {
					return fmt.Errorf("ingest --bulk: NEO4J_URI is set (%s), but the bulk path writes the store files of Lockstep's managed Neo4j offline and cannot reach another server; unset NEO4J_URI, or load with plain `lockstep ingest`", cfg.Neo4jURI)
				}
				if resume {
					return errors.New("ingest --bulk: --resume does not apply (a bulk load is all or nothing: run it again)")
				}
				var st bulkload.Stats
				// LOCKSTEP_BULK_KEEP=1 keeps the spill and importer input files
				// (LOCKSTEP_HOME/ingest/bulk-tmp) for inspection.
				sum, st, err = bulkload.Load(ctx, args, opts, bulkload.Options{Home: cfg.Home, KeepFiles: os.Getenv("LOCKSTEP_BULK_KEEP") == "1"})
				fmt.Fprintln(cmd.OutOrStdout(), st)
				if errors.Is(err, bulkload.ErrNotEmpty) {
					return err
				}
				if err != nil && !errors.Is(err, ingest.ErrStrict) {
					return fmt.Errorf("ingest --bulk: %w (the database is left empty or replaced by the next --bulk: run the same command again)", err)
				}
			} else {
				if cfg.Neo4jURI == "" && bulkload.Interrupted(cfg.Home) {
					return fmt.Errorf("ingest: a bulk load of %s was interrupted while installing its database (%s): run `lockstep ingest --bulk` with the same files again before adding to it", cfg.Home, bulkload.StatePath(cfg.Home))
				}
				// ingest's own error is reported below, with the summary.
				if cerr := useStore(ctx, cfg, func(s *store.Store) error {
					sum, err = ingest.Run(ctx, s, args, opts)
					return nil
				}); cerr != nil {
					return cerr
				}
			}
			slog.Info("ingest done", "files", sum.Files, "read", sum.Records, "stored", sum.Stored, "already_stored", sum.Skipped,
				"rejected", sum.Rejected, "time", sum.Elapsed.Round(1e6), "records_per_s", int64(sum.Rate()), "nodes", sum.Nodes, "edges", sum.Edges)
			fmt.Fprintln(cmd.OutOrStdout(), sum)
			for _, r := range sum.Rejects {
				fmt.Fprintf(cmd.OutOrStdout(), "rejected records: %s\n", r)
			}
			if err != nil {
				if errors.Is(err, ingest.ErrStrict) {
					return &exitError{code: 2, err: err}
				}
				return fmt.Errorf("ingest: %w (committed batches are kept; rerun with --resume to continue)", err)
			}
			if sum.Rejected > 0 {
				return &exitError{code: 2, err: fmt.Errorf("ingest: %d records rejected", sum.Rejected)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "input format: ndjson or csv (default: by extension, else by content)")
	f.StringVar(&rejects, "rejects", "", "rejects file (default: FILE.rejects.ndjson beside each input; stdin: $LOCKSTEP_HOME/rejects/)")
	f.BoolVar(&strict, "strict", false, "stop at the first bad record; nothing of its batch is written")
	f.BoolVar(&resume, "resume", false, "continue each file after its last committed batch (checkpoint in $LOCKSTEP_HOME/ingest)")
	f.StringArrayVar(&ipDBs, "ip-db", nil, "MaxMind-format database (.mmdb) of IP country, ASN and kind; repeatable, first wins (docs/FORMATS.md)")
	f.IntVar(&writers, "writers", 0, "concurrent write transactions (default 2)")
	f.BoolVar(&bulk, "bulk", false, "first load into an EMPTY managed database with Neo4j's offline importer (docs/INGEST.md); importer heap: $LOCKSTEP_IMPORT_HEAP (default 1g)")
	rootCmd.AddCommand(cmd)
}

// tuneGC trades memory for CPU: ingest allocates many short-lived strings,
// and at Go's default GOGC the collector takes a third of the parse time.
// The soft memory limit keeps the process well under 2 GiB whatever the
// input. GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1536 << 20)
	}
}
