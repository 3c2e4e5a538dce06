// Package detect runs one detection end to end: it reads the projection
// from the store, builds the similarity graph, finds communities, scores
// them with evidence, writes networks and memberships back under a new run
// id, records the run, and reports progress as it goes.
//
// Analyze is the pure part (no store), so tests and benchmarks can run it
// on worlds built in memory; Run wraps it with the store reads and writes.
package detect

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/store"
)

// Params configures a run. Start from DefaultParams.
type Params struct {
	// Algorithm is one of community.Algorithms (default "leiden").
	Algorithm  string  `json:"algorithm"`
	Resolution float64 `json:"resolution"`
	Seed       uint64  `json:"seed"`
	// Projection and Scoring tune those steps.
	Projection projection.Params `json:"projection"`
	Scoring    scoring.Config    `json:"scoring"`
	// MinWriteScore: networks scored below this are not written (they are
	// organic groups: families, friends). Networks smaller than
	// Scoring.MinSize are scored only when their sweep alone is strong
	// (Scoring.SmallMinSwept).
	MinWriteScore float64 `json:"minWriteScore"`
	// IdentityJaccard: a network whose members overlap a network of the
	// previous run at least this much (Jaccard) keeps its key and names it
	// as predecessor, so reviews follow it across runs.
	IdentityJaccard float64 `json:"identityJaccard"`
	// NoSeeds skips reading confirmed networks as seeds.
	NoSeeds bool `json:"noSeeds"`
}

// DefaultParams returns the defaults documented in docs/DETECTION.md.
func DefaultParams() Params {
	return Params{
		Algorithm:       "leiden",
		Resolution:      1,
		Seed:            1,
		Projection:      projection.DefaultParams(),
		Scoring:         scoring.DefaultConfig(),
		MinWriteScore:   0.25,
		IdentityJaccard: 0.5,
	}
}

// Network is a scored network with its identity in the store.
type Network struct {
	ID            string `json:"id"`
	Key           string `json:"key"`
	PredecessorID string `json:"predecessorId,omitempty"`
	// Handle is the name people say ("N-0042"): the predecessor's, or a
	// new one the store allocates when the network is written.
	Handle string `json:"handle"`
	scoring.Network
}

// Stats describes a run.
type Stats struct {
	Accounts      int                `json:"accounts"`
	Edges         map[string]int     `json:"edges"`
	Projection    projection.Stats   `json:"projection"`
	Communities   int                `json:"communities"`
	Modularity    float64            `json:"modularity"`
	Scored        int                `json:"scored"`
	Written       int                `json:"written"`
	Flagged       int                `json:"flagged"`
	FlaggedAccts  int                `json:"flaggedAccounts"`
	StateLinked   int                `json:"stateLinked"`
	Seeds         int                `json:"seeds"`
	Predecessors  int                `json:"predecessors"`
	PreviousRunID string             `json:"previousRunId,omitempty"`
	Seconds       map[string]float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time (user + system) per stage: on a
	// shared machine it is the figure that carries over.
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
}

// Result is a run's outcome: the written networks, best first.
type Result struct {
	RunID    string    `json:"runId"`
	Networks []Network `json:"networks"`
	Stats    Stats     `json:"stats"`
}

// Progress receives stage names (read:accounts, read:LOOKED_UP, ...,
// project, communities, score, write) with work done and total; total 0
// means unknown.
type Progress func(stage string, done, total int)

// Analysis is the pure outcome of Analyze.
type Analysis struct {
	Bipartite *projection.Bipartite
	Graph     *projection.Result
	Partition community.Partition
	// Networks are all scored networks at or above MinWriteScore, best
	// first, without ids.
	Networks []scoring.Network
	Stats    Stats
	// What Update compares a later state's run with.
	params Params
	seeds  []int32
	ppr    []float64
}

// Analyze runs projection, community detection and scoring on b. seeds are
// dense account ids analysts confirmed (may be nil).
func Analyze(ctx context.Context, b *projection.Bipartite, p Params, seeds []int32, progress Progress) (*Analysis, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	st := Stats{Accounts: b.NumAccounts(), Edges: map[string]int{}, Seconds: map[string]float64{}, CPUSeconds: map[string]float64{}, Seeds: len(seeds)}
	for k := range projection.NumKinds {
		st.Edges[k.String()] = len(b.Edges[k])
	}
	var pr projection.Result
	if err := stage(ctx, &st, progress, "project", func() error {
		pr = projection.Project(b, p.Projection)
		st.Projection = pr.Stats
		return nil
	}); err != nil {
		return nil, err
	}
	var part community.Partition
	if err := stage(ctx, &st, progress, "communities", func() (err error) {
		part, err = community.Run(pr.Graph, p.Algorithm, p.Resolution, p.Seed)
		st.Communities, st.Modularity = part.Count, part.Modularity
		return err
	}); err != nil {
		return nil, err
	}
	an := &Analysis{Bipartite: b, Graph: &pr, Partition: part, Stats: st, params: p, seeds: seeds}
	// Scoring cannot fail; a cancellation during it is left to the
	// caller's next step (Run's write).
	_ = stage(ctx, &an.Stats, progress, "score", func() error {
		an.ppr = scoring.SeedRank(pr.Graph, seeds)
		an.Networks = scoreNetworks(scoring.Input{B: b, G: pr.Graph, Labels: part.Labels, Count: part.Count, Seeds: seeds, PPR: an.ppr, MinScore: p.MinWriteScore}, p)
		an.Stats.count(an.Networks, p)
		return nil
	})
	return an, nil
}

// scoreNetworks scores the communities of in and keeps the networks at or
// above p.MinWriteScore, best first.
func scoreNetworks(in scoring.Input, p Params) []scoring.Network {
	var kept []scoring.Network
	for _, n := range scoring.Score(in, p.Scoring) {
		if n.Score >= p.MinWriteScore {
			kept = append(kept, n)
		}
	}
	return kept
}

// count sets the statistics of the networks a run keeps.
func (st *Stats) count(nets []scoring.Network, p Params) {
	st.Scored, st.Flagged, st.FlaggedAccts, st.StateLinked = len(nets), 0, 0, 0
	for _, n := range nets {
		if n.Score >= p.Scoring.Threshold {
			st.Flagged++
			st.FlaggedAccts += n.Size
			if n.StateLinked {
				st.StateLinked++
			}
		}
	}
}

// stage runs one step of Analyze between its progress reports, records its
// wall and CPU seconds in st under name, and then returns f's error or, if
// the run was cancelled meanwhile, the context's.
func stage(ctx context.Context, st *Stats, progress Progress, name string, f func() error) error {
	t, c := time.Now(), cpuTime()
	progress(name, 0, 1)
	if err := f(); err != nil {
		return err
	}
	st.Seconds[name] = time.Since(t).Seconds()
	st.CPUSeconds[name] = cpuTime() - c
	progress(name, 1, 1)
	return ctx.Err()
}

// builder adapts projection.Builder to store.ProjectionSink.
type builder struct {
	*projection.Builder
	allowlisted map[string]bool
}

func (b *builder) Account(ref int64, id string, createdAt int64, country string, allow bool) {
	b.AccountRef(ref, id, createdAt, country)
	if allow {
		b.allowlisted[id] = true
	}
}
func (b *builder) Expect(n store.ProjectionSize) {
	b.Grow(n.Accounts, [projection.NumKinds]int{n.IPs, n.Devices, n.Targets},
		[projection.NumKinds]int{n.UsedIP, n.UsedDevice, n.LookedUp}, n.Matched)
}
func (b *builder) IP(ref int64, addr string, asn uint32, asOrg, country, kind string) {
	b.IPRef(ref, addr, asn, asOrg, country, kind)
}
func (b *builder) Device(ref int64, id string)                  { b.DeviceRef(ref, id) }
func (b *builder) Target(ref int64, block string, offset int64) { b.TargetRef(ref, block, offset) }
func (b *builder) Match(target, account int64)                  { b.MatchRef(target, account) }
func (b *builder) Edge(rel string, account, resource, first, last, count, hits int64) {
	k := projection.Target
	switch rel {
	case store.RelUsedIP:
		k = projection.IP
	case store.RelUsedDevice:
		k = projection.Device
	}
	b.EdgeRef(k, account, resource, first, last, count, hits)
}

// Run performs one detection run against st and records it. A run that
// fails is marked failed (its partial networks removed) and earlier runs
// stay as they were.
func Run(ctx context.Context, st *store.Store, p Params, progress Progress) (res *Result, err error) {
	return RunAs(ctx, st, store.NewID("run"), p, progress)
}

// RunAs is Run under a run id the caller chose (the API answers with the
// id before the run is recorded).
func RunAs(ctx context.Context, st *store.Store, runID string, p Params, progress Progress) (res *Result, err error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	params, _ := json.Marshal(p)
	started := time.Now()
	if err := st.StartRun(ctx, runID, started, string(params)); err != nil {
		return nil, err
	}
	defer heartbeat(ctx, st, runID)()
	defer func() {
		if err != nil {
			if ferr := recordFailure(ctx, st, runID, err, progress); ferr != nil {
				err = errors.Join(err, ferr)
			}
			err = fmt.Errorf("detection run %s failed: %w", runID, err)
		}
	}()

	t, c := time.Now(), cpuTime()
	bl := &builder{Builder: projection.NewBuilder(1 << 16), allowlisted: map[string]bool{}}
	path, err := st.ReadProjection(ctx, bl, func(stage string, done, total int) { progress("read:"+stage, done, total) })
	if err != nil {
		return nil, err
	}
	if err := st.SetReadPath(ctx, runID, path); err != nil {
		return nil, err
	}
	allow := bl.allowlisted
	b := bl.Finish()
	readSecs, readCPU := time.Since(t).Seconds(), cpuTime()-c

	var seeds []int32
	if !p.NoSeeds {
		ids, err := st.SeedAccounts(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if a, ok := b.Accounts.Lookup(id); ok {
				seeds = append(seeds, a)
			}
		}
	}
	an, err := Analyze(ctx, b, p, seeds, progress)
	if err != nil {
		return nil, err
	}
	an.Stats.Seconds["read"] = readSecs
	an.Stats.CPUSeconds["read"] = readCPU

	t, c = time.Now(), cpuTime()
	prevRun, prev, err := st.LatestNetworks(ctx, runID)
	if err != nil {
		return nil, err
	}
	an.Stats.PreviousRunID = prevRun
	nets := identify(runID, withoutAllowlisted(an.Networks, allow), prev, p.IdentityJaccard)
	for _, n := range nets {
		if n.PredecessorID != "" {
			an.Stats.Predecessors++
		}
	}
	rows := make([]store.NetworkRow, len(nets))
	for i, n := range nets {
		rows[i] = networkRow(n)
	}
	progress("write", 0, 0)
	if err := st.WriteNetworks(ctx, runID, rows, func(done, total int) { progress("write", done, total) }); err != nil {
		return nil, err
	}
	for i := range nets {
		nets[i].Handle = rows[i].Handle
	}
	an.Stats.Written = len(nets)
	an.Stats.Seconds["write"] = time.Since(t).Seconds()
	an.Stats.CPUSeconds["write"] = cpuTime() - c
	an.Stats.Seconds["total"] = time.Since(started).Seconds()
	stats, _ := json.Marshal(an.Stats)
	if err := st.FinishRun(ctx, runID, time.Now(), string(stats)); err != nil {
		return nil, err
	}
	return &Result{RunID: runID, Networks: nets, Stats: an.Stats}, nil
}

// RecordFailureWithin bounds how long a run that lost Neo4j waits for it
// to answer again, to record the run's failure. A Neo4j killed mid-run
// takes a while to recover its transaction log on restart.
const RecordFailureWithin = 10 * time.Minute

// recordFailure marks runID failed with cause (store.FailRun: its partial
// networks go, earlier runs stay served), even when ctx was cancelled.
// When Neo4j is unreachable (most likely why the run failed), it reports
// the stage "record-failure" and waits for Neo4j to answer again, up to
// RecordFailureWithin or until ctx ends; if this process ends first, the
// next `lockstep serve` or `lockstep detect` marks the run failed
// (FailOrphanedRuns).
func recordFailure(ctx context.Context, st *store.Store, runID string, cause error, progress Progress) error {
	fail := func() error {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return st.FailRun(fctx, runID, time.Now(), cause)
	}
	err := fail()
	if !errors.Is(err, store.ErrUnavailable) {
		return err
	}
	progress("record-failure", 0, 0)
	wctx, cancel := context.WithTimeout(ctx, RecordFailureWithin)
	defer cancel()
	if werr := st.WaitReachable(wctx); werr != nil {
		return fmt.Errorf("the run stays marked running until the next start: %w", werr)
	}
	return fail()
}

// withoutAllowlisted drops allowlisted accounts (analysts vouched for
// them) from the networks' members; they can still appear as victims.
func withoutAllowlisted(nets []scoring.Network, allow map[string]bool) []scoring.Network {
	if len(allow) == 0 {
		return nets
	}
	out := make([]scoring.Network, 0, len(nets))
	for _, n := range nets {
		ms := make([]scoring.Member, 0, len(n.Members))
		for _, m := range n.Members {
			if m.Role != scoring.RoleVictim && allow[m.ID] {
				n.Size--
				continue
			}
			ms = append(ms, m)
		}
		n.Members = ms
		if n.Size > 0 {
			out = append(out, n)
		}
	}
	return out
}

func networkRow(n Network) store.NetworkRow {
	sigs := make([]store.Signal, len(n.Signals))
	for i, s := range n.Signals {
		sigs[i] = store.Signal{Name: s.Name, Strength: s.Strength, Contribution: s.Contribution, Weight: s.Weight, Measured: s.Value, Detail: &s.Detail}
	}
	row := store.NetworkRow{
		ID: n.ID, Key: n.Key, Size: n.Size, Score: n.Score, Signals: store.SignalsJSON(sigs),
		StateLinked: n.StateLinked, StateConfidence: n.StateConfidence,
		Evidence: n.Evidence, PredecessorID: n.PredecessorID, Label: n.Label,
		MemberCountries: countryRows(n.MemberCountries), LoginCountries: countryRows(n.LoginCountries),
	}
	for _, r := range n.StateReasons {
		row.StateReasons = append(row.StateReasons, r.Text)
		row.StateReasonSources = append(row.StateReasonSources, r.Source)
	}
	ring := make(map[string]bool, len(n.StateMembers))
	for _, id := range n.StateMembers {
		ring[id] = true
	}
	for _, m := range n.Members {
		row.Members = append(row.Members, store.MemberRow{AccountID: m.ID, Score: m.Score, Role: m.Role, StateRing: ring[m.ID]})
	}
	return row
}

func countryRows(cs []scoring.CountryCount) []store.CountryCount {
	out := make([]store.CountryCount, len(cs))
	for i, c := range cs {
		out[i] = store.CountryCount{Country: c.Country, Count: int(c.Count)}
	}
	return out
}

// identify gives networks ids under runID and matches them to the
// previous run's networks: in score order, each takes the unclaimed
// previous network with the highest member Jaccard, if at least minJ, and
// inherits its key; otherwise its key is its own id. (The store gives a
// network its predecessor's handle or a new one.)
func identify(runID string, nets []scoring.Network, prev []store.PreviousNetwork, minJ float64) []Network {
	byAccount := map[string][]int{}
	for i, p := range prev {
		for _, m := range p.Members {
			byAccount[m] = append(byAccount[m], i)
		}
	}
	claimed := make([]bool, len(prev))
	out := make([]Network, len(nets))
	for i, n := range nets {
		id := fmt.Sprintf("%s-n%04d", runID, i+1)
		out[i] = Network{ID: id, Key: id, Network: n}
		overlap := map[int]int{}
		for _, m := range n.Members {
			if m.Role == scoring.RoleVictim {
				continue
			}
			for _, j := range byAccount[m.ID] {
				overlap[j]++
			}
		}
		best, bestJ := -1, 0.0
		for j, inter := range overlap {
			if claimed[j] {
				continue
			}
			jac := float64(inter) / float64(n.Size+len(prev[j].Members)-inter)
			if jac > bestJ || (jac == bestJ && best >= 0 && prev[j].ID < prev[best].ID) {
				best, bestJ = j, jac
			}
		}
		if best >= 0 && bestJ >= minJ {
			claimed[best] = true
			out[i].Key = prev[best].Key
			out[i].PredecessorID = prev[best].ID
		}
	}
	return out
}

// TopNetworks returns the first n networks, best first (they already are).
func TopNetworks(nets []Network, n int) []Network {
	out := slices.Clone(nets[:min(n, len(nets))])
	slices.SortStableFunc(out, func(x, y Network) int { return cmp.Compare(y.Score, x.Score) })
	return out
}
