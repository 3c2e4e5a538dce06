package generate

import (
	"fmt"
	"slices"
	"time"
)

// schedule is when an operator works: hours [from, to) local time in a
// zone utcOffset minutes east of UTC, skipping its weekend days; allDay
// operators (automated sweeps) run around the clock.
type schedule struct {
	utcOffset int
	from, to  int
	weekend   []time.Weekday
	allDay    bool
}

func (s schedule) workday(dayStart int64) bool {
	if s.allDay {
		return true
	}
	wd := time.Unix(dayStart+int64(s.utcOffset)*60+12*3600, 0).UTC().Weekday()
	return !slices.Contains(s.weekend, wd)
}

// network is a planted network while it is generated.
type network struct {
	id, kind string
	state    bool
	sched    schedule
	members  []int32

	// window days (relative to Start) of activity, [activeFrom, activeTo)
	activeFrom, activeTo int
	birthFrom            int64 // members are created in [birthFrom, birthFrom+birthSpan)
	birthSpan            int64
	homeCountry          int // country of members' accounts, -1 for mixed
	targetCountry        int
	ranges               []TargetRange

	ips     []uint64
	devices []uint32
	loners  []int32 // camouflage members that share no infrastructure
	// partnerOf is the index of the other ring of a merged_state pair
	// (-1: none).
	partnerOf int
	// unallocated: the network sweeps its target country's invalid space.
	unallocated bool
	victims     []int32 // accounts the sweep matched

	logins, lookups, hits int
}

var operatorOffsets = []int{-300, -180, 0, 60, 180, 330, 420, 480}

// newNetwork draws a network's operator and calendar; members come later.
func (w *world) newNetwork(kind string, idx int) *network {
	net := &network{id: fmt.Sprintf("%s-%03d", kind, idx+1), kind: kind, homeCountry: -1, partnerOf: -1}
	if (kind == KindEnumeration || kind == KindMultiCountry) && w.chance(w.cfg.StateLinkedShare) {
		net.state = true
		net.sched = schedule{utcOffset: w.cfg.StateUTCOffsetMinutes, from: 8, to: 17, weekend: []time.Weekday{time.Friday}}
	} else {
		net.sched = schedule{utcOffset: operatorOffsets[w.rng.IntN(len(operatorOffsets))], from: 9, to: 18,
			weekend: []time.Weekday{time.Saturday, time.Sunday}}
		if kind == KindEnumeration && w.chance(0.4) {
			net.sched.allDay = true // commercial scrapers run unattended
		}
	}
	days := w.cfg.Days
	switch kind {
	case KindEnumeration, KindMultiCountry:
		// Fresh accounts registered within three days, sweeping from two
		// days later for one to two weeks.
		d0 := w.rng.IntN(days - 20)
		net.birthFrom, net.birthSpan = w.start+int64(d0)*day, 3*day
		net.activeFrom = d0 + 2
		net.activeTo = min(days, net.activeFrom+w.between(4, 15))
		if kind == KindEnumeration {
			net.homeCountry = w.weightedCountry()
		}
		if kind == KindEnumeration && w.chance(0.5) {
			net.targetCountry = countryIndex("US")
		} else {
			net.targetCountry = w.weightedCountry()
		}
	case KindCamouflage:
		// Aged accounts registered within ten days, one to seven months
		// before the window; active three to six weeks.
		span := min(days, w.between(21, 42))
		net.activeFrom = w.rng.IntN(days - span + 1)
		net.activeTo = net.activeFrom + span
		net.birthFrom, net.birthSpan = w.start-int64(w.between(30, 200))*day, 10*day
		net.targetCountry = w.weightedCountry()
		net.homeCountry = net.targetCountry
	case KindLockstep:
		net.activeFrom = w.between(7, days-14)
		net.activeTo = min(days, net.activeFrom+w.between(10, 30))
		net.birthFrom, net.birthSpan = w.start+int64(net.activeFrom-21)*day, 14*day
		net.targetCountry = w.weightedCountry()
	default:
		w.adversaryCalendar(net)
	}
	return net
}

// memberBirth returns the creation time and country of a new member.
func (w *world) memberBirth(net *network) (int64, int) {
	t := net.birthFrom + w.rng.Int64N(net.birthSpan)
	c := net.homeCountry
	if c < 0 {
		if net.kind == KindMultiCountry || net.kind == KindMergedState {
			c = w.rng.IntN(len(countries))
		} else {
			c = w.weightedCountry()
		}
	}
	return t, c
}

// workTime returns a random instant of window day d inside the operator's
// hours.
func (w *world) workTime(s schedule, d int) int64 {
	ds := w.start + int64(d)*day
	if s.allDay {
		return ds + w.rng.Int64N(day)
	}
	local := int64(s.from)*3600 + w.rng.Int64N(int64(s.to-s.from)*3600)
	t := ds + local - int64(s.utcOffset)*60
	// Keep it inside the window: wrap into the same UTC day.
	for t < ds {
		t += day
	}
	for t >= ds+day {
		t -= day
	}
	return t
}

// workDays lists the active days that are working days of the operator.
func (w *world) workDays(net *network) []int {
	var ds []int
	for d := net.activeFrom; d < net.activeTo; d++ {
		if net.sched.workday(w.start + int64(d)*day) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		for d := net.activeFrom; d < net.activeTo; d++ {
			ds = append(ds, d)
		}
	}
	return ds
}

// sweep lays out the network's sweep: total consecutive numbers (rounded
// up to whole thousands when round is set) in its target country, starting
// at a random thousand, returned shuffled like the 2019 attacker's list.
// The ranges go to truth.json, split at block boundaries.
func (w *world) sweep(net *network, total int, round bool) []uint64 {
	return w.sweepIn(net, w.spaces[net.targetCountry], total, round)
}

// sweepIn is sweep over the numbers of ps.
func (w *world) sweepIn(net *network, ps *phoneSpace, total int, round bool) []uint64 {
	if round {
		total = (total + 999) / 1000 * 1000
	}
	total = min(total, int(ps.size))
	k0 := uint64(w.rng.IntN(int(ps.size/1000))) * 1000
	// An evasion family must be caught for what it does, not because its
	// sweep happens to overlap another ring's: it looks for free numbers.
	for try := 0; try < 50 && IsAdversaryKind(net.kind) && w.overlapsSweep(ps, k0, total); try++ {
		k0 = uint64(w.rng.IntN(int(ps.size/1000))) * 1000
	}
	w.markSwept(ps, k0, total)
	list := make([]uint64, total)
	for i := range list {
		list[i] = (k0 + uint64(i)) % ps.size
	}
	w.rangesOf(net, ps, list)
	w.rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	return list
}

// overlapsSweep reports whether numbers [k0, k0+n) of ps (wrapping at its
// end) meet a sweep planted before.
func (w *world) overlapsSweep(ps *phoneSpace, k0 uint64, n int) bool {
	for _, r := range w.swept[ps] {
		for _, shift := range []uint64{0, ps.size} {
			if k0+shift < r[1] && r[0] < k0+shift+uint64(n) {
				return true
			}
			if r[0]+shift < k0+uint64(n) && k0 < r[1]+shift {
				return true
			}
		}
	}
	return false
}

func (w *world) markSwept(ps *phoneSpace, k0 uint64, n int) {
	if w.swept == nil {
		w.swept = map[*phoneSpace][][2]uint64{}
	}
	w.swept[ps] = append(w.swept[ps], [2]uint64{k0, k0 + uint64(n)})
}

// rangesOf adds a run of consecutive numbers of ps to the network's truth,
// split at block boundaries.
func (w *world) rangesOf(net *network, ps *phoneSpace, list []uint64) {
	total := len(list)
	for i := 0; i < total; {
		k := list[i]
		n := min(total-i, int(blockSize-k%blockSize))
		net.ranges = append(net.ranges, TargetRange{
			Region: countries[ps.country].code,
			First:  ps.number(k), Last: ps.number(k + uint64(n) - 1), Count: n,
		})
		i += n
	}
}

// sweepShares draws each member's quota of lookups in member order, sweeps
// their total and splits the sweep among the members by quota.
func (w *world) sweepShares(net *network, quota func(member int) int) [][]uint64 {
	quotas := make([]int, len(net.members))
	total := 0
	for m := range quotas {
		quotas[m] = quota(m)
		total += quotas[m]
	}
	return splitQuota(w.sweep(net, total, true), quotas)
}

// splitQuota hands out list among members in proportion to their quotas
// (rounding the sweep up to whole thousands, or a small number space
// cutting it short, shifts every share alike).
func splitQuota(list []uint64, quotas []int) [][]uint64 {
	sum := 0
	for _, q := range quotas {
		sum += q
	}
	out := make([][]uint64, len(quotas))
	cum, pos := 0, 0
	for m, q := range quotas {
		cum += q
		end := int(int64(cum) * int64(len(list)) / int64(sum))
		out[m] = list[pos:end]
		pos = end
	}
	return out
}

// sessionStart returns when a member's session on window day d begins: in
// the operator's hours, and never before the member exists (a later day
// at the same hour if need be, and then the next of the operator's
// working days: a salaried operator does not work the weekend because an
// account was registered late).
func (w *world) sessionStart(net *network, a int32, d int) int64 {
	t := w.workTime(net.sched, d)
	for t < w.created[a]+600 || !net.sched.workday(w.start+(t-w.start)/day*day) {
		t += day
	}
	return t
}

func (w *world) sweepLookup(net *network, a int32, t int64, k uint64) {
	c := uint8(net.targetCountry)
	if net.unallocated {
		c += targetInvalidBase
	}
	m := w.lookup(a, t, c, k)
	net.lookups++
	if m != 0 {
		net.hits++
		net.victims = append(net.victims, int32(m-1))
	}
}

func (w *world) netLogin(net *network, a int32, t int64, ip uint64, dev uint32) {
	w.login(a, t, ip, dev)
	net.logins++
	net.ips = append(net.ips, ip)
	net.devices = append(net.devices, dev)
}

func (w *world) ringDevice(net *network) uint32 {
	d := ringDeviceBase + uint32(w.ringDevices)
	w.ringDevices++
	return d
}

// plantNetworks writes every planted network's events.
func (w *world) plantNetworks() {
	for _, net := range w.nets {
		for _, a := range net.members {
			if w.created[a] >= w.start {
				w.account(a)
			}
		}
		switch net.kind {
		case KindEnumeration:
			w.enumeration(net)
		case KindMultiCountry:
			w.multiCountry(net)
		case KindCamouflage:
			w.camouflage(net)
		case KindLockstep:
			w.lockstep(net)
		default:
			w.plantAdversary(net)
		}
	}
}

// sessions plays a member's share of a sweep as sessions of lo..hi lookups,
// each on a working day in the operator's hours, a few seconds apart, after
// a login from login().
func (w *world) sessions(net *network, a int32, share []uint64, lo, hi int, days []int, login func(t int64)) {
	for len(share) > 0 {
		n := min(len(share), w.between(lo, hi))
		d := days[w.rng.IntN(len(days))]
		t := w.sessionStart(net, a, d)
		login(t - int64(w.between(5, 120)))
		for _, k := range share[:n] {
			if t >= w.end {
				break
			}
			w.sweepLookup(net, a, t, k)
			t += int64(w.between(2, 8))
		}
		share = share[n:]
	}
}

// enumeration: fresh accounts on a rotating pool of datacenter addresses in
// a few hosting ASNs, each sweeping its share of consecutive blocks in
// shuffled order, hundreds to thousands of lookups each, about 1% hits.
func (w *world) enumeration(net *network) {
	hosts := w.in.datacenter
	if net.state {
		hosts = w.in.watched
	}
	nAS := min(len(hosts), w.between(1, 3))
	start := w.rng.IntN(len(hosts))
	var pool []uint64
	for range w.between(3, 20) {
		pool = append(pool, w.in.dedicated(hosts[(start+w.rng.IntN(nAS))%len(hosts)]))
	}
	// One member in 25 (a fixed count per ring, so every world is equally
	// hard) is a sleeper that barely acts; one in thirty a workhorse that
	// runs thousands.
	sleepers := pickCount(w, len(net.members), len(net.members)/25)
	shares := w.sweepShares(net, func(m int) int {
		switch {
		case sleepers[m]:
			return w.between(5, 20)
		case w.chance(0.03):
			return 8 * w.between(80, 400)
		default:
			return w.between(80, 400)
		}
	})
	days := w.workDays(net)
	for m, a := range net.members {
		dev := w.ringDevice(net)
		login := func(t int64) { w.netLogin(net, a, t, pool[w.rng.IntN(len(pool))], dev) }
		if w.created[a] >= w.start {
			login(w.created[a] + int64(w.between(5, 60)))
		}
		w.sessions(net, a, shares[m], 40, 250, days, login)
	}
}

// multiCountry: logins through residential proxies and VPN exits in eight
// to fifteen countries, a small pool of devices shared among members, and
// the same split sweep at lower volume. State-flavoured ones slip through
// watch-listed hosting now and then.
func (w *world) multiCountry(net *network) {
	var ases []int
	for _, ci := range w.rng.Perm(len(countries)) {
		ases = append(ases, w.in.residential[ci][w.rng.IntN(2)])
	}
	ases = append(ases, w.in.extraRes...)
	ases = append(ases, w.in.vpn...)
	w.rng.Shuffle(len(ases), func(i, j int) { ases[i], ases[j] = ases[j], ases[i] })
	ases = ases[:w.between(8, 15)]
	var pool []uint64
	for i := range max(8, len(net.members)*3/2) {
		pool = append(pool, w.in.dedicated(ases[i%len(ases)]))
	}
	devs := make([]uint32, max(2, len(net.members)/3))
	for i := range devs {
		devs[i] = w.ringDevice(net)
	}
	shares := w.sweepShares(net, func(int) int { return w.between(60, 200) })
	days := w.workDays(net)
	for m, a := range net.members {
		mine := []uint32{devs[w.rng.IntN(len(devs))], devs[w.rng.IntN(len(devs))]}
		login := func(t int64) {
			ip := pool[w.rng.IntN(len(pool))]
			if net.state && w.chance(0.2) {
				ip = w.in.dedicated(w.in.watched[w.rng.IntN(len(w.in.watched))])
			}
			w.netLogin(net, a, t, ip, mine[w.rng.IntN(2)])
		}
		if w.created[a] >= w.start {
			login(w.created[a] + int64(w.between(5, 60)))
		}
		w.sessions(net, a, shares[m], 30, 120, days, login)
	}
}

// camouflage: aged accounts that live like people (own home address, the
// carrier's shared NAT, own phone, lookups of friends and celebrities) but
// share a few proxy addresses and two devices, and sweep slowly: a few
// dozen numbers on each of a handful of days over three to six weeks.
func (w *world) camouflage(net *network) {
	c := net.targetCountry
	proxyAS := w.in.residential[c][w.rng.IntN(2)]
	var proxies []uint64
	for range w.between(2, 4) {
		proxies = append(proxies, w.in.dedicated(proxyAS))
	}
	shared := []uint32{w.ringDevice(net), w.ringDevice(net)}
	loners := pickCount(w, len(net.members), len(net.members)/8)
	shares := w.sweepShares(net, func(int) int { return w.between(60, 150) })
	days := w.workDays(net)
	for m, a := range net.members {
		home := w.in.dedicated(w.in.residential[c][w.rng.IntN(2)])
		carrier := w.in.mobile[c][w.rng.IntN(2)]
		own := uint32(2 * a)
		// One member in eight (a fixed count per ring) is disciplined:
		// never a shared proxy or device. Only its sweep (blocks the others
		// sweep too), its hours and its registration date tie it to the ring.
		loner := loners[m]
		if loner {
			net.loners = append(net.loners, a)
		}
		login := func(t int64) {
			var ip uint64
			switch x := w.rng.Float64(); {
			case x < 0.25 && !loner:
				ip = proxies[w.rng.IntN(len(proxies))]
			case x < 0.60:
				ip = ipID(carrier, 1+uint32(w.rng.IntN(int(w.poolSize[carrier]))))
			default:
				ip = home
			}
			dev := own
			if w.chance(0.25) && !loner {
				dev = shared[w.rng.IntN(2)]
			}
			w.netLogin(net, a, t, ip, dev)
		}
		// Organic cover: logins at home hours, friends and celebrities.
		for range w.between(2, 6) {
			login(w.organicTime(w.start, c))
		}
		for range w.between(5, 15) {
			t := w.organicTime(w.start, c)
			login(t - int64(w.between(10, 300)))
			tc, k := w.contact(a, t, 0.45, 0.3)
			w.lookup(a, t, tc, k)
			net.lookups++
		}
		// The slow sweep.
		share := shares[m]
		daily := w.between(12, 36)
		need := min(len(days), (len(share)+daily-1)/daily)
		picked := w.rng.Perm(len(days))[:need]
		slices.Sort(picked)
		for i, di := range picked {
			n := (len(share) + (need - i) - 1) / (need - i)
			d := days[di]
			login(w.sessionStart(net, a, d) - 60)
			for _, k := range share[:n] {
				w.sweepLookup(net, a, w.sessionStart(net, a, d), k)
			}
			share = share[n:]
		}
	}
}

// lockstep: members that never share an address or a device (each has its
// own home addresses and phone) but look up the same batch of targets in
// waves, each member within minutes of the others: the pattern SynchroTrap
// and CopyCatch catch.
func (w *world) lockstep(net *network) {
	waves := w.between(5, 10)
	k := w.between(12, 30)
	list := w.sweep(net, waves*k, false)
	days := w.workDays(net)
	type member struct {
		ips []uint64
		dev uint32
	}
	ms := make([]member, len(net.members))
	for i, a := range net.members {
		c := w.country[a]
		for range w.between(1, 2) {
			ms[i].ips = append(ms[i].ips, w.in.dedicated(w.in.residential[c][w.rng.IntN(2)]))
		}
		ms[i].dev = uint32(2 * a)
		if w.created[a] >= w.start {
			w.netLogin(net, a, w.created[a]+int64(w.between(5, 60)), ms[i].ips[0], ms[i].dev)
		}
	}
	batch := make([]uint64, k)
	for wv := range waves {
		t0 := w.workTime(net.sched, days[w.rng.IntN(len(days))])
		targets := list[wv*k : (wv+1)*k]
		for i, a := range net.members {
			if !w.chance(0.9) || t0 < w.created[a] {
				continue
			}
			t := t0 + int64(w.between(0, 600))
			w.netLogin(net, a, t-int64(w.between(10, 120)), ms[i].ips[w.rng.IntN(len(ms[i].ips))], ms[i].dev)
			w.wave(net, a, t, batch, targets, 2, 12)
		}
	}
}

// wave plays one member's part of a lockstep wave: targets in its own
// shuffled order (in batch, a buffer of their length) from t, lo..hi
// seconds apart.
func (w *world) wave(net *network, a int32, t int64, batch, targets []uint64, lo, hi int) {
	copy(batch, targets)
	w.rng.Shuffle(len(batch), func(x, y int) { batch[x], batch[y] = batch[y], batch[x] })
	for _, tk := range batch {
		if t >= w.end {
			break
		}
		w.sweepLookup(net, a, t, tk)
		t += int64(w.between(lo, hi))
	}
}

// pickCount marks k of n positions at random.
func pickCount(w *world, n, k int) []bool {
	marked := make([]bool, n)
	for _, i := range w.rng.Perm(n)[:k] {
		marked[i] = true
	}
	return marked
}
