package generate

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Kinds of evasion families, planted only with Config.Adversary. Each is
// built to remove the signal that carried one ordinary kind, so a detector
// that leans on one signal per kind misses it.
const (
	// KindThinSpread: no shared address or device; each member looks up a
	// few random, non-consecutive numbers in each of many blocks the
	// members share. No runs, no hits, few numbers per block.
	KindThinSpread = "thin_spread"
	// KindHitCamouflage: a datacenter enumeration ring whose lookups mix in
	// a few percent of numbers that belong to real accounts.
	KindHitCamouflage = "hit_camouflage"
	// KindSmallSweep: one to four accounts on one address and device
	// sweeping thousands of consecutive numbers (below any size floor).
	KindSmallSweep = "small_sweep"
	// KindOneBurst: a lockstep ring whose lookups all fall in one burst.
	KindOneBurst = "one_burst"
	// KindInvalidRange: a ring enumerating numbers no numbering plan
	// allows (unallocated ranges of a real calling code).
	KindInvalidRange = "invalid_range"
	// KindMergedState: a state-flavoured ring (foreign working week,
	// hosting ASNs not on any watch list, another country's numbering plan,
	// members in several countries) next to an ordinary ring that shares a
	// few of its addresses and sweeps the blocks beside it, so community
	// detection may merge the two. Both rings have this kind; truth's
	// partner field pairs them and only one is state-linked.
	KindMergedState = "merged_state"
	// KindResidentialRotation: a sweeping ring that logs in through
	// residential proxies, a fresh address every session, never one
	// address twice, and one device per member.
	KindResidentialRotation = "residential_rotation"
	// KindSlowDrip: an enumeration spread over four to eight weeks at a
	// few dozen lookups per member per active day, from aged accounts on
	// their own home addresses.
	KindSlowDrip = "slow_drip"
)

// adversaryKinds in planting order (part of the deterministic output).
var adversaryKinds = []string{
	KindThinSpread, KindHitCamouflage, KindSmallSweep, KindOneBurst,
	KindInvalidRange, KindMergedState, KindResidentialRotation, KindSlowDrip,
}

// AdversaryKinds returns the evasion families Config.Adversary plants.
func AdversaryKinds() []string { return slices.Clone(adversaryKinds) }

// PlantedKinds returns the ordinary planted kinds every world has.
func PlantedKinds() []string {
	out := make([]string, len(plantedKinds))
	for i, pk := range plantedKinds {
		out[i] = pk.kind
	}
	return out
}

// IsAdversaryKind reports whether kind is an evasion family.
func IsAdversaryKind(kind string) bool { return slices.Contains(adversaryKinds, kind) }

// targetInvalidBase marks a lookup event of a number in an unallocated
// range: c = targetInvalidBase + country index, a = index into that
// country's invalid space.
const targetInvalidBase = 0x80

func isInvalidCode(c uint8) bool {
	return c >= targetInvalidBase && int(c) < targetInvalidBase+len(countries)
}

// planAdversary adds the evasion families: each kind gets about 0.4% of
// the accounts (at least 12), cut into networks like the ordinary kinds;
// small sweeps are groups of one to four, always with a lone enumerator
// and a group of four among them.
func (w *world) planAdversary(protos []proto) []proto {
	if !w.cfg.Adversary {
		return protos
	}
	budget := max(12, int(math.Round(float64(w.cfg.Accounts)*0.004)))
	add := func(kind string, size int, setup func(*network)) *network {
		net := w.newNetwork(kind, len(w.nets))
		if setup != nil {
			setup(net)
		}
		w.nets = append(w.nets, net)
		for range size {
			t, c := w.memberBirth(net)
			protos = append(protos, proto{t: t, seq: int32(len(protos)), c: uint8(c), role: uint16(len(w.nets))})
		}
		return net
	}
	for _, kind := range adversaryKinds {
		switch kind {
		case KindSmallSweep:
			sizes := []int{1, 4}
			for left := budget / 4; left > 0; left-- {
				sizes = append(sizes, w.between(1, 4))
			}
			for _, n := range sizes {
				add(kind, n, nil)
			}
		case KindMergedState:
			for _, n := range w.splitSizes(budget, min(120, max(10, budget/2))) {
				state := add(kind, max(10, n*3/5), w.stateFlavour)
				// The ordinary partner works the same days (give or take
				// two) on the same country's numbers.
				add(kind, max(10, n-n*3/5), func(o *network) {
					o.partnerOf, state.partnerOf = len(w.nets)-1, len(w.nets)
					o.targetCountry = state.targetCountry
					o.activeFrom = max(2, state.activeFrom+w.between(-2, 2))
					o.activeTo = min(w.cfg.Days, max(o.activeFrom+3, state.activeTo+w.between(-2, 2)))
					o.birthFrom = w.start + int64(o.activeFrom-2)*day
				})
			}
		default:
			for _, n := range w.splitSizes(budget, min(200, max(10, budget/2))) {
				add(kind, n, nil)
			}
		}
	}
	return protos
}

// adversaryCalendar draws the operator and calendar of an evasion family;
// newNetwork calls it for those kinds.
func (w *world) adversaryCalendar(net *network) {
	days := w.cfg.Days
	fresh := func(activeDays int) {
		d0 := w.rng.IntN(days - activeDays - 2)
		net.birthFrom, net.birthSpan = w.start+int64(d0)*day, 3*day
		net.activeFrom = d0 + 2
		net.activeTo = min(days, net.activeFrom+activeDays)
	}
	aged := func(activeDays int) {
		net.activeFrom = w.rng.IntN(days - activeDays + 1)
		net.activeTo = net.activeFrom + activeDays
		net.birthFrom, net.birthSpan = w.start-int64(w.between(30, 200))*day, 20*day
	}
	net.targetCountry = w.weightedCountry()
	switch net.kind {
	case KindThinSpread:
		aged(min(days, w.between(14, 40)))
	case KindHitCamouflage, KindInvalidRange:
		fresh(w.between(4, 15))
		net.homeCountry = w.weightedCountry()
	case KindSmallSweep:
		fresh(w.between(1, 5))
		net.homeCountry = w.weightedCountry()
		net.sched.allDay = w.chance(0.5)
	case KindOneBurst:
		net.activeFrom = w.between(7, days-2)
		net.activeTo = net.activeFrom + 1
		net.birthFrom, net.birthSpan = w.start+int64(net.activeFrom-21)*day, 14*day
	case KindMergedState:
		fresh(w.between(6, 15))
	case KindResidentialRotation:
		fresh(w.between(5, 20))
	case KindSlowDrip:
		aged(min(days, w.between(28, 56)))
		net.homeCountry = net.targetCountry
	}
}

// stateFlavour turns the first ring of a merged pair into a state one:
// the state operator's working week, members in several countries, and a
// numbering plan other than the state's own.
func (w *world) stateFlavour(net *network) {
	net.state = true
	net.sched = schedule{utcOffset: w.cfg.StateUTCOffsetMinutes, from: 8, to: 17, weekend: []time.Weekday{time.Friday}}
	if sc := countryIndex(w.cfg.StateCountry); sc >= 0 && net.targetCountry == sc {
		net.targetCountry = (sc + 1) % len(countries)
	}
}

// plantAdversary writes one evasion family's events.
func (w *world) plantAdversary(net *network) {
	switch net.kind {
	case KindThinSpread:
		w.thinSpread(net)
	case KindHitCamouflage:
		w.hitCamouflage(net)
	case KindSmallSweep:
		w.smallSweep(net)
	case KindOneBurst:
		w.oneBurst(net)
	case KindInvalidRange:
		w.invalidRange(net)
	case KindMergedState:
		w.mergedState(net)
	case KindResidentialRotation:
		w.residentialRotation(net)
	case KindSlowDrip:
		w.slowDrip(net)
	}
}

// ownInfra gives each member a home address in its country and its own
// phone, the infrastructure of people who share nothing.
func (w *world) ownInfra(net *network) (ips []uint64, devs []uint32) {
	for _, a := range net.members {
		c := w.country[a]
		ips = append(ips, w.in.dedicated(w.in.residential[c][w.rng.IntN(2)]))
		devs = append(devs, uint32(2*a))
	}
	return ips, devs
}

// thinSpread: 40-80 blocks outside the account ranges (so nothing is ever
// matched); every member covers 60-90% of them with two to five random
// numbers each, never two adjacent numbers, on random working days.
func (w *world) thinSpread(net *network) {
	ps := w.spaces[net.targetCountry]
	outside := int((ps.full - ps.size) / blockSize)
	nb := min(outside, w.between(40, 80))
	blocks := w.rng.Perm(outside)[:nb]
	ips, devs := w.ownInfra(net)
	days := w.workDays(net)
	for m, a := range net.members {
		login := func(t int64) { w.netLogin(net, a, t, ips[m], devs[m]) }
		var mine []uint64
		cover := 0.6 + 0.3*w.rng.Float64()
		for _, b := range blocks {
			if !w.chance(cover) {
				continue
			}
			var offs []int
			for n := w.between(2, 5); len(offs) < n; {
				o := w.rng.IntN(blockSize)
				if !slices.ContainsFunc(offs, func(x int) bool { return x >= o-1 && x <= o+1 }) {
					offs = append(offs, o)
				}
			}
			for _, o := range offs {
				mine = append(mine, ps.size+uint64(b)*blockSize+uint64(o))
			}
		}
		w.rng.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
		w.sessions(net, a, mine, 8, 30, days, login)
	}
	for _, b := range blocks {
		k := ps.size + uint64(b)*blockSize
		net.ranges = append(net.ranges, TargetRange{Region: countries[net.targetCountry].code,
			First: ps.number(k), Last: ps.number(k + blockSize - 1), Count: 0})
	}
}

// datacenterPool is a rotating pool of 3-20 dedicated addresses in one to
// three hosting ASes.
func (w *world) datacenterPool(hosts []int) []uint64 {
	nAS := min(len(hosts), w.between(1, 3))
	start := w.rng.IntN(len(hosts))
	var pool []uint64
	for range w.between(3, 20) {
		pool = append(pool, w.in.dedicated(hosts[(start+w.rng.IntN(nAS))%len(hosts)]))
	}
	return pool
}

// poolSweep plays a ring on a shared address pool and a few shared
// devices through per-member shares of list.
func (w *world) poolSweep(net *network, pool []uint64, shares [][]uint64, lo, hi int) {
	devs := make([]uint32, max(2, len(net.members)/4))
	for i := range devs {
		devs[i] = w.ringDevice(net)
	}
	days := w.workDays(net)
	for m, a := range net.members {
		dev := devs[w.rng.IntN(len(devs))]
		login := func(t int64) { w.netLogin(net, a, t, pool[w.rng.IntN(len(pool))], dev) }
		if w.created[a] >= w.start {
			login(w.created[a] + int64(w.between(5, 60)))
		}
		w.sessions(net, a, shares[m], lo, hi, days, login)
	}
}

// hitCamouflage: an enumeration ring on datacenter addresses whose list
// mixes 3-8% numbers of real, older accounts of the target country into
// its consecutive sweep.
func (w *world) hitCamouflage(net *network) {
	pool := w.datacenterPool(w.in.datacenter)
	quotas := make([]int, len(net.members))
	for m := range quotas {
		quotas[m] = w.between(80, 400)
	}
	list := w.sweep(net, sum(quotas), true)
	c := net.targetCountry
	if n := w.existingBefore(c, w.start+int64(net.activeFrom)*day); n > 0 {
		hits := int(float64(len(list)) * (0.03 + 0.05*w.rng.Float64()))
		for range hits {
			list = append(list, w.phone(w.byCountry[c][w.rng.IntN(n)]))
		}
		w.rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	w.poolSweep(net, pool, splitQuota(list, quotas), 40, 250)
}

// smallSweep: one to four accounts on one address (datacenter or
// residential) and one device sweeping 2,000-8,000 consecutive numbers.
func (w *world) smallSweep(net *network) {
	var ip uint64
	if w.chance(0.5) {
		ip = w.in.dedicated(w.in.datacenter[w.rng.IntN(len(w.in.datacenter))])
	} else {
		ip = w.in.dedicated(w.in.residential[net.homeCountry][w.rng.IntN(2)])
	}
	dev := w.ringDevice(net)
	shares := splitQuota(w.sweep(net, w.between(2000, 8000), true), slices.Repeat([]int{1}, len(net.members)))
	days := w.workDays(net)
	for m, a := range net.members {
		login := func(t int64) { w.netLogin(net, a, t, ip, dev) }
		if w.created[a] >= w.start {
			login(w.created[a] + int64(w.between(5, 60)))
		}
		w.sessions(net, a, shares[m], 200, 800, days, login)
	}
}

// oneBurst: members on their own addresses and phones look up the same
// 150-600 swept numbers within ten minutes of each other, once.
func (w *world) oneBurst(net *network) {
	list := w.sweep(net, w.between(150, 600), false)
	ips, devs := w.ownInfra(net)
	t0 := w.workTime(net.sched, net.activeFrom)
	batch := make([]uint64, len(list))
	for m, a := range net.members {
		if w.created[a] >= w.start {
			w.netLogin(net, a, w.created[a]+int64(w.between(5, 60)), ips[m], devs[m])
		}
		t := max(t0, w.created[a]+600) + int64(w.between(0, 600))
		w.netLogin(net, a, t-int64(w.between(10, 120)), ips[m], devs[m])
		w.wave(net, a, t, batch, list, 1, 4)
	}
}

// invalidRange: an enumeration ring on datacenter addresses sweeping
// blocks of an unallocated range of its target country's calling code.
func (w *world) invalidRange(net *network) {
	net.unallocated = true
	ps := w.invalidSpace(net.targetCountry)
	quotas := make([]int, len(net.members))
	for m := range quotas {
		quotas[m] = w.between(80, 400)
	}
	shares := splitQuota(w.sweepIn(net, ps, sum(quotas), true), quotas)
	w.poolSweep(net, w.datacenterPool(w.in.datacenter), shares, 40, 250)
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// mergedState: the state ring of a pair sweeps from hosting addresses in
// the state's working week; its ordinary partner (planted right after it)
// reuses two of those addresses and sweeps the thousands right after the
// state ring's, in overlapping days.
func (w *world) mergedState(net *network) {
	if net.state {
		pool := w.datacenterPool(w.in.datacenter)
		w.mergedPool = pool
		shares := w.sweepShares(net, func(int) int { return w.between(80, 300) })
		w.mergedNext = w.lastSwept(net)
		w.poolSweep(net, pool, shares, 40, 200)
		return
	}
	pool := w.datacenterPool(w.in.datacenter)
	shared := w.mergedPool
	if len(shared) > 2 {
		shared = shared[:2]
	}
	pool = append(pool, shared...)
	quotas := make([]int, len(net.members))
	for m := range quotas {
		quotas[m] = w.between(80, 300)
	}
	total := (sum(quotas) + 999) / 1000 * 1000
	ps := w.spaces[net.targetCountry]
	list := make([]uint64, min(total, int(ps.size)))
	for i := range list {
		list[i] = (w.mergedNext + uint64(i)) % ps.size
	}
	w.markSwept(ps, w.mergedNext, len(list))
	w.rangesOf(net, ps, list)
	w.rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	w.poolSweep(net, pool, splitQuota(list, quotas), 40, 200)
}

// lastSwept returns the number index after the last range a network swept
// in its target country.
func (w *world) lastSwept(net *network) uint64 {
	var end uint64
	ps := w.spaces[net.targetCountry]
	for _, r := range net.ranges {
		k := numberIndex(ps, r.Last)
		end = max(end, k+1)
	}
	return end % ps.size
}

// numberIndex inverts phoneSpace.number for a number of the space.
func numberIndex(ps *phoneSpace, e164 string) uint64 {
	blk := e164[1+len(countries[ps.country].cc) : len(e164)-4]
	b := slices.Index(ps.blocks, blk)
	off, _ := strconv.Atoi(e164[len(e164)-4:])
	return uint64(b)*blockSize + uint64(off)
}

// residentialRotation: a sweeping ring where every session comes from a
// fresh residential address (proxies in many countries, never reused) and
// every member keeps its own device.
func (w *world) residentialRotation(net *network) {
	var ases []int
	for ci := range countries {
		ases = append(ases, w.in.residential[ci][0], w.in.residential[ci][1])
	}
	ases = append(ases, w.in.extraRes...)
	shares := w.sweepShares(net, func(int) int { return w.between(80, 300) })
	days := w.workDays(net)
	for m, a := range net.members {
		dev := uint32(2 * a)
		login := func(t int64) { w.netLogin(net, a, t, w.in.dedicated(ases[w.rng.IntN(len(ases))]), dev) }
		if w.created[a] >= w.start {
			login(w.created[a] + int64(w.between(5, 60)))
		}
		w.sessions(net, a, shares[m], 20, 80, days, login)
	}
}

// slowDrip: aged accounts on their own home addresses and phones sweep
// their share of consecutive blocks at 5-25 lookups a day over four to
// eight weeks, with some organic cover.
func (w *world) slowDrip(net *network) {
	ips, devs := w.ownInfra(net)
	shares := w.sweepShares(net, func(int) int { return w.between(100, 300) })
	days := w.workDays(net)
	for m, a := range net.members {
		login := func(t int64) { w.netLogin(net, a, t, ips[m], devs[m]) }
		for range w.between(2, 6) {
			t := w.organicTime(w.start, int(w.country[a]))
			login(t - int64(w.between(10, 300)))
			tc, k := w.contact(a, t, 0.45, 0.3)
			w.lookup(a, t, tc, k)
			net.lookups++
		}
		// One session a day at most, on distinct days in random order.
		share := shares[m]
		order := w.rng.Perm(len(days))
		least := (len(share) + len(days) - 1) / len(days)
		for i := 0; len(share) > 0; i++ {
			n := min(len(share), max(least, w.between(5, 25)))
			t := w.sessionStart(net, a, days[order[i%len(order)]])
			login(t - int64(w.between(5, 120)))
			for _, k := range share[:n] {
				w.sweepLookup(net, a, t, k)
				t += int64(w.between(20, 600))
			}
			share = share[n:]
		}
	}
}

// invalidSpace returns (building on first use) a space of number blocks
// of country ci that no numbering plan allows but whose international form
// reads back as itself: what an enumeration of unallocated ranges walks.
// It holds 20 blocks, found by walking leading national digits in order.
func (w *world) invalidSpace(ci int) *phoneSpace {
	if w.invalid == nil {
		w.invalid = make([]*phoneSpace, len(countries))
	}
	if ps := w.invalid[ci]; ps != nil {
		return ps
	}
	c := countries[ci]
	ps := &phoneSpace{country: ci}
	lead := 3
	md := c.nsnLen - 4 - lead
	for p := pow10(lead - 1); p < pow10(lead) && len(ps.blocks) < 20; p++ {
		blk := strconv.Itoa(p) + fmt.Sprintf("%0*d", md, (p*7919)%pow10(md))
		if invalidBlock(c, blk) {
			ps.blocks = append(ps.blocks, blk)
		}
	}
	if len(ps.blocks) == 0 {
		panic(fmt.Sprintf("generate: no unallocated number block for %s", c.code))
	}
	ps.size = uint64(len(ps.blocks)) * blockSize
	ps.full = ps.size
	w.invalid[ci] = ps
	return ps
}

func invalidBlock(c country, blk string) bool {
	for _, tail := range []string{"0000", "4821", "9999"} {
		e164 := "+" + c.cc + blk + tail
		n, err := phonenumbers.Parse(e164, "ZZ")
		if err != nil || phonenumbers.IsValidNumber(n) || phonenumbers.Format(n, phonenumbers.E164) != e164 {
			return false
		}
	}
	return true
}
