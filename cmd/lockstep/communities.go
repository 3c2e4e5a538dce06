package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

func init() {
	var opts communitiesOptions
	cmd := &cobra.Command{
		Use:   "communities [--algorithm leiden|louvain|lpa|wcc] [--resolution R] [--seed S] EDGES.tsv",
		Short: "Find communities in any weighted edge list",
		Long: `Communities runs Lockstep's community detection on an edge list from
anywhere (LFR benchmarks, public network data), so that its results can be
checked against other tools.

EDGES.tsv holds one edge a line, source<TAB>target[<TAB>weight] (weight 1
when absent; lines without a tab are split on spaces), with '#' comments.
Node names are any strings. "-" reads standard input.

Standard output gets node<TAB>community for every node, in order of first
appearance, communities numbered from 0 by their first node. Standard
error gets the graph size, the number of communities, the modularity and
the timing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[0]
			in := cmd.InOrStdin()
			if opts.path != "-" {
				f, err := os.Open(opts.path)
				if err != nil {
					return fmt.Errorf("communities: %w", err)
				}
				defer f.Close()
				in = f
			}
			return runCommunities(in, cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.algorithm, "algorithm", "leiden", "one of "+strings.Join(community.Algorithms, ", "))
	cmd.Flags().Float64Var(&opts.resolution, "resolution", 1, "modularity resolution γ (leiden, louvain); higher finds smaller communities")
	cmd.Flags().Uint64Var(&opts.seed, "seed", 1, "random seed; the same seed gives the same communities")
	rootCmd.AddCommand(cmd)
}

type communitiesOptions struct {
	path       string // file name for messages; "-" is standard input
	algorithm  string
	resolution float64
	seed       uint64
}

// runCommunities reads an edge list from in, runs the algorithm and writes
// node<TAB>community lines to out and a summary to errOut.
func runCommunities(in io.Reader, out, errOut io.Writer, opts communitiesOptions) error {
	if !(opts.resolution > 0) {
		return fmt.Errorf("communities: --resolution %v: must be positive", opts.resolution)
	}
	name := opts.path
	if name == "-" {
		name = "<stdin>"
	}
	began := time.Now()
	el, err := csr.ReadEdgeList(in, name)
	if err != nil {
		return fmt.Errorf("communities: %w", err)
	}
	read := time.Since(began)
	began = time.Now()
	p, err := community.Run(el.Graph, opts.algorithm, opts.resolution, opts.seed)
	if err != nil {
		return fmt.Errorf("communities: --algorithm: %w", err)
	}
	detect := time.Since(began)

	bw := bufio.NewWriter(out)
	var buf []byte
	for id, node := range el.IDs.Names() {
		buf = append(buf[:0], node...)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, int64(p.Labels[id]), 10)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("communities: write: %w", err)
	}
	res := opts.resolution
	if opts.algorithm == "lpa" || opts.algorithm == "wcc" {
		res = 1
	}
	fmt.Fprintf(errOut, "%s: %d nodes, %d edges", name, el.Graph.Nodes(), el.Graph.Edges())
	if el.SelfLoops > 0 {
		fmt.Fprintf(errOut, " (%d self loops dropped)", el.SelfLoops)
	}
	fmt.Fprintf(errOut, "\n%s: %d communities, modularity %.6f (resolution %g, seed %d)\nread %v, detect %v\n",
		opts.algorithm, p.Count, p.Modularity, res, opts.seed, read.Round(time.Microsecond), detect.Round(time.Microsecond))
	return nil
}
