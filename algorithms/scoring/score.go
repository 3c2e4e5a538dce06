package scoring

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/internal/parallel"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/signals"
)

// Roles of accounts in a network.
const (
	RoleCore       = "core"       // acts with the network: high score, strongly linked inside it
	RolePeripheral = "peripheral" // in the community but weakly linked or less active
	RoleVictim     = "victim"     // not a member: an account the network's lookups found
)

// Signal is one measured signal of a network.
type Signal struct {
	Name signals.Name `json:"name"`
	// Value is the measured quantity (a share, a count, a density).
	Value float64 `json:"value"`
	// Strength is Value mapped to 0..1.
	Strength float64 `json:"strength"`
	Weight   float64 `json:"weight"`
	// Contribution is this signal's share of Score; contributions sum to
	// Score.
	Contribution float64 `json:"contribution"`
	Detail       string  `json:"detail"`
}

// Member is an account's place in a network.
type Member struct {
	Account int32   `json:"-"`
	ID      string  `json:"id"`
	Role    string  `json:"role"`
	Score   float64 `json:"score"`
}

// Network is a scored community.
type Network struct {
	Community       int32         `json:"community"`
	Size            int           `json:"size"` // members, victims excluded
	Score           float64       `json:"score"`
	Signals         []Signal      `json:"signals"`
	StateLinked     bool          `json:"stateLinked"`
	StateConfidence float64       `json:"stateConfidence"`
	StateReasons    []StateReason `json:"stateReasons"`
	// StateMembers, when set, are the members the indicator rests on: a
	// ring inside the network that fired where the whole did not
	// (ringState); empty when it rests on the whole network.
	StateMembers []string `json:"stateMembers,omitempty"`
	Evidence     []string `json:"evidence"`
	// MemberCountries counts members by registered country and
	// LoginCountries logins by the country of their IP address, most
	// first (ties alphabetical), every country.
	MemberCountries []CountryCount `json:"memberCountries"`
	LoginCountries  []CountryCount `json:"loginCountries"`
	// Label names the network in one line from its strongest signals
	// (label.go).
	Label string `json:"label"`
	// Members lists core and peripheral members by decreasing score, then
	// victims (at most Config.MaxVictims).
	Members []Member `json:"members"`
}

// StateReason is one reason of the "possibly state-linked" indicator and
// where it came from: SourceConfiguration (a watch list) or
// SourceBehaviour (the network's own behaviour).
type StateReason struct {
	Text   string `json:"text"`
	Source string `json:"source"`
}

// CountryCount is a country (ISO 3166-1 alpha-2) and how many members or
// logins it has.
type CountryCount struct {
	Country string `json:"country"`
	Count   int64  `json:"count"`
}

// Input is what Score needs: the bipartite graph with its attributes, the
// similarity graph built from it, a partition of its nodes and optionally
// seed accounts analysts confirmed as fake in earlier reviews.
type Input struct {
	B      *projection.Bipartite
	G      *csr.Graph
	Labels []int32
	Count  int
	Seeds  []int32
	// PPR is SeedRank(G, Seeds): nil without seeds. The caller computes
	// it, so that an incremental run can tell whose rank moved.
	PPR []float64
	// Only, when not nil, limits scoring to the communities it marks
	// (an incremental run carries the others' networks over).
	Only []bool
	// MinScore: communities scoring below it are dropped before roles
	// and evidence are worked out (most communities are organic groups).
	MinScore float64
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int
}

// Score scores every community of at least cfg.MinSize accounts, and
// smaller ones whose sweep is strong enough alone (Config.SmallMinSwept),
// and returns the networks by decreasing score (ties: larger first, then by
// smallest member). It costs O(edges of the members · log) overall.
func Score(in Input, cfg Config) []Network {
	members := make([][]int32, in.Count)
	sizes := make([]int32, in.Count)
	for _, c := range in.Labels {
		sizes[c]++
	}
	small := smallCandidates(in, cfg, sizes)
	for u, c := range in.Labels {
		if int(sizes[c]) >= cfg.MinSize || small[c] {
			if members[c] == nil {
				members[c] = make([]int32, 0, sizes[c])
			}
			members[c] = append(members[c], int32(u))
		}
	}
	ppr := in.PPR
	seedSet := map[int32]bool{}
	for _, s := range in.Seeds {
		seedSet[s] = true
	}
	var todo []int32
	for c, ms := range members {
		if len(ms) > 0 && (in.Only == nil || in.Only[c]) {
			todo = append(todo, int32(c))
		}
	}
	// Communities are scored independently, so workers take them in turn;
	// results land in fixed slots and are sorted afterwards, which keeps
	// the output independent of scheduling.
	results := make([]*Network, len(todo))
	parallel.ForEach(len(todo), in.Workers, func() func(int) {
		return func(i int) {
			c := todo[i]
			results[i] = scoreOne(in, cfg, c, members[c], ppr, seedSet)
		}
	})
	var out []Network
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	Sort(out)
	return out
}

// Sort orders networks as Score returns them: by decreasing score, ties
// larger first, then by smallest member.
func Sort(nets []Network) {
	slices.SortFunc(nets, func(x, y Network) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Size, x.Size); c != 0 {
			return c
		}
		return cmp.Compare(x.Members[0].Account, y.Members[0].Account)
	})
}

// SeedRank is the personalized PageRank of the seeds over g that the
// seed-proximity signal reads (Input.PPR); nil without seeds.
func SeedRank(g *csr.Graph, seeds []int32) []float64 {
	if len(seeds) == 0 {
		return nil
	}
	return PersonalizedPageRank(g, seeds, 0.15, 30)
}

// facts are the measurements of one community that signals and evidence
// are computed from.
type facts struct {
	n                        int
	createdWindowDays        float64
	createdInWindow          int
	logins, dcLogins         int64
	dcIPs                    int
	dcASNs                   int // ASNs of the datacenter IPs
	topASN                   uint32
	topASOrg                 string
	topASNIPs                int
	loginCountries           []CountryCount // logins by IP country, most first
	memberCountries          []CountryCount // members by registered country, most first
	sharedIPs, sharedDevices int
	membersSharing           int
	lookups, hits            int64
	lookupsPerMember         []float64
	memberHitRatio           []float64 // per member with lookups
	addressBook              []bool    // per member: hit ratio above blindHitRatio
	perDay                   []float64
	phoneTargets             int
	sweepCovered             int
	invalidTargets           int // distinct numbers in blocks no numbering plan allows
	invalidUnswept           int // those of them outside swept groups
	bestBlock                int32
	bestBlockCountry         string // region of the best block's numbering plan
	bestBlockCovered         int
	bestBlockGroups          int // swept groups of the best block
	bestBlockMembers         int
	bestBlockInOrder         float64
	bestBlockPerNumber       float64 // members looking up each number of the block, on average
	lockstepEdges            int     // lockstep lookups of numbers that matched nobody
	targetEdges              int
	lockstepEpisodes         int // bursts of lockstep lookups, 12 h apart or more
	sharedBlocks             int // blocks covered together, none sweeping (measureSharedBlocks)
	sharedBlockLookups       int
	week                     workingWeek
	lookupSpanFrom           int64 // first and last lookup of any member (Unix seconds)
	lookupSpanTo             int64
	hourStart, hourEnd       int // circular UTC window holding 90% of activity
	hourShare                float64
	events                   int
	bestTZ                   float64
	workShare                float64
	watchTZ                  string
	watchTZShare             float64
	watchASNLogins           int64
	watchCountryLogins       int64
	dense                    denseBlock
	seedMass                 float64
	seedMembers              int
	strengthIn               []float64 // per member, weight of edges inside the community
	ownLookups               []int64
	victims                  map[int32]int
	firstLookupAgeDaysMedian float64
	activityHours            [168]float64 // lookups
	loginHours               [168]float64
	distinctTargets          int
	sweepBlocks              int // blocks with at least one swept group
	ipsUsed                  int
	devicesUsed              int
	createdMin, createdMax   int64
}

// smallCandidates marks the communities of 1 to MinSize-1 accounts that
// made at least SmallMinSwept lookups of distinct targets between them (a
// bound on the swept numbers they can have), so that only those few are
// measured: most small communities are families and friends, and a
// million-account world has hundreds of thousands of them.
func smallCandidates(in Input, cfg Config, sizes []int32) map[int32]bool {
	if cfg.SmallMinSwept <= 0 {
		return nil
	}
	targets := map[int32]int{}
	for u, c := range in.Labels {
		if sz := int(sizes[c]); sz < cfg.MinSize {
			targets[c] += len(in.B.AccountEdges(projection.Target, int32(u)))
		}
	}
	out := map[int32]bool{}
	for c, k := range targets {
		if k >= cfg.SmallMinSwept {
			out[c] = true
		}
	}
	return out
}

// scoreOne scores community c, or returns nil when it scores below
// in.MinScore, or when it is smaller than cfg.MinSize and its sweep
// covers fewer than cfg.SmallMinSwept numbers.
func scoreOne(in Input, cfg Config, c int32, ms []int32, ppr []float64, seeds map[int32]bool) *Network {
	f := measure(in, cfg, c, ms, ppr, seeds)
	if len(ms) < cfg.MinSize && (cfg.SmallMinSwept <= 0 || f.sweepCovered < cfg.SmallMinSwept) {
		return nil
	}
	sigs := measureSignals(f, cfg)
	score := combine(sigs, cfg.ContextCap)
	if score < in.MinScore {
		return nil
	}
	nw := &Network{Community: c, Size: len(ms), Score: score, Signals: sigs, MemberCountries: f.memberCountries, LoginCountries: f.loginCountries}
	nw.StateLinked, nw.StateConfidence, nw.StateReasons = stateIndicator(f, cfg, score)
	if score >= cfg.Threshold {
		// A network that fires as a whole may still owe it to one ring
		// of several: the indicator then rests on the ring, when the ring
		// alone is surer than the whole.
		if ring, conf, reasons := ringState(in, cfg, c, ms, score, nw.StateLinked); ring != nil && len(ring) < len(ms) && (!nw.StateLinked || conf > nw.StateConfidence) {
			nw.StateLinked, nw.StateConfidence, nw.StateReasons = true, conf, reasons
			for _, a := range ring {
				nw.StateMembers = append(nw.StateMembers, in.B.Accounts.Key(a))
			}
		}
	}
	nw.Evidence = evidence(in.B, f, sigs)
	if len(ms) < cfg.MinSize {
		// Say why a network below the size floor is reported at all,
		// right after the opening sentence.
		who := fmt.Sprintf("its %s together", plural(len(ms), "member"))
		if len(ms) == 1 {
			who = "this single account, linked to no other,"
		}
		why := fmt.Sprintf("Reported though smaller than %s: %s looked up %s lying in swept groups of 100 numbers, and from %s (smallMinSwept) a sweep is enumeration evidence on its own.",
			plural(cfg.MinSize, "account"), who, plural(f.sweepCovered, "distinct number"), plural(cfg.SmallMinSwept, "distinct number"))
		nw.Evidence = slices.Insert(nw.Evidence, 1, why)
	}
	sweepBlock := ""
	if f.bestBlockCovered > 0 {
		sweepBlock = in.B.Blocks.Key(f.bestBlock)
	}
	loginCountries := make([]string, len(f.loginCountries))
	for i, c := range f.loginCountries {
		loginCountries[i] = c.Country
	}
	nw.Label = label(nw.Size, sigs, sweepBlock, loginCountries)
	nw.Members = roles(in.B, f, ms, score, cfg)
	return nw
}

// contextSignals describe who and where, not what was done: shared or
// datacenter infrastructure, creation dates, countries, hours. Organic
// groups have them too (VPN users share exits in many countries, a campus
// shares one address and signs up in one week), so together they may add
// at most Config.ContextCap to a score: a network is flagged only with
// behavioural evidence (sweeps, lockstep, dense blocks, volume, hit
// ratio, confirmed neighbours).
var contextSignals = map[signals.Name]bool{SigDatacenter: true, SigNewAccounts: true, SigInfra: true, SigCountries: true, SigWorkHours: true}

// combine sets each signal's contribution and returns the score: a
// noisy-OR 1 - prod(1 - w·x) over behavioural signals, combined the same
// way with the noisy-OR of context signals capped at contextCap.
// Contributions split the score in proportion to w·x within each group.
func combine(sigs []Signal, contextCap float64) float64 {
	pb, pc := 1.0, 1.0
	var sb, sc float64
	for _, s := range sigs {
		wx := s.Weight * s.Strength
		if contextSignals[s.Name] {
			pc *= 1 - wx
			sc += wx
		} else {
			pb *= 1 - wx
			sb += wx
		}
	}
	b, c := 1-pb, min(1-pc, contextCap)
	score := 1 - (1-b)*(1-c)
	// The score splits into b and (1-b)·c; each part goes to its signals.
	for i := range sigs {
		wx := sigs[i].Weight * sigs[i].Strength
		switch {
		case contextSignals[sigs[i].Name] && sc > 0:
			sigs[i].Contribution = (1 - b) * c * wx / sc
		case !contextSignals[sigs[i].Name] && sb > 0:
			sigs[i].Contribution = b * wx / sb
		}
	}
	return score
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) || x < 0 {
		return 0
	}
	return min(x, 1)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// logRamp maps x to 0 at lo, 1 at hi, logarithmically in between.
func logRamp(x, lo, hi float64) float64 {
	if x <= lo {
		return 0
	}
	return clamp01(math.Log(x/lo) / math.Log(hi/lo))
}
