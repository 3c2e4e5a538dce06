package detect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/signals"
)

// planter adds hand-built evasion families (issue 19) to a generated
// world, each member on its own residential address and device unless the
// family shares infrastructure, so that only the behaviour the family
// keeps can link and flag it.
type planter struct {
	t     *testing.T
	mb    *MemoryBuilder
	rng   *rand.Rand
	start time.Time
	// families maps a family name to its instances' member ids.
	families map[string][][]string
	next     int
}

func (p *planter) add(r events.Record) {
	if err := p.mb.Add(&r); err != nil {
		p.t.Fatal(err)
	}
}

// accounts creates n accounts of family fam, created within a day, each
// logging in from its own address and device (shared, when given, instead).
func (p *planter) accounts(fam string, n int, sharedIPs []string, ipKind string, asn uint32) []string {
	p.next++
	created := p.start.Add(time.Duration(5+p.next) * 24 * time.Hour)
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%d-%d", fam, p.next, i)
		ids = append(ids, id)
		p.add(events.Record{Kind: events.KindAccount, ID: id, CreatedAt: events.NewTime(created.Add(time.Duration(i) * time.Minute)), Country: "US"})
		ip, dev := fmt.Sprintf("100.%d.%d.%d", 64+p.next, i/200, 1+i%200), id+"-device"
		if len(sharedIPs) > 0 {
			ip, dev = sharedIPs[i%len(sharedIPs)], fmt.Sprintf("%s-%d-device", fam, p.next)
		}
		for d := range 3 {
			p.add(events.Record{Kind: events.KindLogin, Account: id, Time: events.NewTime(created.Add(time.Duration(d)*24*time.Hour + 2*time.Hour)),
				IP: ip, IPASN: asn, IPCountry: "US", IPKind: ipKind, Device: dev})
		}
	}
	p.families[fam] = append(p.families[fam], ids)
	return ids
}

func (p *planter) lookup(acc string, at time.Time, number, matched string) {
	p.add(events.Record{Kind: events.KindLookup, Account: acc, Time: events.NewTime(at), Target: number, TargetKind: "phone", Region: "US", Matched: matched})
}

// workTime is a random instant of day d (counted from when fam's accounts
// were made) in 09:00-17:00 UTC.
func (p *planter) workTime(d int) time.Time {
	day := p.start.Add(time.Duration(5+p.next+1+d) * 24 * time.Hour).Truncate(24 * time.Hour)
	return day.Add(9*time.Hour + time.Duration(p.rng.Int64N(int64(8*time.Hour))))
}

// thinSpread: members on their own addresses each look up perBlock
// random, non-consecutive numbers in each of a random 60% of the family's
// blocks, with no hits: under every per-block bar (25 numbers, runs of 5,
// 20 numbers per group of 100), linked only by how their block sets
// overlap.
func (p *planter) thinSpread(area, members, nBlocks, perBlock int) {
	ids := p.accounts("thin_spread", members, nil, "residential", 64500)
	var blocks []string
	for b := range nBlocks {
		blocks = append(blocks, fmt.Sprintf("+1%03d%03d", area, 200+7*b))
	}
	for _, id := range ids {
		for _, bi := range p.rng.Perm(len(blocks))[:nBlocks*3/5] {
			for _, off := range p.spacedOffsets(perBlock) {
				p.lookup(id, p.workTime(p.rng.IntN(5)), fmt.Sprintf("%s%04d", blocks[bi], off), "")
			}
		}
	}
}

// spacedOffsets returns n distinct offsets of a block, no two adjacent.
func (p *planter) spacedOffsets(n int) []int {
	var out []int
	for len(out) < n {
		o := p.rng.IntN(10000)
		if !slices.ContainsFunc(out, func(x int) bool { return x >= o-1 && x <= o+1 }) {
			out = append(out, o)
		}
	}
	return out
}

// hitCamouflage: members on their own addresses split a walk of 2,400
// consecutive numbers of one block, and mix in lookups of real accounts'
// numbers of the same block, hits, as hitPct% of what each looks up: above
// 10% every swept block's hit ratio is beyond what a sweep used to allow.
func (p *planter) hitCamouflage(block string, hitPct int) {
	ids := p.accounts("hit_camouflage", 12, nil, "residential", 64501)
	for n := range 2400 {
		id := ids[n%len(ids)]
		p.lookup(id, p.workTime(n/600), fmt.Sprintf("%s%04d", block, n), "")
	}
	for i := range 2400 * hitPct / (100 - hitPct) {
		id := ids[i%len(ids)]
		p.lookup(id, p.workTime(i%4), fmt.Sprintf("%s%04d", block, 5000+p.rng.IntN(5000)), fmt.Sprintf("camouflage-victim-%d-%d", p.next, p.rng.IntN(400)))
	}
}

// oneBurst: members on their own addresses look up the same numbers,
// scattered over a thousand blocks, within one burst, each number by
// every member within ten minutes: lockstep in one wave.
func (p *planter) oneBurst(area, members, numbers int) {
	ids := p.accounts("one_burst", members, nil, "residential", 64502)
	t0 := p.workTime(1)
	for n := range numbers {
		number := fmt.Sprintf("+1%03d%03d%04d", area, 200+p.rng.IntN(800), p.rng.IntN(10000))
		at := t0.Add(time.Duration(n) * 4 * time.Second)
		for _, id := range ids {
			p.lookup(id, at.Add(time.Duration(p.rng.IntN(600))*time.Second), number, "")
		}
	}
}

// smallSweep: k accounts on one address and device (none shared when k
// is 1) split a walk of 3,000 consecutive numbers over three days.
func (p *planter) smallSweep(k int, block string) {
	var shared []string
	if k > 1 {
		shared = []string{fmt.Sprintf("198.51.100.%d", 10+p.next)}
	}
	ids := p.accounts(fmt.Sprintf("small_sweep_%d", k), k, shared, "residential", 64503)
	for n := range 3000 {
		p.lookup(ids[n%k], p.workTime(n/1000), fmt.Sprintf("%s%04d", block, n), "")
	}
}

// TestAdversaryFamilies plants, in generated worlds, every evasion family
// of issue 19 that detection can see without the generator's help (thin
// spread, hit-ratio camouflage, one burst, sweeps by 1 to 4 accounts) and
// checks each family's recall (every member flagged), that precision over
// all flagged accounts stays at 0.98 or more, and that no organic hard
// case is flagged.
func TestAdversaryFamilies(t *testing.T) {
	if testing.Short() {
		t.Skip("generates worlds")
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			cfg := generate.DefaultConfig(5000, seed)
			mb := NewMemoryBuilder(testKey)
			truth, err := generate.Stream(cfg, func(r *events.Record) error { return mb.Add(r) })
			if err != nil {
				t.Fatal(err)
			}
			p := &planter{t: t, mb: mb, rng: rand.New(rand.NewPCG(seed, 19)), start: cfg.Start, families: map[string][][]string{}}
			// Each family three times, from a thin or small version to a
			// large one, so no one setting carries the result.
			for i, v := range []struct{ thinMembers, thinBlocks, perBlock, hitPct, burstMembers, burstNumbers int }{
				{8, 12, 3, 10, 6, 800},
				{16, 24, 4, 25, 10, 1500},
				{30, 40, 5, 40, 20, 4000},
			} {
				p.thinSpread(712+i, v.thinMembers, v.thinBlocks, v.perBlock)
				p.hitCamouflage(fmt.Sprintf("+1715%03d", 300+i), v.hitPct)
				p.oneBurst(716+i, v.burstMembers, v.burstNumbers)
			}
			for k := 1; k <= 4; k++ {
				p.smallSweep(k, fmt.Sprintf("+1719%03d", 400+k))
			}
			an, err := Analyze(context.Background(), mb.Finish(), DefaultParams(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			threshold := DefaultParams().Scoring.Threshold
			flagged := flaggedOf(an.Networks, threshold)
			ours := map[string]bool{}
			names := make([]string, 0, len(p.families))
			for fam := range p.families {
				names = append(names, fam)
			}
			slices.Sort(names)
			for _, fam := range names {
				found, total := 0, 0
				for _, ids := range p.families[fam] {
					for _, id := range ids {
						ours[id] = true
						total++
						if flagged[id] {
							found++
						}
					}
				}
				recall := float64(found) / float64(total)
				t.Logf("%-14s recall %.3f (%d of %d)", fam, recall, found, total)
				if recall < 0.9 {
					t.Errorf("%s: recall %.3f below 0.90", fam, recall)
					logFamily(t, an.Networks, p.families[fam])
				}
			}
			// A single enumerator is the core of its network of one.
			for _, ids := range p.families["small_sweep_1"] {
				if r := roleOf(an.Networks, ids[0]); r != scoring.RoleCore {
					t.Errorf("single enumerator %s has role %q, want %q", ids[0], r, scoring.RoleCore)
				}
			}
			// One burst must be seen as lockstep, not only through volume.
			for _, ids := range p.families["one_burst"] {
				if ls := signalOf(an.Networks, ids[0], scoring.SigLockstep); ls < 0.5 {
					t.Errorf("one-burst ring %s: lockstep strength %.2f, want at least 0.5", ids[0], ls)
				}
			}
			organic := map[string]bool{}
			for id := range flagged {
				if !ours[id] {
					organic[id] = true
				}
			}
			sc := truth.Evaluate(organic)
			fp := sc.Flagged - sc.TruePositives
			precision := 1 - float64(fp)/float64(len(flagged))
			t.Logf("flagged %d, of them %d neither planted by the generator nor here: precision %.4f; generator's families recall %.4f", len(flagged), fp, precision, sc.Recall)
			if precision < 0.98 {
				t.Errorf("precision %.4f below 0.98", precision)
			}
			if sc.Recall < 0.98 {
				t.Errorf("the generator's planted families: recall %.4f below 0.98", sc.Recall)
			}
			if sc.HardCaseHits > 0 {
				t.Errorf("%d organic hard-case accounts flagged: %v", sc.HardCaseHits, sc.HardCaseByKind)
			}
		})
	}
}

// logFamily logs the networks holding members of a missed family.
func logFamily(t *testing.T, nets []scoring.Network, instances [][]string) {
	in := map[string]bool{}
	for _, ids := range instances {
		for _, id := range ids {
			in[id] = true
		}
	}
	for _, n := range nets {
		k := 0
		for _, m := range n.Members {
			if in[m.ID] && m.Role != scoring.RoleVictim {
				k++
			}
		}
		if k == 0 {
			continue
		}
		var sig []string
		for _, s := range n.Signals {
			if s.Strength > 0 {
				sig = append(sig, fmt.Sprintf("%s=%.2f", s.Name, s.Strength))
			}
		}
		t.Logf("  network of %d (%d of the family), score %.3f: %s | %s", n.Size, k, n.Score, strings.Join(sig, " "), n.Evidence[0])
	}
}

// signalOf returns the strength of signal name in the network holding
// account id as a member, or -1 when no network does.
func signalOf(nets []scoring.Network, id string, name signals.Name) float64 {
	for _, n := range nets {
		for _, m := range n.Members {
			if m.ID != id || m.Role == scoring.RoleVictim {
				continue
			}
			for _, s := range n.Signals {
				if s.Name == name {
					return s.Strength
				}
			}
		}
	}
	return -1
}

// TestAdversaryWorlds runs detection on worlds the generator builds with
// its evasion families (generate.Config.Adversary) and harder innocents,
// and holds issue 19's targets (checkAdversaryWorld). QUALITY_SEEDS and
// QUALITY_ACCOUNTS change the worlds.
func TestAdversaryWorlds(t *testing.T) {
	if testing.Short() {
		t.Skip("generates worlds")
	}
	for _, seed := range qualitySeeds(t) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { checkAdversaryWorld(t, qualityAccounts(t), seed) })
	}
}

// TestAdversarySmallWorlds holds issue 19's targets on the 4,000-account
// adversarial worlds where they once failed: a country there has only a
// few number blocks, so a support desk's or a marketing team's callers
// pile dozens into each (and, few people being on the platform, mostly
// miss), an address book's contacts fall inside blocks a sweep covered,
// and a thin spread's members touch only a few blocks each. Seeds 9, 10,
// 14, 16 and 20 flagged organic hard cases, 15 and 34 too once thin
// touches counted from 2 misses; 5, 8, 9, 14, 17 and 18 missed thin
// spread members; 33 marked a state-flavoured ring merged with an
// ordinary one state-linked resting on both (the ring's own mark, surer,
// now carries it), and 21 a small sweep of 2 accounts on one phone whose
// days skipped a Thursday and Friday (a week now takes minSize members).
func TestAdversarySmallWorlds(t *testing.T) {
	if testing.Short() {
		t.Skip("generates worlds")
	}
	for _, seed := range []uint64{5, 8, 9, 10, 14, 15, 16, 17, 18, 20, 21, 33, 34} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { checkAdversaryWorld(t, 4000, seed) })
	}
}

// checkAdversaryWorld analyses an adversarial world of accounts accounts
// and holds issue 19's targets: each evasion family's recall at least
// 0.90, the ordinary families' at least 0.98, precision over every flagged
// account at least 0.98, no organic hard case flagged, and "possibly
// state-linked" from behaviour only on networks mostly state-flavoured.
func checkAdversaryWorld(t *testing.T, accounts int, seed uint64) {
	truth, p, an := analyzeAdversaryWorld(t, accounts, seed, nil)
	sc := truth.Evaluate(flaggedOf(an.Networks, p.Scoring.Threshold))
	t.Logf("flagged %d, precision %.4f, recall %.4f, hard-case accounts flagged %d %v", sc.Flagged, sc.Precision, sc.Recall, sc.HardCaseHits, sc.HardCaseByKind)
	if sc.Precision < 0.98 {
		t.Errorf("precision %.4f below 0.98", sc.Precision)
	}
	for _, k := range sc.ByKind {
		want := 0.98
		if generate.IsAdversaryKind(k.Kind) {
			want = 0.90
		}
		t.Logf("%-20s recall %.4f (%d of %d)", k.Kind, k.Recall, k.Found, k.Planted)
		if k.Planted > 0 && k.Recall < want {
			t.Errorf("%s: recall %.4f below %.2f", k.Kind, k.Recall, want)
		}
	}
	if sc.HardCaseHits > 0 {
		t.Errorf("%d organic hard-case accounts flagged: %v", sc.HardCaseHits, sc.HardCaseByKind)
	}
	// With no watch list, "possibly state-linked" rests on behaviour:
	// never on members (the network's, or the ring's inside it) of which
	// state-flavoured rings make less than half (a merged pair may be
	// half).
	planted, fired := truth.Planted(), 0
	for i := range an.Networks {
		if an.Networks[i].StateLinked {
			fired++
			checkStateRests(t, planted, &an.Networks[i])
		}
	}
	t.Logf("%d networks possibly state-linked from behaviour", fired)
	if t.Failed() && testing.Verbose() {
		debugNetworks(t, truth, an.Networks)
	}
}

// analyzeAdversaryWorld generates an adversarial world in memory and runs
// detection on it with the default parameters (no watch list); see, when
// set, sees every record too.
func analyzeAdversaryWorld(t *testing.T, accounts int, seed uint64, see func(*events.Record)) (*generate.Truth, Params, *Analysis) {
	t.Helper()
	cfg := generate.DefaultConfig(accounts, seed)
	cfg.Adversary = true
	mb := NewMemoryBuilder(testKey)
	truth, err := generate.Stream(cfg, func(r *events.Record) error {
		if see != nil {
			see(r)
		}
		return mb.Add(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	an, err := Analyze(context.Background(), mb.Finish(), p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return truth, p, an
}

// roleOf returns the role of account id in the first network holding it.
func roleOf(nets []scoring.Network, id string) string {
	for _, n := range nets {
		for _, m := range n.Members {
			if m.ID == id {
				return m.Role
			}
		}
	}
	return ""
}
