package scoring

import (
	"cmp"
	"math"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/target"
)

const day = 86400.0

func isDatacenter(kind string) bool { return kind == "datacenter" || kind == "vpn" || kind == "tor" }

// measure gathers the facts of community c with members ms (increasing),
// stage by stage: behaviour (measureBehaviour), dense block, proximity.
func measure(in Input, cfg Config, c int32, ms []int32, ppr []float64, seeds map[int32]bool) facts {
	f, local := measureBehaviour(in, cfg, ms)
	f.dense = measureDenseBlock(in.B, ms)
	measureProximity(&f, in, ms, local, ppr, seeds)
	return f
}

// measureBehaviour gathers the facts of members ms (increasing) that need
// no graph beyond the bipartite one: creation, infrastructure, lookups,
// lockstep, shared blocks, sweeps, hours. It returns them with the map
// from dense account to member index.
func measureBehaviour(in Input, cfg Config, ms []int32) (facts, map[int32]int32) {
	f := facts{n: len(ms), victims: map[int32]int{}, bestBlock: -1}
	local := make(map[int32]int32, len(ms)) // dense account -> member index
	for i, a := range ms {
		local[a] = int32(i)
	}
	measureCreation(&f, in.B, ms)
	measureInfrastructure(&f, in.B, cfg, ms)
	blocks, touches := measureLookups(&f, in.B, ms, local)
	measureLockstep(&f, cfg, touches)
	measureSharedBlocks(&f, cfg, blocks) // before measureSweeps, which reorders blocks
	measureInvalid(&f, in.B, cfg, blocks)
	measureSweeps(&f, cfg, blocks)
	if f.bestBlockCovered > 0 {
		f.bestBlockCountry = target.BlockRegion(in.B.Blocks.Key(f.bestBlock))
	}

	// Timing comes from lookups, the abuse itself; logins only when a
	// community looked nothing up.
	if f.events == 0 {
		f.activityHours = f.loginHours
	}
	activityWindows(&f, cfg)
	return f, local
}

// measureCreation: the shortest window holding 80% of the members'
// creation times, and the members' countries.
func measureCreation(f *facts, b *projection.Bipartite, ms []int32) {
	var created []int64
	for _, a := range ms {
		if t := b.AccountCreated[a]; t > 0 {
			created = append(created, t)
		}
	}
	if len(created) > 0 {
		slices.Sort(created)
		f.createdMin, f.createdMax = created[0], created[len(created)-1]
		k := max(1, int(math.Ceil(0.8*float64(len(created)))))
		best := int64(math.MaxInt64)
		for i := 0; i+k-1 < len(created); i++ {
			best = min(best, created[i+k-1]-created[i])
		}
		f.createdWindowDays = float64(best) / day
		f.createdInWindow = k
	}
	countries := map[string]int64{}
	for _, a := range ms {
		if cc := b.AccountCountry[a]; cc != "" {
			countries[cc]++
		}
	}
	f.memberCountries = byCount(countries)
}

// measureInfrastructure: logins by IP kind, shared IPs and devices, ASNs,
// watched ASNs and countries, login hours.
func measureInfrastructure(f *facts, b *projection.Bipartite, cfg Config, ms []int32) {
	ipCountry := map[string]int64{}
	dcIPs := map[int32]bool{}
	asnIPs := map[uint32]int{}
	sharing := make([]bool, len(ms))
	watchASN := map[uint32]bool{}
	for _, a := range cfg.WatchASNs {
		watchASN[a] = true
	}
	watchCC := map[string]bool{}
	for _, cc := range cfg.WatchCountries {
		watchCC[cc] = true
	}
	for _, k := range []projection.Kind{projection.IP, projection.Device} {
		users := map[int32][]int32{}
		for i, a := range ms {
			for _, e := range b.AccountEdges(k, a) {
				users[e.Resource] = append(users[e.Resource], int32(i))
				addHours(&f.loginHours, e.First, e.Last, e.Count)
				if k != projection.IP {
					continue
				}
				f.logins += int64(e.Count)
				ipCountry[b.IPCountry[e.Resource]] += int64(e.Count)
				if watchASN[b.IPASN[e.Resource]] {
					f.watchASNLogins += int64(e.Count)
				}
				if watchCC[b.IPCountry[e.Resource]] {
					f.watchCountryLogins += int64(e.Count)
				}
				if isDatacenter(b.IPKind[e.Resource]) {
					f.dcLogins += int64(e.Count)
					if !dcIPs[e.Resource] {
						dcIPs[e.Resource] = true
						asnIPs[b.IPASN[e.Resource]]++
					}
				}
			}
		}
		if k == projection.IP {
			f.ipsUsed = len(users)
		} else {
			f.devicesUsed = len(users)
		}
		for _, us := range users {
			if len(us) < 2 {
				continue
			}
			if k == projection.IP {
				f.sharedIPs++
			} else {
				f.sharedDevices++
			}
			for _, i := range us {
				sharing[i] = true
			}
		}
	}
	for _, s := range sharing {
		if s {
			f.membersSharing++
		}
	}
	f.dcIPs = len(dcIPs)
	f.dcASNs = len(asnIPs)
	for asn, k := range asnIPs {
		if k > f.topASNIPs || (k == f.topASNIPs && asn < f.topASN) {
			f.topASN, f.topASNIPs = asn, k
		}
	}
	for r := range dcIPs {
		if b.IPASN[r] == f.topASN && f.topASOrg == "" {
			f.topASOrg = b.IPASOrg[r]
		}
	}
	f.loginCountries = byCount(ipCountry)
}

// byCount lists the countries of counts with a count, most first, ties
// alphabetical; the unknown country ("") is left out.
func byCount(counts map[string]int64) []CountryCount {
	out := make([]CountryCount, 0, len(counts))
	for cc, n := range counts {
		if cc != "" && n > 0 {
			out = append(out, CountryCount{Country: cc, Count: n})
		}
	}
	slices.SortFunc(out, func(x, y CountryCount) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(x.Country, y.Country)
	})
	return out
}

// blockHit is one looked-up number of a block: its offset, when it was
// first looked up and by which member.
type blockHit struct {
	offset int32
	first  int64
	member int32
	hit    bool // it matched an account
}

// targetTouch is one member's first lookup of a target.
type targetTouch struct {
	first  int64
	target int32
	member int32
	hit    bool
}

// measureLookups: volume, velocity, hits, victims and lookup hours. It
// returns the looked-up numbers by block and the members' lookups sorted
// by target, then time (a sort, not a map of slices: at 1M accounts the
// map's growth was a third of scoring), which the sweep and lockstep
// stages read.
func measureLookups(f *facts, b *projection.Bipartite, ms []int32, local map[int32]int32) (map[int32][]blockHit, []targetTouch) {
	blocks := map[int32][]blockHit{}
	var touches []targetTouch
	f.ownLookups = make([]int64, len(ms))
	f.addressBook = make([]bool, len(ms))
	var ages []float64
	for i, a := range ms {
		es := b.AccountEdges(projection.Target, a)
		if len(es) == 0 {
			continue
		}
		var n, hits int64
		first, last := int64(math.MaxInt64), int64(math.MinInt64)
		for _, e := range es {
			n += int64(e.Count)
			hits += int64(e.Hits)
			first, last = min(first, e.First), max(last, e.Last)
			f.addLookupTimes(e)
			if blk := b.TargetBlock[e.Resource]; blk >= 0 {
				blocks[blk] = append(blocks[blk], blockHit{b.TargetOffset[e.Resource], e.First, int32(i), e.Hits > 0})
			}
			touches = append(touches, targetTouch{e.First, e.Resource, int32(i), e.Hits > 0})
			for _, v := range b.Matched(e.Resource) {
				if _, member := local[v]; !member {
					f.victims[v]++
				}
			}
		}
		f.lookups += n
		f.hits += hits
		f.ownLookups[i] = n
		f.memberHitRatio = append(f.memberHitRatio, float64(hits)/float64(max(1, n)))
		f.addressBook[i] = float64(hits) > blindHitRatio*float64(n) || !projection.Blind(n, hits)
		if c := b.AccountCreated[a]; c > 0 && first >= c {
			ages = append(ages, float64(first-c)/day)
		}
		f.lookupsPerMember = append(f.lookupsPerMember, float64(n))
		f.perDay = append(f.perDay, float64(n)/max(1, float64(last-first)/day))
		f.targetEdges += len(es)
	}
	f.firstLookupAgeDaysMedian = median(ages)
	slices.SortFunc(touches, func(x, y targetTouch) int {
		if c := cmp.Compare(x.target, y.target); c != 0 {
			return c
		}
		if c := cmp.Compare(x.first, y.first); c != 0 {
			return c
		}
		return cmp.Compare(x.member, y.member)
	})
	for i := range touches {
		if i == 0 || touches[i].target != touches[i-1].target {
			f.distinctTargets++
		}
	}
	return blocks, touches
}

// addLookupTimes adds a lookup edge's times to the hour histogram and the
// span from the first lookup to the last.
func (f *facts) addLookupTimes(e projection.Edge) {
	f.events += addHours(&f.activityHours, e.First, e.Last, e.Count)
	if f.lookupSpanFrom == 0 || e.First < f.lookupSpanFrom {
		f.lookupSpanFrom = e.First
	}
	f.lookupSpanTo = max(f.lookupSpanTo, e.Last)
}

// measureLockstep counts lookups another member made of the same target
// within cfg.LockstepWindow, and the episodes they fall in: lockstep
// lookups more than 12 hours after the previous one start a new episode.
// Calendar days would split one burst around midnight UTC into two.
func measureLockstep(f *facts, cfg Config, touches []targetTouch) {
	var lockTimes []int64
	for lo := 0; lo < len(touches); {
		hi := lo + 1
		for hi < len(touches) && touches[hi].target == touches[lo].target {
			hi++
		}
		ts := touches[lo:hi] // one target's lookups, by time
		lo = hi
		for j := range ts {
			near := (j > 0 && ts[j].first-ts[j-1].first <= cfg.LockstepWindow && ts[j-1].member != ts[j].member) ||
				(j+1 < len(ts) && ts[j+1].first-ts[j].first <= cfg.LockstepWindow && ts[j+1].member != ts[j].member)
			// A number that matched somebody is a contact, and friends
			// who sign up together look each other up at once: only
			// numbers that matched nobody count as lockstep.
			if near && !ts[j].hit {
				f.lockstepEdges++
				lockTimes = append(lockTimes, ts[j].first)
			}
		}
	}
	slices.Sort(lockTimes)
	for i, tm := range lockTimes {
		if i == 0 || tm-lockTimes[i-1] > 12*3600 {
			f.lockstepEpisodes++
		}
	}
}

// measureSweeps counts, per number block, the distinct numbers looked up in
// each group of 100 (the offsets sharing all but their last two digits),
// whichever member looked each one up and in whatever order. A group with
// at least cfg.MinGroupFill of its numbers looked up is swept; the block
// with the most numbers in swept groups is the best block. Everything this
// stage reports is a function of those per-group counts, which the API
// already shows (Account.sweep's bins): a finer measure, such as runs of
// consecutive numbers, would place single numbers inside a group and break
// the privacy rule of docs/API.md.
func measureSweeps(f *facts, cfg Config, blocks map[int32][]blockHit) {
	blockIDs := make([]int32, 0, len(blocks))
	for blk := range blocks {
		blockIDs = append(blockIDs, blk)
	}
	slices.Sort(blockIDs)
	for _, blk := range blockIDs {
		hs := blocks[blk]
		slices.SortFunc(hs, func(x, y blockHit) int {
			if c := cmp.Compare(x.offset, y.offset); c != 0 {
				return c
			}
			return cmp.Compare(x.first, y.first)
		})
		touches := len(hs)
		u := firstTouches(hs)
		f.phoneTargets += len(u)
		var swept []blockHit
		for i := 0; i < len(u); {
			j := i + 1
			for j < len(u) && u[j].offset/groupSize == u[i].offset/groupSize {
				j++
			}
			if j-i >= cfg.MinGroupFill {
				swept = append(swept, u[i:j]...)
			}
			i = j
		}
		if len(swept) == 0 {
			continue
		}
		f.sweepBlocks++
		f.sweepCovered += len(swept)
		if len(swept) > f.bestBlockCovered {
			f.bestBlock, f.bestBlockCovered = blk, len(swept)
			f.bestBlockGroups = groupsIn(swept)
			f.bestBlockPerNumber = float64(touches) / float64(len(u))
			f.bestBlockMembers, f.bestBlockInOrder = sweepWalk(swept)
		}
	}
}

// measureSharedBlocks finds the blocks the members cover together though
// none sweeps them: members whose lookups almost all find nobody (see
// blindHitRatio) looked up numbers there that matched nobody,
// outside swept groups, at least sharedBlockMembers of them, and either
// together at least cfg.SharedBlockMin distinct ones or each at least
// sharedBlockEach (as many members touching the block as the projection's
// thin links need). It counts those numbers, so the
// sweep signal and this one never count a number twice. Hits are left
// out: camouflage lookups of real accounts lower the share this is part
// of, in proportion, and cannot hide the blocks.
func measureSharedBlocks(f *facts, cfg Config, blocks map[int32][]blockHit) {
	if cfg.SharedBlockMin <= 0 || !slices.Contains(f.addressBook, false) {
		return
	}
	for _, hs := range blocks {
		// Most blocks of most communities hold too few candidate numbers:
		// count them before building any map.
		candidates := 0
		for _, h := range hs {
			if !h.hit && !f.addressBook[h.member] {
				candidates++
			}
		}
		if candidates < min(cfg.SharedBlockMin, sharedBlockMembers*sharedBlockEach) {
			continue
		}
		fill := groupFill(hs)
		candidate := func(h blockHit) bool {
			return !h.hit && !f.addressBook[h.member] && fill[h.offset/groupSize] < cfg.MinGroupFill
		}
		members := map[int32]int{}
		for _, h := range hs {
			if candidate(h) {
				members[h.member]++
			}
		}
		// A member with SharedBlockMin such numbers of the block alone
		// covers it heavily, not thinly (projection's thin touches stop
		// there too): its numbers are its own, not shared work, and a
		// support desk whose agents each scatter dozens of callers'
		// numbers over the few blocks of a small country shares nothing.
		touching := 0
		for m, k := range members {
			switch {
			case k >= cfg.SharedBlockMin:
				delete(members, m)
			case k >= sharedBlockEach:
				touching++
			}
		}
		distinct := map[int32]bool{}
		for _, h := range hs {
			if _, thin := members[h.member]; thin && candidate(h) {
				distinct[h.offset] = true
			}
		}
		if len(members) < sharedBlockMembers || (len(distinct) < cfg.SharedBlockMin && touching < sharedBlockMembers) {
			continue
		}
		f.sharedBlocks++
		f.sharedBlockLookups += len(distinct)
	}
}

// measureInvalid counts the distinct numbers the members looked up in
// blocks no numbering plan allows (target.BlockInvalid), and those of them
// outside swept groups, which the sweep signal adds to the numbers in
// swept groups: nobody's address book holds a number that cannot exist,
// so each is enumeration evidence whether or not it fills a group.
func measureInvalid(f *facts, b *projection.Bipartite, cfg Config, blocks map[int32][]blockHit) {
	for blk, hs := range blocks {
		if !target.BlockInvalid(b.Blocks.Key(blk)) {
			continue
		}
		fill := groupFill(hs)
		for _, k := range fill {
			f.invalidTargets += k
			if k < cfg.MinGroupFill {
				f.invalidUnswept += k
			}
		}
	}
}

// groupFill counts the distinct offsets of hs in each group of 100.
func groupFill(hs []blockHit) map[int32]int {
	fill := map[int32]int{}
	seen := map[int32]bool{}
	for _, h := range hs {
		if !seen[h.offset] {
			seen[h.offset] = true
			fill[h.offset/groupSize]++
		}
	}
	return fill
}

// sharedBlockMembers: a block covered by one or two accounts is theirs to
// sweep (the sweep signal's job); from three on it is shared work.
const sharedBlockMembers = 3

// blindHitRatio: a member whose lookups find accounts more often than this
// is not looking up numbers blindly (ten times what random numbers of a
// block find, 0.85% in the 2019 incident; projection's thinMaxHitRatio):
// an address book, a support desk checking callers. Its unmatched numbers
// do not make a block shared. Nor do those of a member too few of whose
// lookups are known to tell (projection.Blind: 2 hits in 21 lookups is
// as likely from an address book as from a blind enumerator).
const blindHitRatio = 0.1

// sharedBlockEach: unmatched numbers of a block one member must look up
// to touch it (projection's thinMinMisses): one can be chance.
const sharedBlockEach = 2

// groupSize is how many numbers share a group: all digits but the last two.
const groupSize = 100

// firstTouches keeps the earliest lookup of each offset of hs, which is
// sorted by offset, then time. It reuses hs's storage.
func firstTouches(hs []blockHit) []blockHit {
	u := hs[:0]
	for _, h := range hs {
		if len(u) > 0 && u[len(u)-1].offset == h.offset {
			continue
		}
		u = append(u, h)
	}
	return u
}

// groupsIn counts the distinct groups of hs, which is sorted by offset.
func groupsIn(hs []blockHit) int {
	n := 0
	for i, h := range hs {
		if i == 0 || h.offset/groupSize != hs[i-1].offset/groupSize {
			n++
		}
	}
	return n
}

// sweepWalk returns how many members took part in a block's swept groups
// and, of the time-successive lookups that change group, the share that
// moves up the block: a walk in order gives 1, a shuffled list about 0.5.
// Steps are compared by group, not by number, for the reason measureSweeps
// gives. It reorders swept by time.
func sweepWalk(swept []blockHit) (members int, inOrder float64) {
	mem := map[int32]bool{}
	for _, h := range swept {
		mem[h.member] = true
	}
	slices.SortFunc(swept, func(x, y blockHit) int {
		if c := cmp.Compare(x.first, y.first); c != 0 {
			return c
		}
		return cmp.Compare(x.offset/groupSize, y.offset/groupSize)
	})
	up, moves := 0, 0
	for i := 1; i < len(swept); i++ {
		g, prev := swept[i].offset/groupSize, swept[i-1].offset/groupSize
		if g != prev {
			moves++
			if g > prev {
				up++
			}
		}
	}
	if moves == 0 {
		return len(mem), 1
	}
	return len(mem), float64(up) / float64(moves)
}

// measureDenseBlock runs FRAUDAR over members × (IPs, devices, targets),
// with columns weighted by how many accounts touched them overall.
func measureDenseBlock(b *projection.Bipartite, ms []int32) denseBlock {
	var edges [][2]int32
	var colW []float64
	for _, k := range []projection.Kind{projection.IP, projection.Device, projection.Target} {
		cols := map[int32]int32{}
		for i, a := range ms {
			for _, e := range b.AccountEdges(k, a) {
				col, ok := cols[e.Resource]
				if !ok {
					col = int32(len(colW))
					cols[e.Resource] = col
					colW = append(colW, 1/math.Log(float64(b.ResourceDegree(k, e.Resource))+5))
				}
				edges = append(edges, [2]int32{int32(i), col})
			}
		}
	}
	return fraudar(len(ms), len(colW), edges, colW)
}

// measureProximity: each member's strength inside the community, and the
// community's proximity to confirmed accounts (seeded PageRank mass and
// seed members).
func measureProximity(f *facts, in Input, ms []int32, local map[int32]int32, ppr []float64, seeds map[int32]bool) {
	f.strengthIn = make([]float64, len(ms))
	for i, a := range ms {
		nbr, wt := in.G.Row(a)
		for j, v := range nbr {
			if _, ok := local[v]; ok {
				f.strengthIn[i] += wt[j]
			}
		}
		if ppr != nil {
			f.seedMass += ppr[a]
		}
		if seeds[a] {
			f.seedMembers++
		}
	}
}

// addHours adds an edge's activity to a weekly UTC hour histogram (hour 0
// is Monday 00:00): its first and last time, the count split between them
// when it happened more than once. It returns the count added.
func addHours(hist *[168]float64, first, last int64, count int32) int {
	if first <= 0 {
		return 0
	}
	// The Unix epoch was a Thursday: shift by 72 hours to start on Monday.
	hw := func(t int64) int { return int(((t/3600)%168 + 168 + 72) % 168) }
	c := max(1, count)
	if c == 1 || last == first {
		hist[hw(first)] += float64(c)
		return int(c)
	}
	hist[hw(first)] += float64(c) / 2
	hist[hw(last)] += float64(c) / 2
	return int(c)
}

// activityWindows finds the shortest circular window of UTC hours holding
// 90% of activity, and the time zone whose weekday working hours hold the
// most of it.
func activityWindows(f *facts, cfg Config) {
	var byHour [24]float64
	var total float64
	for h, v := range f.activityHours {
		byHour[h%24] += v
		total += v
	}
	if total == 0 {
		return
	}
	bestLen := 25
	for start := range 24 {
		var s float64
		for l := 1; l <= 24; l++ {
			s += byHour[(start+l-1)%24]
			if s >= 0.9*total {
				if l < bestLen {
					bestLen, f.hourStart, f.hourEnd, f.hourShare = l, start, (start+l)%24, s/total
				}
				break
			}
		}
	}
	work := func(offset float64) float64 {
		var s float64
		for h, v := range f.activityHours {
			if lh := localHourOfWeek(h, offset); lh/24 < 5 && lh%24 >= cfg.WorkStart && lh%24 < cfg.WorkEnd {
				s += v
			}
		}
		return s / total
	}
	for off := -12.0; off <= 14; off += 0.5 {
		if w := work(off); w > f.workShare {
			f.workShare, f.bestTZ = w, off
		}
	}
	f.week = bestWorkingWeek(f.activityHours, total, cfg)
	for _, tz := range cfg.WatchTimeZones {
		if w := work(tz.Offset); w > f.watchTZShare {
			f.watchTZShare, f.watchTZ = w, tz.Name
		}
	}
}

// localHourOfWeek is UTC hour-of-week h seen from a zone offset hours
// from UTC, half-hour zones rounded down: one rule for the working-hours
// share and the working week, so both judge the same local hours.
func localHourOfWeek(h int, offset float64) int {
	return ((h+int(math.Floor(offset)))%168 + 168) % 168
}

// weekends are the weekly rest days working weeks keep around the world:
// Saturday-Sunday in most of it, Friday-Saturday across much of the Middle
// East and North Africa, Friday alone or Thursday-Friday in Iran and
// Afghanistan. Days are counted from Monday (0).
var weekends = []struct {
	name string
	days []int
}{
	{"Saturday-Sunday", []int{5, 6}},
	{"Friday-Saturday", []int{4, 5}},
	{"Friday", []int{4}},
	{"Thursday-Friday", []int{3, 4}},
}

// workingWeek is the time zone whose working hours hold the most
// activity, the weekend whose days hold the least of it there, and the
// shares that say how clearly.
type workingWeek struct {
	offset float64
	// hours: share of activity in the zone's working hours, any day.
	hours   float64
	weekend string
	// rest and satSunRest: share of activity a day on the weekend's days
	// and on Saturday-Sunday, local time (1/7 each when spread evenly).
	rest, satSunRest float64
	// days: days of the week (local) holding at least 1% of activity;
	// active marks them (Monday 0).
	days   int
	active [7]bool
}

func bestWorkingWeek(hist [168]float64, total float64, cfg Config) workingWeek {
	var best workingWeek
	for off := -12.0; off <= 14; off += 0.5 {
		var s float64
		for h, v := range hist {
			if lh := localHourOfWeek(h, off); lh%24 >= cfg.WorkStart && lh%24 < cfg.WorkEnd {
				s += v
			}
		}
		if s/total > best.hours+1e-9 {
			best = workingWeek{offset: off, hours: s / total}
		}
	}
	var byDay [7]float64
	for h, v := range hist {
		byDay[localHourOfWeek(h, best.offset)/24] += v / total
	}
	for i, d := range byDay {
		if d >= 0.01 {
			best.days++
			best.active[i] = true
		}
	}
	rest := func(days []int) float64 {
		var s float64
		for _, d := range days {
			s += byDay[d]
		}
		return s / float64(len(days))
	}
	best.satSunRest = rest(weekends[0].days)
	best.weekend, best.rest = weekends[0].name, best.satSunRest
	for _, we := range weekends[1:] {
		if r := rest(we.days); r < best.rest-1e-9 {
			best.weekend, best.rest = we.name, r
		}
	}
	return best
}
