package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/store"
)

func init() {
	var (
		truthPath string
		runID     string
		threshold float64
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "eval --truth truth.json [--run ID] [--threshold T] [--json]",
		Short: "Measure a detection run against a generated world's ground truth",
		Long: `Eval reads the networks of the latest finished detection run (or --run ID)
from the store, takes those scored at or above the run's flagging threshold
(or --threshold), and measures them against truth.json of the world that was
ingested: precision and recall overall, recall and precision per planted
family (the ordinary kinds and, in --adversary worlds, the evasion
families), every organic hard case with an account in a flagged network
(a false positive) with those networks, and how the "possibly
state-linked" indicator did on the planted state-linked networks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if truthPath == "" {
				return fmt.Errorf("eval: --truth FILE is required")
			}
			truth, err := generate.ReadTruth(truthPath)
			if err != nil {
				return err
			}
			var th *float64
			if cmd.Flags().Changed("threshold") {
				th = &threshold
			}
			ctx := cmd.Context()
			return withStore(ctx, func(_ *config.Config, st *store.Store) error {
				rep, err := evaluate(ctx, st, truth, runID, th)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), rep)
				}
				rep.print(cmd.OutOrStdout())
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&truthPath, "truth", "", "truth.json of the ingested world (lockstep generate writes it)")
	f.StringVar(&runID, "run", "", "detection run to measure (default: the latest finished one)")
	f.Float64Var(&threshold, "threshold", 0, "flagging threshold (default: the one the run used)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON instead of tables")
	rootCmd.AddCommand(cmd)
}

// evalReport is what eval prints.
type evalReport struct {
	Run              string              `json:"run"`
	Threshold        float64             `json:"threshold"`
	NetworksFlagged  int                 `json:"networks_flagged"`
	AccountsFlagged  int                 `json:"accounts_flagged"`
	TruePositives    int                 `json:"true_positives"`
	Precision        float64             `json:"precision"`
	Recall           float64             `json:"recall"`
	Families         []evalFamily        `json:"families"`
	HardCases        []evalHardKind      `json:"hard_cases"`
	HardCaseAccounts int                 `json:"hard_case_accounts_flagged"`
	FalsePositives   []evalCase          `json:"false_positives"`
	StateLinked      generate.StateScore `json:"state_linked"`
}

// evalFamily is one planted kind's score and whether it is an evasion
// family.
type evalFamily struct {
	generate.KindScore
	Adversary bool `json:"adversary"`
}

// evalHardKind sums one kind of organic hard case.
type evalHardKind struct {
	Kind            string `json:"kind"`
	Cases           int    `json:"cases"`
	CasesFlagged    int    `json:"cases_flagged"`
	AccountsFlagged int    `json:"accounts_flagged"`
}

// evalCase is one organic hard case detection flagged.
type evalCase struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Accounts int      `json:"accounts"`
	Networks []string `json:"networks"`
}

// evaluate measures run runID ("" for the latest finished) against truth;
// threshold nil means the run's own flagging threshold. The counting is
// generate's (Truth.EvaluateNetworks, EvaluateStateLinked).
func evaluate(ctx context.Context, st *store.Store, truth *generate.Truth, runID string, threshold *float64) (*evalReport, error) {
	if runID == "" {
		id, err := st.LatestRunID(ctx)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		runID = id
	}
	th := detect.DefaultParams().Scoring.Threshold
	if threshold != nil {
		th = *threshold
	} else {
		runs, err := st.RunsByIDs(ctx, []string{runID})
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		r, ok := runs[runID]
		if !ok {
			return nil, fmt.Errorf("eval: no detection run %q", runID)
		}
		if v, ok := runThreshold(r.Params); ok {
			th = v
		}
	}
	nets, err := st.RunNetworks(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	var members, rests [][]string
	var ids []string
	var state []bool
	for _, n := range nets {
		if n.Score >= th {
			members = append(members, n.Members)
			ids = append(ids, n.ID)
			state = append(state, n.StateLinked)
			// The indicator is judged on what it rests on: a ring
			// inside the network when it names one.
			r := n.StateMembers
			if len(r) == 0 {
				r = n.Members
			}
			rests = append(rests, r)
		}
	}
	sc := truth.EvaluateNetworks(members)
	rep := &evalReport{
		Run: runID, Threshold: th, NetworksFlagged: len(members), AccountsFlagged: sc.Flagged, TruePositives: sc.TruePositives,
		Precision: sc.Precision, Recall: sc.Recall, HardCaseAccounts: sc.HardCaseHits,
		StateLinked: truth.EvaluateStateLinked(rests, state), FalsePositives: []evalCase{},
	}
	for _, k := range sc.ByKind {
		rep.Families = append(rep.Families, evalFamily{KindScore: k, Adversary: generate.IsAdversaryKind(k.Kind)})
	}
	kinds := map[string]*evalHardKind{}
	for _, h := range truth.HardCases {
		if kinds[h.Kind] == nil {
			kinds[h.Kind] = &evalHardKind{Kind: h.Kind}
			rep.HardCases = append(rep.HardCases, evalHardKind{Kind: h.Kind})
		}
		kinds[h.Kind].Cases++
	}
	for _, c := range sc.FalsePositives {
		kinds[c.Kind].CasesFlagged++
		kinds[c.Kind].AccountsFlagged += c.Accounts
		ec := evalCase{ID: c.ID, Kind: c.Kind, Accounts: c.Accounts}
		for _, i := range c.Networks {
			ec.Networks = append(ec.Networks, ids[i])
		}
		rep.FalsePositives = append(rep.FalsePositives, ec)
	}
	for i := range rep.HardCases {
		rep.HardCases[i] = *kinds[rep.HardCases[i].Kind]
	}
	return rep, nil
}

// runThreshold digs scoring.threshold out of a run's recorded parameters.
func runThreshold(params any) (float64, bool) {
	m, _ := params.(map[string]any)
	sc, _ := m["scoring"].(map[string]any)
	v, ok := sc["threshold"].(float64)
	return v, ok
}

func (r *evalReport) print(w io.Writer) {
	fmt.Fprintf(w, "run %s, threshold %.2f: %d networks flagged, %d accounts, precision %.4f, recall %.4f\n\n",
		r.Run, r.Threshold, r.NetworksFlagged, r.AccountsFlagged, r.Precision, r.Recall)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\tevasion\tplanted\tfound\trecall\tattributed\tprecision\t")
	for _, f := range r.Families {
		ev := ""
		if f.Adversary {
			ev = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.4f\t%d\t%.4f\t\n", f.Kind, ev, f.Planted, f.Found, f.Recall, f.Attributed, f.Precision)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "organic hard case\tcases\tflagged\taccounts flagged\t")
	for _, h := range r.HardCases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", h.Kind, h.Cases, h.CasesFlagged, h.AccountsFlagged)
	}
	tw.Flush()
	for _, c := range r.FalsePositives {
		fmt.Fprintf(w, "  false positive: %s (%s), %d accounts in %v\n", c.ID, c.Kind, c.Accounts, c.Networks)
	}
	s := r.StateLinked
	fmt.Fprintf(w, "\nstate-linked: %d of %d planted state-linked networks marked; %d flagged networks marked, %d of them wrongly\n",
		s.Found, s.Planted, s.Marked, s.Wrong)
}
