package main

import (
	"context"
	"fmt"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/store"
)

func init() {
	var (
		algorithm  string
		resolution float64
		seed       uint64
		asJSON     bool
		configFile string
		top        int
	)
	cmd := &cobra.Command{
		Use:   "detect [--algorithm leiden|louvain|lpa|wcc] [--resolution R] [--seed S] [--config FILE] [--json]",
		Short: "Find coordinated networks in the loaded graph, score them and store the results",
		Long: `Detect reads accounts, IPs, devices and lookups from Neo4j, links accounts
that share rare infrastructure, look up the same targets in lockstep or sweep
the same number blocks, finds communities, scores each with evidence, and
writes the networks under a new DetectionRun (earlier runs stay). It prints
the top networks with their evidence, or the whole result with --json.

--config FILE (YAML or JSON) sets projection and scoring parameters, such as
the ASN watch list and time zones of the "possibly state-linked" indicator;
docs/DETECTION.md lists every setting and its default. Flags given on the
command line override the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := detect.LoadParams(configFile)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			if f.Changed("algorithm") || configFile == "" {
				p.Algorithm = algorithm
			}
			if f.Changed("resolution") {
				p.Resolution = resolution
			}
			if f.Changed("seed") {
				p.Seed = seed
			}
			if err := p.Validate(); err != nil {
				return fmt.Errorf("detect: %w", err)
			}
			ctx := cmd.Context()
			return withStore(ctx, func(_ *config.Config, st *store.Store) error {
				if err := failOrphanedRuns(ctx, st); err != nil {
					return err
				}
				pr := newDetectProgress(os.Stderr)
				res, err := detect.Run(ctx, st, p, pr.update)
				pr.finish()
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), res)
				}
				printSummary(cmd.OutOrStdout(), res, p, top)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&algorithm, "algorithm", "leiden", "community algorithm: "+strings.Join(community.Algorithms, ", "))
	f.Float64Var(&resolution, "resolution", 1, "modularity resolution (leiden, louvain): higher finds smaller communities")
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed and data give the same networks")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON instead of a table")
	f.StringVar(&configFile, "config", "", "YAML or JSON file with projection and scoring settings (docs/DETECTION.md)")
	f.IntVar(&top, "top", 10, "networks shown in the summary")
	rootCmd.AddCommand(cmd)
}

// detectProgress shows detection stages: a bar per stage on a terminal, a
// log line per stage otherwise.
type detectProgress struct {
	out   io.Writer
	tty   bool
	stage string
	bar   *progressbar.ProgressBar
	began time.Time
}

func newDetectProgress(out *os.File) *detectProgress {
	return &detectProgress{out: out, tty: term.IsTerminal(int(out.Fd()))}
}

func (p *detectProgress) update(stage string, done, total int) {
	if stage != p.stage {
		p.finishStage()
		p.stage, p.began = stage, time.Now()
		if p.tty {
			max := int64(total)
			if max <= 0 {
				max = -1
			}
			p.bar = progressbar.NewOptions64(max,
				progressbar.OptionSetWriter(p.out),
				progressbar.OptionSetDescription(fmt.Sprintf("%-16s", stage)),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
	}
	if p.bar != nil {
		if total > 0 && p.bar.GetMax64() != int64(total) {
			p.bar.ChangeMax64(int64(total))
		}
		_ = p.bar.Set64(int64(done))
	}
}

func (p *detectProgress) finishStage() {
	if p.stage == "" {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	slog.Info("detect stage done", "stage", p.stage, "time", time.Since(p.began).Round(time.Millisecond))
}

func (p *detectProgress) finish() { p.finishStage() }

// printSummary writes the run's statistics and a table of the top
// networks, each followed by its evidence.
func printSummary(w io.Writer, res *detect.Result, p detect.Params, top int) {
	st := res.Stats
	fmt.Fprintf(w, "Detection run %s (%s, resolution %g, seed %d)\n", res.RunID, p.Algorithm, p.Resolution, p.Seed)
	fmt.Fprintf(w, "%d accounts, %d similarity edges, %d communities (modularity %.3f); %d networks written, %d flagged (score >= %.2f) with %d accounts, %d possibly state-linked\n",
		st.Accounts, st.Projection.EdgesKept, st.Communities, st.Modularity, st.Written, st.Flagged, p.Scoring.Threshold, st.FlaggedAccts, st.StateLinked)
	if len(st.Projection.LargestHubs) > 0 {
		var hs []string
		for k, n := range st.Projection.HubsDropped {
			hs = append(hs, fmt.Sprintf("%d %s", n, k))
		}
		fmt.Fprintf(w, "Hubs dropped (shared by too many accounts to mean anything): %s\n", strings.Join(hs, ", "))
	}
	fmt.Fprintf(w, "Time: read %.1fs, project %.1fs, communities %.2fs, score %.1fs, write %.1fs, total %.1fs\n\n",
		st.Seconds["read"], st.Seconds["project"], st.Seconds["communities"], st.Seconds["score"], st.Seconds["write"], st.Seconds["total"])
	if len(res.Networks) == 0 {
		fmt.Fprintln(w, "No networks above the minimum score.")
		return
	}
	shown := detect.TopNetworks(res.Networks, top)
	printNetworks(w, shown)
	if len(res.Networks) > len(shown) {
		fmt.Fprintf(w, "\n%d more networks: lockstep detect --json, or the API.\n", len(res.Networks)-len(shown))
	}
}

// printNetworks writes a table of networks (best first) and then each
// one's evidence; lockstep demo uses it too.
func printNetworks(w io.Writer, shown []detect.Network) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNETWORK\tLABEL\tSCORE\tSIZE\tSTATE-LINKED\tTOP SIGNALS\tSINCE")
	for i, n := range shown {
		state := "-"
		if n.StateLinked {
			state = fmt.Sprintf("possibly (%.0f%%)", 100*n.StateConfidence)
		}
		since := "new"
		if n.PredecessorID != "" {
			since = "seen before"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.2f\t%d\t%s\t%s\t%s\n", i+1, n.Handle, n.Label, n.Score, n.Size, state, topSignals(n, 3), since)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for i, n := range shown {
		fmt.Fprintf(w, "%d. %s %s (score %.2f; id %s)\n", i+1, n.Handle, n.Label, n.Score, n.ID)
		for _, e := range n.Evidence {
			fmt.Fprintf(w, "   - %s\n", e)
		}
		if n.StateLinked {
			fmt.Fprintf(w, "   - Possibly state-linked (an indicator, not a verdict; confidence %.0f%%): %s.\n", 100*n.StateConfidence, strings.Join(reasonTexts(n.StateReasons), "; "))
		}
	}
}

func topSignals(n detect.Network, k int) string {
	type sc struct {
		name string
		c    float64
	}
	var best []sc
	for _, s := range n.Signals {
		if s.Contribution > 0 {
			best = append(best, sc{string(s.Name), s.Contribution})
		}
	}
	for i := range best {
		for j := i + 1; j < len(best); j++ {
			if best[j].c > best[i].c {
				best[i], best[j] = best[j], best[i]
			}
		}
	}
	var out []string
	for _, b := range best[:min(k, len(best))] {
		out = append(out, fmt.Sprintf("%s %.2f", b.name, b.c))
	}
	return strings.Join(out, ", ")
}

// failOrphanedRuns marks detection runs whose process is gone as failed,
// with the reason, so that none stays RUNNING forever; serve and detect
// do it as they start.
func failOrphanedRuns(ctx context.Context, st *store.Store) error {
	failed, err := detect.FailOrphanedRuns(ctx, st, time.Now())
	if len(failed) > 0 {
		slog.Warn("detection runs left running by a process that is gone, marked failed", "runs", failed)
	}
	return err
}

// reasonTexts writes each state-linked reason with its source.
func reasonTexts(rs []scoring.StateReason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Text + " (" + r.Source + ")"
	}
	return out
}
