package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/generate"
)

func init() {
	var (
		cfg   generate.Config
		out   string
		watch []uint
	)
	cmd := &cobra.Command{
		Use:   "generate --accounts N --seed S --out DIR [--format ndjson|csv]",
		Short: "Write a synthetic world with planted networks and its ground truth",
		Long: `Generate writes a deterministic synthetic world into DIR: events.ndjson
(or accounts.csv, logins.csv and lookups.csv with --format csv) and
truth.json, which lists every planted network and the organic hard cases.
With --adversary the world also holds evasion families, networks built to
dodge one detection signal each.
docs/GENERATOR.md describes the world and the truth schema.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("generate: --out DIR is required")
			}
			cfg.WatchASNs = make([]uint32, len(watch))
			for i, a := range watch {
				cfg.WatchASNs[i] = uint32(a)
			}
			began := time.Now()
			cfg.Progress = generateProgress()
			t, err := generate.ToDir(cfg, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d accounts (%d planted in %d networks), %d logins, %d lookups in %s\n",
				out, t.Stats.Accounts, t.Stats.PlantedAccounts, len(t.Networks), t.Stats.Logins, t.Stats.Lookups,
				time.Since(began).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Accounts, "accounts", 20000, fmt.Sprintf("number of accounts (%d to %d)", generate.MinAccounts, generate.MaxAccounts))
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed: the same seed and flags give the same bytes")
	f.StringVarP(&out, "out", "o", "", "output directory (created if missing)")
	f.StringVar(&cfg.Format, "format", generate.FormatNDJSON, "ndjson or csv")
	f.IntVar(&cfg.Days, "days", 60, "length of the observation window in days (30 to 366)")
	f.Float64Var(&cfg.PlantedFraction, "planted-fraction", 0.03, "share of accounts in planted networks (negative: none)")
	f.Float64Var(&cfg.StateLinkedShare, "state-linked-share", 0.3, "share of enumeration and multi-country networks with a state flavour (negative: none)")
	defaultWatch := make([]uint, len(generate.DefaultWatchASNs))
	for i, a := range generate.DefaultWatchASNs {
		defaultWatch[i] = uint(a)
	}
	f.UintSliceVar(&watch, "watch-asn", defaultWatch, "hosting ASN on the state watch list (repeatable)")
	f.StringVar(&cfg.StateCountry, "state-country", "IR", "country of the watch-listed ASNs")
	f.IntVar(&cfg.StateUTCOffsetMinutes, "state-utc-offset", 210, "time zone of state-flavoured operators, minutes east of UTC")
	f.BoolVar(&cfg.Adversary, "adversary", false, "also plant the evasion families (thin_spread, hit_camouflage, small_sweep, one_burst, invalid_range, merged_state, residential_rotation, slow_drip; docs/GENERATOR.md)")
	rootCmd.AddCommand(cmd)
}

// generateProgress logs each stage as it begins and the write stage every
// ten days: a 1,000,000-account world takes tens of seconds.
func generateProgress() func(stage string, done, total int) {
	current := ""
	return func(stage string, done, total int) {
		if stage != current || (stage == generate.StageWrite && done%10 == 0 && done < total) {
			current = stage
			slog.Info("generate", "stage", stage, "done", done, "total", total)
		}
	}
}
