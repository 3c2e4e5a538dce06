package detect

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/signals"
	"github.com/lockstep-dev/lockstep/target"
)

// observed is what a network's members did, counted here straight from
// the bipartite graph, apart from scoring's own measurements: what the
// numbers of evidence must agree with.
type observed struct {
	members, distinctTargets, phoneNumbers, targetEdges int
	lookups, hits, logins                               int64
	ipsUsed, devicesUsed, sharedIPs, sharedDevices      int
	dcIPs, victims                                      int
	medianLookups                                       float64
	loginsByCountry                                     map[string]int64
	blocks                                              map[string]bool // masked labels of looked-up blocks
	asns                                                map[uint32]bool
}

func observe(b *projection.Bipartite, n scoring.Network) observed {
	o := observed{loginsByCountry: map[string]int64{}, blocks: map[string]bool{}, asns: map[uint32]bool{}}
	members := map[int32]bool{}
	for _, m := range n.Members {
		if m.Role != scoring.RoleVictim {
			members[m.Account] = true
		}
	}
	o.members = len(members)
	targets, phones, users := map[int32]bool{}, map[int32]bool{}, [projection.NumKinds]map[int32]int{}
	victims := map[int32]bool{}
	dc := map[int32]bool{}
	var perMember []float64
	for k := range projection.NumKinds {
		users[k] = map[int32]int{}
	}
	for a := range members {
		var own int64
		for k := range projection.NumKinds {
			for _, e := range b.AccountEdges(k, a) {
				users[k][e.Resource]++
				switch k {
				case projection.IP:
					o.logins += int64(e.Count)
					if cc := b.IPCountry[e.Resource]; cc != "" {
						o.loginsByCountry[cc] += int64(e.Count)
					}
					if kind := b.IPKind[e.Resource]; kind == "datacenter" || kind == "vpn" || kind == "tor" {
						dc[e.Resource] = true
						o.asns[b.IPASN[e.Resource]] = true
					}
				case projection.Target:
					own += int64(e.Count)
					o.hits += int64(e.Hits)
					o.targetEdges++
					targets[e.Resource] = true
					if blk := b.TargetBlock[e.Resource]; blk >= 0 {
						phones[e.Resource] = true
						o.blocks[target.BlockLabel(b.Blocks.Key(blk))] = true
					}
					for _, v := range b.Matched(e.Resource) {
						if !members[v] {
							victims[v] = true
						}
					}
				}
			}
		}
		if own > 0 {
			perMember = append(perMember, float64(own))
			o.lookups += own
		}
	}
	slices.Sort(perMember)
	if l := len(perMember); l > 0 {
		o.medianLookups = (perMember[(l-1)/2] + perMember[l/2]) / 2
	}
	o.distinctTargets, o.phoneNumbers, o.dcIPs, o.victims = len(targets), len(phones), len(dc), len(victims)
	o.ipsUsed, o.devicesUsed = len(users[projection.IP]), len(users[projection.Device])
	for _, c := range users[projection.IP] {
		if c >= 2 {
			o.sharedIPs++
		}
	}
	for _, c := range users[projection.Device] {
		if c >= 2 {
			o.sharedDevices++
		}
	}
	return o
}

// A number as evidence writes it: 18,240 or 0.85.
const numRE = `(\d[\d,]*(?:\.\d+)?)`

// claim is a phrase of evidence that quotes numbers with their units, and
// the check of those numbers; what a sentence says outside every claim
// may hold no number.
type claim struct {
	re    *regexp.Regexp
	check func(t *testing.T, x []float64, words []string)
}

// TestEvidenceNumbersMatchTheirSignals generates the smallest world that
// has every kind of planted network, runs detection on it and reads every
// evidence sentence: each number must name its unit, and what it says must
// agree with the members' activity counted here from the graph or with the
// measure of the signal whose sentence quotes it; a signal's strength word
// must follow its contribution.
func TestEvidenceNumbersMatchTheirSignals(t *testing.T) {
	mb, truth := memoryWorld(t, generate.MinAccounts, 5)
	kinds := map[string]bool{}
	for _, n := range truth.Networks {
		kinds[n.Kind] = true
	}
	if len(kinds) < 4 {
		t.Fatalf("world has network kinds %v, want all four", kinds)
	}
	b := mb.Finish()
	p := DefaultParams()
	an, err := Analyze(context.Background(), b, p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.Scoring
	titles := map[string]signals.Name{}
	for _, n := range signals.All {
		titles[n.Title()] = n
	}
	sentences, numbers := 0, 0
	for ni, n := range an.Networks {
		o := observe(b, n)
		sig := map[signals.Name]scoring.Signal{}
		for _, s := range n.Signals {
			sig[s.Name] = s
		}
		var current *scoring.Signal // the signal whose sentence is read
		near := func(t *testing.T, what string, got, want, tol float64) {
			t.Helper()
			if math.Abs(got-want) > tol {
				t.Errorf("%s: evidence says %v, want %v", what, got, want)
			}
		}
		eq := func(t *testing.T, what string, got float64, want int64) {
			t.Helper()
			near(t, what, got, float64(want), 0)
		}
		atMost := func(t *testing.T, what string, got float64, max int64) {
			t.Helper()
			if got > float64(max) {
				t.Errorf("%s: evidence says %v, more than the %d there are", what, got, max)
			}
		}
		measured := func(t *testing.T, name signals.Name, got, scale, tol float64) {
			t.Helper()
			if current == nil || current.Name != name {
				t.Errorf("a %s measure quoted outside its signal's sentence", name)
				return
			}
			near(t, string(name)+" measure", got, current.Value*scale, tol)
		}
		claims := []claim{
			// The opening sentence.
			{regexp.MustCompile(`^` + numRE + ` accounts?\b`), func(t *testing.T, x []float64, _ []string) { eq(t, "accounts", x[0], int64(o.members)) }},
			{regexp.MustCompile(numRE + ` of ` + numRE + ` accounts created within (?:` + numRE + ` (hour|day)s?|an hour)`), func(t *testing.T, x []float64, w []string) {
				atMost(t, "accounts created together", x[0], int64(x[1]))
				eq(t, "accounts", x[1], int64(o.members))
				if len(x) > 2 {
					days := sig[signals.NewAccounts].Value
					if w[4] == "hour" {
						near(t, "creation window (hours)", x[2], math.Ceil(days*24), 0)
					} else if current == nil {
						near(t, "creation window (days, rounded up)", x[2], math.Ceil(days), 0)
					} else {
						measured(t, signals.NewAccounts, x[2], 1, 0.05)
					}
				}
			}},
			{regexp.MustCompile(`^` + numRE + ` accounts created within (?:` + numRE + ` (hour|day)s?|an hour)`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "accounts", x[0], int64(o.members))
			}},
			{regexp.MustCompile(`logged in from ` + numRE + ` datacenter/VPN IPs? \(` + numRE + ` of ` + numRE + ` IPs? in AS (\d+)`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "datacenter/VPN IPs", x[0], int64(o.dcIPs))
				atMost(t, "IPs in the top AS", x[1], int64(o.dcIPs))
				eq(t, "datacenter/VPN IPs", x[2], int64(o.dcIPs))
				if !o.asns[uint32(x[3])] {
					t.Errorf("AS %v: no member logged in from a datacenter IP of it", x[3])
				}
			}},
			{regexp.MustCompile(`logged in from ` + numRE + ` datacenter/VPN IPs?`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "datacenter/VPN IPs", x[0], int64(o.dcIPs))
			}},
			{regexp.MustCompile(`share ` + numRE + ` IPs? (?:and|or) ` + numRE + ` devices?`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "shared IPs", x[0], int64(o.sharedIPs))
				eq(t, "shared devices", x[1], int64(o.sharedDevices))
			}},
			{regexp.MustCompile(`looked up ` + numRE + ` distinct numbers? in ` + numRE + ` swept groups? of ` + numRE + ` numbers in (\+[\d -]+x+)`), func(t *testing.T, x []float64, w []string) {
				atMost(t, "distinct numbers of the best block", x[0], int64(o.phoneNumbers))
				if x[0] < x[1]*float64(cfg.MinGroupFill) || x[0] > x[1]*100 {
					t.Errorf("%v distinct numbers cannot fill %v swept groups", x[0], x[1])
				}
				eq(t, "group size", x[2], 100)
				if !o.blocks[w[4]] {
					t.Errorf("block %q: no member looked up a number of it", w[4])
				}
			}},
			{regexp.MustCompile(`each number by ` + numRE + ` members on average`), func(t *testing.T, x []float64, _ []string) {
				if x[0] < 1 || x[0] > float64(o.members) {
					t.Errorf("each number by %v members, with %d members", x[0], o.members)
				}
			}},
			{regexp.MustCompile(`split among ` + numRE + ` members`), func(t *testing.T, x []float64, _ []string) { atMost(t, "members", x[0], int64(o.members)) }},
			{regexp.MustCompile(`made ` + numRE + ` lookups? of ` + numRE + ` distinct targets?`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "lookups", x[0], o.lookups)
				eq(t, "distinct targets", x[1], int64(o.distinctTargets))
			}},
			{regexp.MustCompile(`between (\d\d):00 and (\d\d):00 UTC`), func(t *testing.T, x []float64, _ []string) {
				if x[0] > 23 || x[1] > 23 {
					t.Errorf("hours %v-%v", x[0], x[1])
				}
			}},
			// Signal sentences.
			{regexp.MustCompile(`\((?:strong|moderate|weak), \+` + numRE + ` to the score\)`), func(t *testing.T, x []float64, _ []string) {
				near(t, "contribution", x[0], current.Contribution, 0.005)
			}},
			{regexp.MustCompile(numRE + ` of ` + numRE + ` distinct numbers looked up lie in groups of ` + numRE + ` numbers with at least ` + numRE + ` numbers looked up`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "distinct numbers looked up", x[1], int64(o.phoneNumbers))
				measured(t, signals.Sweep, x[0]/math.Max(1, x[1]), 1, 1e-9)
				eq(t, "group size", x[2], 100)
				eq(t, "group fill", x[3], int64(cfg.MinGroupFill))
			}},
			{regexp.MustCompile(numRE + ` of ` + numRE + ` first lookups? of a target by a member, of numbers that matched nobody, came within ` + numRE + ` (minute|hour)s? of another member's, in ` + numRE + ` bursts?`), func(t *testing.T, x []float64, w []string) {
				eq(t, "first lookups of a target", x[1], int64(o.targetEdges))
				measured(t, signals.Lockstep, x[0]/math.Max(1, x[1]), 1, 1e-9)
				window := x[2] * 60
				if w[4] == "hour" {
					window *= 60
				}
				eq(t, "lockstep window (seconds)", window, cfg.LockstepWindow)
				if x[0] > 0 && x[3] < 1 {
					t.Errorf("%v lockstep lookups in %v bursts", x[0], x[3])
				}
			}},
			{regexp.MustCompile(`densest block: ` + numRE + ` accounts? × ` + numRE + ` resources?, weighted density ` + numRE), func(t *testing.T, x []float64, _ []string) {
				atMost(t, "accounts of the dense block", x[0], int64(o.members))
				atMost(t, "resources of the dense block", x[1], int64(o.ipsUsed+o.devicesUsed+o.distinctTargets))
				measured(t, signals.DenseBlock, x[2], 1, 0.005)
			}},
			{regexp.MustCompile(numRE + `% of ` + numRE + ` logins? from datacenter, VPN or Tor addresses`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "logins", x[1], o.logins)
				measured(t, signals.Datacenter, x[0], 100, 0.5)
			}},
			{regexp.MustCompile(`the median member was ` + numRE + ` days old at its first lookup`), func(t *testing.T, x []float64, _ []string) {}},
			{regexp.MustCompile(`the median member's lookups matched an account ` + numRE + `% of the time`), func(t *testing.T, x []float64, _ []string) {
				measured(t, signals.HitRatio, x[0], 100, 0.005)
			}},
			{regexp.MustCompile(numRE + ` of ` + numRE + ` distinct numbers looked up matched nobody and lie, outside swept groups, in ` + numRE + ` number blocks? where at least ` + numRE + ` members, none an address book, together looked up at least ` + numRE + ` such distinct numbers or each at least ` + numRE + ` such distinct numbers`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "distinct numbers looked up", x[1], int64(o.phoneNumbers))
				measured(t, signals.SharedBlock, x[0]/math.Max(1, x[1]), 1, 1e-9)
				eq(t, "members covering a block", x[3], 3)
				eq(t, "shared block minimum", x[4], int64(cfg.SharedBlockMin))
				eq(t, "shared block minimum of a member", x[5], 3)
			}},
			{regexp.MustCompile(numRE + `% of ` + numRE + ` lookups? matched an account`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "lookups", x[1], o.lookups)
				near(t, "hit ratio (%)", x[0], 100*float64(o.hits)/math.Max(1, float64(o.lookups)), 0.005)
			}},
			{regexp.MustCompile(`the median member made ` + numRE + ` lookups(?: a day between its first and last lookup)?`), func(t *testing.T, x []float64, w []string) {
				if strings.HasSuffix(w[0], "last lookup") {
					measured(t, signals.Velocity, x[0], 1, 0.5)
				} else {
					near(t, "median lookups of a member", x[0], o.medianLookups, 0.5)
				}
			}},
			{regexp.MustCompile(numRE + ` of ` + numRE + ` members share`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "members", x[1], int64(o.members))
				measured(t, signals.SharedInfra, x[0]/x[1], 1, 1e-9)
			}},
			{regexp.MustCompile(`logins from ` + numRE + ` countr(?:y|ies)`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "login countries", x[0], int64(len(o.loginsByCountry)))
			}},
			// The countries sentence: all of them, or a top-k that says so.
			{regexp.MustCompile(`Logins come from ` + numRE + ` countries(?:; the top ` + numRE + ` by logins)?: ((?:[A-Z]{2} \([\d,]+ logins?\)(?:, )?)+)\.$`), func(t *testing.T, x []float64, w []string) {
				eq(t, "login countries", x[0], int64(len(o.loginsByCountry)))
				listed := regexp.MustCompile(`[A-Z]{2} \(([\d,]+)`).FindAllStringSubmatch(w[len(w)-1], -1)
				eq(t, "countries listed", float64(len(listed)), int64(min(scoring.TopCountries, len(o.loginsByCountry))))
				if len(x) > 1 && (x[1] != float64(len(listed)) || len(listed) >= len(o.loginsByCountry)) {
					t.Errorf("says top %v of %d countries, lists %d", x[1], len(o.loginsByCountry), len(listed))
				}
				if len(x) == 1 && len(listed) < len(o.loginsByCountry) {
					t.Errorf("lists %d of %d countries without saying it is a top-k", len(listed), len(o.loginsByCountry))
				}
				for i := 1; i < len(listed); i++ {
					if a, b := o.loginsByCountry[listed[i-1][0][:2]], o.loginsByCountry[listed[i][0][:2]]; a < b {
						t.Errorf("countries not by logins: %v", listed)
					}
				}
			}},
			{regexp.MustCompile(`([A-Z]{2}) \(` + numRE + ` logins?\)`), func(t *testing.T, x []float64, w []string) {
				eq(t, w[1]+" logins", x[0], o.loginsByCountry[w[1]])
			}},
			{regexp.MustCompile(numRE + `% of (?:lookups|logins) in weekday (\d\d):00-(\d\d):00 at UTC[+-](\d\d):(\d\d)`), func(t *testing.T, x []float64, _ []string) {
				measured(t, signals.WorkHours, x[0], 100, 0.5)
				eq(t, "working day start", x[1], int64(cfg.WorkStart))
				eq(t, "working day end", x[2], int64(cfg.WorkEnd))
			}},
			{regexp.MustCompile(numRE + `% of the confirmed seeds' personalized PageRank mass; ` + numRE + ` confirmed members?`), func(t *testing.T, x []float64, _ []string) {
				measured(t, signals.Seeds, x[0], 100, 0.05)
				atMost(t, "confirmed members", x[1], int64(o.members))
			}},
			{regexp.MustCompile(`Their lookups found ` + numRE + ` existing accounts?`), func(t *testing.T, x []float64, _ []string) {
				eq(t, "victims", x[0], int64(o.victims))
			}},
		}
		title := regexp.MustCompile(`^(.+) \((strong|moderate|weak), \+` + numRE + ` to the score\): `)
		anyNum := regexp.MustCompile(`\d`)
		for si, s := range n.Evidence {
			sentences++
			t.Run(fmt.Sprintf("network %d sentence %d", ni, si), func(t *testing.T) {
				defer func() {
					if t.Failed() {
						t.Logf("sentence: %q", s)
					}
				}()
				current = nil
				if m := title.FindStringSubmatch(s); m != nil {
					name, ok := titles[m[1]]
					if !ok {
						t.Fatalf("%q is no signal's title", m[1])
					}
					sg := sig[name]
					current = &sg
					if want := scoring.ContributionWord(sg.Contribution); m[2] != want {
						t.Errorf("%s called %s, but its contribution %.3f is %s", name, m[2], sg.Contribution, want)
					}
				}
				covered := []byte(s)
				for _, c := range claims {
					for _, idx := range c.re.FindAllStringSubmatchIndex(s, -1) {
						var x []float64
						words := []string{s[idx[0]:idx[1]]}
						for g := 1; 2*g < len(idx); g++ {
							if idx[2*g] < 0 {
								continue
							}
							part := s[idx[2*g]:idx[2*g+1]]
							words = append(words, part)
							if v, err := strconv.ParseFloat(strings.ReplaceAll(part, ",", ""), 64); err == nil {
								x = append(x, v)
							}
						}
						c.check(t, x, words)
						for i := idx[0]; i < idx[1]; i++ {
							covered[i] = ' '
						}
						numbers += len(x)
					}
				}
				if rest := string(covered); anyNum.MatchString(rest) {
					t.Errorf("a number without a unit this test knows: %q", rest)
				}
			})
		}
	}
	if sentences < 20 || numbers < 100 {
		t.Fatalf("read %d sentences, %d numbers: too few to say anything", sentences, numbers)
	}
	t.Logf("%d networks, %d sentences, %d numbers checked", len(an.Networks), sentences, numbers)
}
