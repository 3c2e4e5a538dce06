package benchrun

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes the report as a table: each row's figure beside its
// baseline's, then the memory figures per account, relationship and
// similarity edge.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "lockstep bench: %d accounts (seed %d), %d records; %d CPUs, load %s before, %s after; %.0f s\n\n",
		r.Accounts, r.Seed, r.Records, r.CPUs, r.LoadBefore, r.LoadAfter, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tours\tbaseline\tspeedup")
	for _, row := range r.Rows {
		if row.Skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped\t-\t-\n", row.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%.2fx\n", row.Name, num(row.Figure), row.Unit, num(row.BaselineFigure), row.Speedup)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nbaselines and details (speedup: how many times better ours is than the baseline):")
	for _, row := range r.Rows {
		if row.Skipped != "" {
			fmt.Fprintf(w, "- %s: skipped: %s\n", row.Name, row.Skipped)
			continue
		}
		fmt.Fprintf(w, "- %s: baseline %s; %s\n", row.Name, row.Baseline, row.Detail)
	}
	m := r.Memory
	fmt.Fprintf(w, "\nmemory: %d nodes (%.2f an account), %d relationships read by detection (%.2f an account), %d similarity edges (%.3f an account)\n",
		m.Nodes, per(m.Nodes, m.Accounts), m.Relationships, per(m.Relationships, m.Accounts), m.SimilarityEdges, per(m.SimilarityEdges, m.Accounts))
	_, err := fmt.Fprintf(w, "Go heap of detection's read %.0f B an account, %.1f B a relationship; of the similarity graph %.1f B an edge; detection's peak RSS %.0f MiB\n",
		per(m.ReadHeapBytes, m.Accounts), per(m.ReadHeapBytes, m.Relationships), per(m.SimilarityHeapBytes, m.SimilarityEdges), m.DetectPeakRSSMiB)
	return err
}

func per(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// num prints a figure with three significant digits or more.
func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
