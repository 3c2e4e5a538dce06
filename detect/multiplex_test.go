package detect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/generate"
	"gonum.org/v1/gonum/graph"
	gcommunity "gonum.org/v1/gonum/graph/community"
)

// This file measures the choice docs/ARCHITECTURE.md argues for ("one
// weighted projection rather than gonum's multiplex Louvain"): the default
// pipeline (one projection summing every signal, then our Leiden) against
// one projected layer per signal family clustered together by gonum's
// ModularizeMultiplex, both partitions scored by the same scoring step
// (ScorePartition, which is Analyze's) and judged against the generator's
// ground truth.

// signalLayer is one layer of the multiplex: the default projection with
// every other signal's weight set to zero. Everything else (hub caps,
// rarity, the lockstep window and its three-target minimum, the sweep
// rules, MinWeight 1) stays at its default, so a layer's edges are exactly
// the pairs that one signal family alone would link.
type signalLayer struct {
	name   string
	params projection.Params
}

func signalLayers(d projection.Params) []signalLayer {
	infra, lock, block := d, d, d
	// Shared infrastructure: IPs and devices (rarity-weighted), no target
	// or sweep terms.
	infra.KindWeight[projection.Target] = 0
	infra.LockstepWeight = 0
	infra.BlockWeight = 0
	// Lockstep timing on targets: only LockstepWeight (untimed overlap,
	// KindWeight[Target], is already 0 by default).
	lock.KindWeight = [projection.NumKinds]float64{}
	lock.BlockWeight = 0
	// Block sweeps: only BlockWeight.
	block.KindWeight = [projection.NumKinds]float64{}
	block.LockstepWeight = 0
	return []signalLayer{{"infrastructure", infra}, {"lockstep", lock}, {"sweeps", block}}
}

// pipelineOutcome is one pipeline's partition, networks, quality and
// timings (wall and process CPU seconds per step).
type pipelineOutcome struct {
	name      string
	part      community.Partition
	q         float64 // Newman modularity of part on the single weighted projection
	nets      []scoring.Network
	score     generate.Score
	wall, cpu map[string]float64 // project, convert, communities, score, total
}

type multiplexComparison struct {
	accounts    int
	seed        uint64
	singleEdges int
	layerEdges  []int
	layerNames  []string
	// moved counts accounts whose community (as a set of accounts) is
	// not the same in both partitions.
	moved int
	// components is the number of connected components of the single
	// projection, and notComponent the accounts whose Leiden community
	// is not their whole component: when it is 0, any modularity
	// optimiser that keeps communities connected finds the same partition.
	components, notComponent int
	single                   pipelineOutcome
	multiplex                pipelineOutcome
}

// stopwatch records wall and CPU seconds of consecutive steps.
type stopwatch struct {
	wall, cpu map[string]float64
	t         time.Time
	c         float64
}

func newStopwatch() *stopwatch {
	return &stopwatch{wall: map[string]float64{}, cpu: map[string]float64{}, t: time.Now(), c: cpuTime()}
}

func (s *stopwatch) lap(step string) {
	now, c := time.Now(), cpuTime()
	s.wall[step] += now.Sub(s.t).Seconds()
	s.cpu[step] += c - s.c
	s.wall["total"] += now.Sub(s.t).Seconds()
	s.cpu["total"] += c - s.c
	s.t, s.c = now, c
}

// compareMultiplex runs both pipelines on b with parameters p (the
// layers are p.Projection with the other signals' weights zeroed).
func compareMultiplex(tb testing.TB, b *projection.Bipartite, truth *generate.Truth, seed uint64, p Params) *multiplexComparison {
	tb.Helper()
	n := b.NumAccounts()
	cmp := &multiplexComparison{accounts: n, seed: seed}

	// Default pipeline: one weighted projection, our Leiden, scoring.
	sw := newStopwatch()
	pr := projection.Project(b, p.Projection)
	sw.lap("project")
	part, err := community.Run(pr.Graph, p.Algorithm, p.Resolution, p.Seed)
	if err != nil {
		tb.Fatal(err)
	}
	sw.lap("communities")
	nets, err := ScorePartition(b, pr.Graph, part, p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	sw.lap("score")
	cmp.singleEdges = pr.Graph.Edges()
	cmp.single = pipelineOutcome{name: "single projection + Leiden", part: part, q: part.Modularity, nets: nets, wall: sw.wall, cpu: sw.cpu}

	// Multiplex pipeline: one projection per signal family, each turned
	// into a weighted undirected gonum graph holding every account (gonum
	// requires the same node set in every layer), gonum's multiplex
	// Louvain with layer weights 1 and resolution 1, then the same
	// scoring. Scoring gets the single projection's graph, as above, so
	// the partition is the only input that differs; the time to build
	// that graph is not charged to this pipeline.
	sw = newStopwatch()
	var layers []graph.Undirected
	var lgs []projection.Result
	for _, l := range signalLayers(p.Projection) {
		lr := projection.Project(b, l.params)
		cmp.layerNames = append(cmp.layerNames, l.name)
		cmp.layerEdges = append(cmp.layerEdges, lr.Graph.Edges())
		lgs = append(lgs, lr)
	}
	sw.lap("project")
	// Converting the CSR layers into gonum graphs is part of the price of
	// using gonum, so it is timed, on its own.
	for _, lr := range lgs {
		layers = append(layers, lr.Graph.Gonum())
	}
	sw.lap("convert")
	ul, err := gcommunity.NewUndirectedLayers(layers...)
	if err != nil {
		tb.Fatal(err)
	}
	// Equal layer weights, given explicitly: with nil weights gonum
	// v0.17.0 sizes each reduced node's per-layer weights for one layer
	// (depth(nil) is 1) and panics with an index out of range on the
	// second level of a graph of more than one layer.
	weights := make([]float64, len(layers))
	for i := range weights {
		weights[i] = 1
	}
	red := gcommunity.ModularizeMultiplex(ul, weights, nil, false, rand.NewPCG(p.Seed, 1))
	comms := red.Communities()
	sw.lap("communities")
	labels, err := labelsOfCover(n, comms)
	if err != nil {
		tb.Fatalf("gonum's multiplex partition: %v", err)
	}
	mpart := community.Partition{Labels: labels, Count: len(comms), Modularity: community.Modularity(pr.Graph, labels, p.Resolution)}
	sw.t, sw.c = time.Now(), cpuTime() // the label conversion is test bookkeeping
	mnets, err := ScorePartition(b, pr.Graph, mpart, p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	sw.lap("score")
	cmp.multiplex = pipelineOutcome{name: "per-signal layers + gonum ModularizeMultiplex", part: mpart, q: mpart.Modularity, nets: mnets, wall: sw.wall, cpu: sw.cpu}

	cmp.moved = moved(part.Labels, labels)
	wcc := community.ConnectedComponents(pr.Graph)
	cmp.components, cmp.notComponent = wcc.Count, moved(part.Labels, wcc.Labels)
	for _, o := range []*pipelineOutcome{&cmp.single, &cmp.multiplex} {
		o.score = truth.Evaluate(flaggedOf(o.nets, p.Scoring.Threshold))
	}
	return cmp
}

// labelsOfCover turns gonum communities into dense labels numbered by
// smallest member (our Partition's convention), failing unless every node
// 0..n-1 is in exactly one community and no community is empty.
func labelsOfCover(n int, comms [][]graph.Node) ([]int32, error) {
	of := make([]int32, n)
	for i := range of {
		of[i] = -1
	}
	for c, ms := range comms {
		if len(ms) == 0 {
			return nil, fmt.Errorf("community %d is empty", c)
		}
		for _, v := range ms {
			id := v.ID()
			if id < 0 || id >= int64(n) {
				return nil, fmt.Errorf("community %d holds node %d, outside 0..%d", c, id, n-1)
			}
			if of[id] >= 0 {
				return nil, fmt.Errorf("node %d is in communities %d and %d", id, of[id], c)
			}
			of[id] = int32(c)
		}
	}
	dense := make([]int32, len(comms))
	for i := range dense {
		dense[i] = -1
	}
	labels := make([]int32, n)
	next := int32(0)
	for u, c := range of {
		if c < 0 {
			return nil, fmt.Errorf("node %d is in no community", u)
		}
		if dense[c] < 0 {
			dense[c] = next
			next++
		}
		labels[u] = dense[c]
	}
	return labels, nil
}

// moved counts the nodes whose community in a is not, as a set, their
// community in b: u's communities agree exactly when every node of a[u]'s
// community is in b[u]'s and both have the same size.
func moved(a, b []int32) int {
	sizeA, sizeB, both := map[int32]int{}, map[int32]int{}, map[[2]int32]int{}
	for u := range a {
		sizeA[a[u]]++
		sizeB[b[u]]++
		both[[2]int32{a[u], b[u]}]++
	}
	n := 0
	for u := range a {
		k := both[[2]int32{a[u], b[u]}]
		if k != sizeA[a[u]] || k != sizeB[b[u]] {
			n++
		}
	}
	return n
}

// checkCover fails unless part labels all n nodes with dense labels
// 0..Count-1, each used.
func checkCover(t *testing.T, label string, n int, part community.Partition) {
	t.Helper()
	if len(part.Labels) != n {
		t.Fatalf("%s: %d labels for %d nodes", label, len(part.Labels), n)
	}
	used := make([]bool, part.Count)
	for u, c := range part.Labels {
		if c < 0 || int(c) >= part.Count {
			t.Fatalf("%s: node %d has label %d outside 0..%d", label, u, c, part.Count-1)
		}
		used[c] = true
	}
	for c, ok := range used {
		if !ok {
			t.Errorf("%s: label %d of %d unused", label, c, part.Count)
		}
	}
}

func (o *pipelineOutcome) summary() string {
	var kinds []string
	for _, k := range o.score.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s %.4f (%d/%d)", k.Kind, k.Recall, k.Found, k.Planted))
	}
	flaggedNets := 0
	for _, nw := range o.nets {
		if nw.Score >= DefaultParams().Scoring.Threshold {
			flaggedNets++
		}
	}
	return fmt.Sprintf("%s: %d communities, Q %.4f on the single projection, %d networks flagged, %d accounts flagged, precision %.4f, recall %.4f [%s], hard cases flagged %d %v; wall project %.2f s, convert to gonum %.2f s, communities %.2f s, score %.2f s, total %.2f s; CPU %.2f/%.2f/%.2f/%.2f/%.2f s",
		o.name, o.part.Count, o.q, flaggedNets, o.score.Flagged, o.score.Precision, o.score.Recall, strings.Join(kinds, ", "), o.score.HardCaseHits, o.score.HardCaseByKind,
		o.wall["project"], o.wall["convert"], o.wall["communities"], o.wall["score"], o.wall["total"], o.cpu["project"], o.cpu["convert"], o.cpu["communities"], o.cpu["score"], o.cpu["total"])
}

func (c *multiplexComparison) log(tb testing.TB) {
	tb.Helper()
	var ls []string
	for i, name := range c.layerNames {
		ls = append(ls, fmt.Sprintf("%s %d", name, c.layerEdges[i]))
	}
	tb.Logf("world %d accounts, seed %d: single projection %d edges; layers (edges) %s; load average %s", c.accounts, c.seed, c.singleEdges, strings.Join(ls, ", "), loadAvg())
	tb.Logf("accounts in a community the other partition does not have: %d; single projection has %d connected components, %d accounts in a Leiden community that is not a whole component", c.moved, c.components, c.notComponent)
	tb.Logf("%s", c.single.summary())
	tb.Logf("%s", c.multiplex.summary())
	tb.Logf("multiplex/single wall: communities %.1fx, project %.1fx, total %.1fx; CPU: communities %.1fx, project %.1fx, total %.1fx",
		c.multiplex.wall["communities"]/c.single.wall["communities"], c.multiplex.wall["project"]/c.single.wall["project"], c.multiplex.wall["total"]/c.single.wall["total"],
		c.multiplex.cpu["communities"]/c.single.cpu["communities"], c.multiplex.cpu["project"]/c.single.cpu["project"], c.multiplex.cpu["total"]/c.single.cpu["total"])
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	return strings.Join(f[:min(3, len(f))], " ")
}

// multiplexAccounts is the world size of the multiplex comparison:
// MULTIPLEX_ACCOUNTS, or def (gonum's Louvain takes minutes on 100,000
// accounts on this machine).
func multiplexAccounts(tb testing.TB, def int) int { return envInt(tb, "MULTIPLEX_ACCOUNTS", def) }

// TestMultiplexVersusSingleProjection checks, on two generated worlds,
// that both pipelines yield valid partitions of every account, that
// ScorePartition is Analyze's scoring step, and that the single weighted
// projection with Leiden detects at least as well as gonum's multiplex
// Louvain on per-signal layers: no lower precision, no lower recall for
// any planted kind, no more organic hard cases flagged. Timing is only
// logged (BenchmarkMultiplex measures it).
func TestMultiplexVersusSingleProjection(t *testing.T) {
	if testing.Short() {
		t.Skip("generates worlds and runs gonum's Louvain")
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			// 10,000 accounts hold every planted kind and hard case many
			// times over; the benchmark compares on 20,000 and more.
			mb, truth := memoryWorld(t, multiplexAccounts(t, 10000), seed)
			b := mb.Finish()
			c := compareMultiplex(t, b, truth, seed, DefaultParams())
			c.log(t)
			n := b.NumAccounts()
			checkCover(t, "single", n, c.single.part)
			checkCover(t, "multiplex", n, c.multiplex.part)

			// ScorePartition must be the scoring Analyze does, or the
			// comparison compares scorers instead of partitions.
			an, err := Analyze(context.Background(), b, DefaultParams(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(an.Partition.Labels, c.single.part.Labels) {
				t.Fatalf("Analyze's partition differs from the default pipeline's")
			}
			if !reflect.DeepEqual(an.Networks, c.single.nets) {
				t.Fatalf("ScorePartition on Analyze's partition gives %d networks, Analyze %d (or they differ)", len(c.single.nets), len(an.Networks))
			}

			s, m := c.single.score, c.multiplex.score
			if s.Precision < m.Precision {
				t.Errorf("precision: single projection %.4f < multiplex %.4f", s.Precision, m.Precision)
			}
			for i, k := range s.ByKind {
				if mk := m.ByKind[i]; k.Recall < mk.Recall {
					t.Errorf("%s recall: single projection %.4f < multiplex %.4f", k.Kind, k.Recall, mk.Recall)
				}
			}
			if s.HardCaseHits > m.HardCaseHits {
				t.Errorf("hard cases flagged: single projection %d > multiplex %d", s.HardCaseHits, m.HardCaseHits)
			}
		})
	}
}

// TestMultiplexLabelsOfCover checks the conversion of gonum communities, which the
// comparison relies on to notice a partition that is not a cover.
func TestMultiplexLabelsOfCover(t *testing.T) {
	nodes := func(ids ...int64) []graph.Node {
		out := make([]graph.Node, len(ids))
		for i, id := range ids {
			out[i] = node(id)
		}
		return out
	}
	tests := []struct {
		name    string
		n       int
		comms   [][]graph.Node
		want    []int32
		wantErr string
	}{
		{"renumbered by smallest member", 5, [][]graph.Node{nodes(4, 3), nodes(1, 0), nodes(2)}, []int32{0, 0, 1, 2, 2}, ""},
		{"node missing", 3, [][]graph.Node{nodes(0, 2)}, nil, "node 1 is in no community"},
		{"node twice", 3, [][]graph.Node{nodes(0, 1), nodes(1, 2)}, nil, "node 1 is in communities 0 and 1"},
		{"outside", 2, [][]graph.Node{nodes(0, 1, 2)}, nil, "node 2, outside"},
		{"empty community", 1, [][]graph.Node{nodes(0), nil}, nil, "community 1 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := labelsOfCover(tt.n, tt.comms)
			if wantError(t, err, tt.wantErr) {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("labels = %v, want %v", got, tt.want)
			}
		})
	}
}

type node int64

func (n node) ID() int64 { return int64(n) }

// BenchmarkMultiplex runs both pipelines once per iteration on the same
// in-memory world (MULTIPLEX_ACCOUNTS, default 20,000, seed 1; the world
// is built outside the timing) and reports both wall and CPU times, the
// ratio from that same run, modularity and quality. "default" is the
// default configuration; "minWeight=0.3" is a stress case that keeps
// pairs down to weight 0.3, so that a single shared address (rarity 0.3
// up to 27 accounts) links accounts and organic infrastructure noise
// enters the graph, which is where the two partitions start to differ:
//
//	NEO4J_URI=bolt://unused:1 go test -run '^$' -bench BenchmarkMultiplex -benchtime 1x ./detect
func BenchmarkMultiplex(b *testing.B) {
	n := multiplexAccounts(b, 20000)
	mb, truth := memoryWorld(b, n, 1)
	bp := mb.Finish()
	stress := DefaultParams()
	stress.Projection.MinWeight = 0.3
	for _, tc := range []struct {
		name string
		p    Params
	}{{"default", DefaultParams()}, {"minWeight=0.3", stress}} {
		b.Run(tc.name, func(b *testing.B) {
			b.Logf("load average before: %s", loadAvg())
			var c *multiplexComparison
			for b.Loop() {
				c = compareMultiplex(b, bp, truth, 1, tc.p)
			}
			c.log(b)
			for _, o := range []struct {
				key string
				o   *pipelineOutcome
			}{{"single", &c.single}, {"multiplex", &c.multiplex}} {
				for _, step := range []string{"project", "convert", "communities", "total"} {
					b.ReportMetric(o.o.wall[step], o.key+"-"+step+"-s")
				}
				b.ReportMetric(o.o.cpu["communities"], o.key+"-communities-cpu-s")
				b.ReportMetric(o.o.cpu["total"], o.key+"-total-cpu-s")
				b.ReportMetric(o.o.q, o.key+"-Q")
				b.ReportMetric(o.o.score.Precision, o.key+"-precision")
				b.ReportMetric(o.o.score.Recall, o.key+"-recall")
				b.ReportMetric(float64(o.o.score.HardCaseHits), o.key+"-hardcases")
			}
			b.ReportMetric(float64(c.moved), "accounts-moved")
			b.ReportMetric(float64(c.notComponent), "leiden-not-component")
			b.ReportMetric(c.multiplex.wall["communities"]/c.single.wall["communities"], "multiplex/single-communities")
			b.ReportMetric(c.multiplex.wall["total"]/c.single.wall["total"], "multiplex/single-total")
		})
	}
}
