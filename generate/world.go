package generate

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
)

const day = 86400

// Account flags.
const (
	flagVerified = 1 << iota
	flagCelebrity
	flagCampus
	flagVPN
	flagSecondDevice
	flagInnocent // in one of the harder organic cases of innocents.go
)

// Kinds of planted networks, the "kind" of a truth.json network.
const (
	KindEnumeration  = "enumeration"
	KindMultiCountry = "multicountry"
	KindCamouflage   = "camouflage"
	KindLockstep     = "lockstep"
)

// Kinds of organic hard cases, the "kind" of a truth.json hard case.
const (
	HardCarrierNAT   = "carrier_nat"
	HardFamilyDevice = "family_device"
	HardCampus       = "campus"
	HardCelebrity    = "celebrity"
	HardVPN          = "vpn"
	HardOffice       = "office"
	HardFriendGroup  = "friend_group"
	// Harder organic cases that look like the evasion families.
	HardMarketingTeam   = "marketing_team"
	HardSupportDesk     = "support_desk"
	HardAddressbookSync = "addressbook_sync"
	HardUniversityClub  = "university_club"
)

// plantedKinds and their shares of planted accounts; order is part of the
// deterministic output.
var plantedKinds = []struct {
	kind  string
	share float64
}{
	{KindEnumeration, 0.35},
	{KindMultiCountry, 0.20},
	{KindCamouflage, 0.25},
	{KindLockstep, 0.20},
}

// world holds everything about accounts that events need: a few arrays of
// one entry per account (about 40 bytes an account), never the events.
// Account index order is creation order, so "accounts that existed at time
// t" is a prefix of each country's list.
type world struct {
	cfg        Config
	rng        *rand.Rand
	key        uint64
	start, end int64
	in         *infra

	created   []int64
	country   []uint8
	rank      []uint32
	role      []uint16 // 0 organic, else network index + 1
	flags     []uint8
	homeIP    []uint64
	carrier   []uint8  // 0 none, else 1 + index into infra.mobile[country]
	famDev    []uint32 // 0 none, else family device number
	group     []uint16 // 0 none, else 1 + index into groups
	office    []uint16 // 0 none, else 1 + index into offices
	byCountry [][]int32
	createdBy [][]int64 // creation times of byCountry, for binary search
	spaces    []*phoneSpace
	celebs    []int32
	campus    []int32 // campus cohort, creation order
	families  [][]int32
	groups    [][]int32         // friend groups signing up together, then university clubs
	nFriends  int               // groups[:nFriends] are friend groups, the rest clubs
	clubIP    []uint64          // per club: the student house's address
	teams     []teamInfo        // marketing teams and support desks
	syncers   []int32           // accounts re-syncing their address book
	groupPool [][]contactTarget // their shared address-book entries, built on first use
	offices   []officeInfo
	poolSize  []uint32 // per AS: size of the shared pool (mobile, vpn)
	campusIP  uint64

	nets        []*network
	invalid     []*phoneSpace // per country: unallocated blocks, built on first use
	mergedPool  []uint64      // addresses of the last merged_state state ring
	mergedNext  uint64        // number after that ring's sweep
	swept       map[*phoneSpace][][2]uint64
	ringDevices int
	out         *bucketSet

	logins, lookups int
}

// between returns a uniform int in [lo, hi].
func (w *world) between(lo, hi int) int { return lo + w.rng.IntN(hi-lo+1) }

func (w *world) chance(p float64) bool { return w.rng.Float64() < p }

func (w *world) logUniform(lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + w.rng.Float64()*(math.Log(hi)-math.Log(lo)))
}

func (w *world) weightedCountry() int {
	x := w.rng.Float64()
	for i, c := range countries {
		x -= c.weight
		if x < 0 {
			return i
		}
	}
	return 0
}

// proto is an account before it has its index.
type proto struct {
	t     int64
	seq   int32
	c     uint8
	role  uint16
	flags uint8
	group uint16
}

// contactTarget is one address-book entry: a phone number (c is its
// country) or an e-mail target code with its value.
type contactTarget struct {
	c uint8
	k uint64
}

// officeInfo is a company whose employees reach the platform through the
// company's cloud-hosted egress addresses.
type officeInfo struct {
	accounts []int32
	ips      []uint64
}

func newWorld(cfg Config) (*world, error) {
	in, err := newInfra(cfg.WatchASNs, cfg.StateCountry)
	if err != nil {
		return nil, err
	}
	w := &world{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x6c6f636b73746570)),
		key:   mix64(cfg.Seed ^ 0xa0761d6478bd642f),
		start: cfg.Start.Unix(),
		in:    in,
	}
	w.end = w.start + int64(cfg.Days)*day
	protos := w.planNetworks()
	protos = w.planAdversary(protos)
	protos = w.planOrganic(protos)
	slices.SortFunc(protos, func(a, b proto) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.seq, b.seq))
	})
	n := len(protos)
	w.created = make([]int64, n)
	w.country = make([]uint8, n)
	w.rank = make([]uint32, n)
	w.role = make([]uint16, n)
	w.flags = make([]uint8, n)
	w.homeIP = make([]uint64, n)
	w.carrier = make([]uint8, n)
	w.famDev = make([]uint32, n)
	w.group = make([]uint16, n)
	w.office = make([]uint16, n)
	w.byCountry = make([][]int32, len(countries))
	w.createdBy = make([][]int64, len(countries))
	for i, p := range protos {
		w.created[i], w.country[i], w.role[i], w.flags[i] = p.t, p.c, p.role, p.flags
		w.rank[i] = uint32(len(w.byCountry[p.c]))
		w.byCountry[p.c] = append(w.byCountry[p.c], int32(i))
		w.createdBy[p.c] = append(w.createdBy[p.c], p.t)
		if p.role != 0 {
			net := w.nets[p.role-1]
			net.members = append(net.members, int32(i))
		}
		if p.flags&flagCampus != 0 {
			w.campus = append(w.campus, int32(i))
		}
		if p.group != 0 {
			w.group[i] = p.group
			w.groups[p.group-1] = append(w.groups[p.group-1], int32(i))
		}
	}
	// Number plans are checked with libphonenumber, which is slow: one
	// goroutine per country (each result depends only on its country).
	w.spaces = make([]*phoneSpace, len(countries))
	errs := make([]error, len(countries))
	var wg sync.WaitGroup
	for ci := range countries {
		wg.Go(func() {
			nb := max(1, (len(w.byCountry[ci])+99)/100) // accounts fill ~1% of the space
			w.spaces[ci], errs[ci] = newPhoneSpace(ci, nb, 3*nb, mix64(w.key^uint64(ci+1)*0x9e3779b97f4a7c15))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	w.organicInfra()
	return w, nil
}

// planNetworks decides the planted networks: kinds, sizes, operators,
// schedules and the creation time and country of every member.
func (w *world) planNetworks() []proto {
	var protos []proto
	if w.cfg.PlantedFraction <= 0 {
		return nil
	}
	total := int(math.Round(float64(w.cfg.Accounts) * w.cfg.PlantedFraction))
	for _, pk := range plantedKinds {
		budget := max(10, int(math.Round(float64(total)*pk.share)))
		maxSize := min(200, max(10, budget/3))
		for _, size := range w.splitSizes(budget, maxSize) {
			net := w.newNetwork(pk.kind, len(w.nets))
			w.nets = append(w.nets, net)
			for range size {
				t, c := w.memberBirth(net)
				protos = append(protos, proto{t: t, seq: int32(len(protos)), c: uint8(c), role: uint16(len(w.nets))})
			}
		}
	}
	return protos
}

// splitSizes cuts total into network sizes of 10..maxSize, log-uniform so
// that small rings are common and large ones exist.
func (w *world) splitSizes(total, maxSize int) []int {
	var sizes []int
	for total >= 10 {
		n := int(w.logUniform(10, float64(maxSize)+0.999))
		if total-n < 10 {
			// Never leave a rest below 10: take it all when small, else
			// leave exactly 10 for one last network.
			if total < 20 || total <= maxSize {
				n = total
			} else {
				n = total - 10
			}
		}
		sizes = append(sizes, n)
		total -= n
	}
	return sizes
}

// planOrganic adds the organic accounts: most created over three years
// before the window (more recently more often), 2.5% inside it, a campus
// cohort that mostly signs up in the window's second week, and friend
// groups of 5-12 who install the app together within a quarter of an hour.
func (w *world) planOrganic(protos []proto) []proto {
	organic := w.cfg.Accounts - len(protos)
	campusN := min(400, max(30, w.cfg.Accounts/50))
	us := countryIndex("US")
	history := float64(3 * 365 * day)
	var groupSizes []int
	for range max(2, w.cfg.Accounts/5000) {
		groupSizes = append(groupSizes, w.between(5, 12))
	}
	w.nFriends = len(groupSizes)
	// University clubs: 15-40 students of one country signing up within
	// one week, like a ring registering its accounts.
	for range max(1, w.cfg.Accounts/20000) {
		groupSizes = append(groupSizes, w.between(15, 40))
	}
	w.groups = make([][]int32, len(groupSizes))
	w.groupPool = make([][]contactTarget, len(groupSizes))
	var group struct {
		idx, left int
		c         uint8
		t         int64
	}
	for i := range organic {
		p := proto{seq: int32(len(protos))}
		if group.left == 0 && group.idx < len(groupSizes) && i >= campusN {
			group.left = groupSizes[group.idx]
			group.idx++
			group.c = uint8(w.weightedCountry())
			group.t = w.start + w.rng.Int64N(w.end-w.start-2*day-w.groupSpan(group.idx-1))
		}
		switch {
		case group.left > 0 && i >= campusN:
			p.c, p.group = group.c, uint16(group.idx)
			p.t = group.t + w.rng.Int64N(w.groupSpan(group.idx-1))
			group.left--
		case i < campusN:
			p.c = uint8(us)
			p.flags |= flagCampus
			if w.chance(0.6) {
				p.t = w.start + int64(w.between(5*day, 12*day))
			} else {
				p.t = w.start - int64(w.between(14*day, 365*day))
			}
		default:
			p.c = uint8(w.weightedCountry())
			if w.chance(0.025) {
				p.t = w.start + w.rng.Int64N(w.end-w.start-day)
			} else {
				p.t = w.start - int64(history*(1-math.Sqrt(w.rng.Float64()))) - 1
			}
		}
		if w.chance(0.25) {
			p.flags |= flagSecondDevice
		}
		protos = append(protos, p)
	}
	return protos
}

// organicInfra gives organic accounts their households, home IPs, family
// devices, carriers, VPNs, and picks the celebrities.
func (w *world) organicInfra() {
	carrierUsers := make([]int, len(w.in.asns))
	for ci := range countries {
		var list []int32
		for _, a := range w.byCountry[ci] {
			if w.role[a] == 0 {
				list = append(list, a)
			}
		}
		w.rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
		hh := 0
		for len(list) > 0 {
			size := 1
			switch x := w.rng.Float64(); {
			case x < 0.55:
			case x < 0.80:
				size = 2
			case x < 0.92:
				size = 3
			case x < 0.98:
				size = 4
			default:
				size = 5
			}
			size = min(size, len(list))
			members := list[:size]
			list = list[size:]
			as := w.in.residential[ci][hh%2]
			ip := ipID(as, uint32(hh/2+1))
			if mix64(uint64(hh)^w.key^uint64(ci)<<40)%10 == 0 {
				ip |= ipV6Flag
			}
			hh++
			var fam uint32
			if size >= 2 && w.chance(0.4) {
				fam = familyDeviceBase + uint32(len(w.families))
				fam32 := slices.Clone(members)
				slices.Sort(fam32)
				w.families = append(w.families, fam32)
			}
			for _, a := range members {
				w.homeIP[a] = ip
				w.famDev[a] = fam
				if w.chance(0.65) {
					k := w.rng.IntN(2)
					w.carrier[a] = uint8(k + 1)
					carrierUsers[w.in.mobile[ci][k]]++
				}
				if w.chance(0.02) {
					w.flags[a] |= flagVPN
				}
				if w.chance(0.003) {
					w.flags[a] |= flagVerified
				}
			}
		}
	}
	w.poolSize = make([]uint32, len(w.in.asns))
	vpnUsers := 0
	for a := range w.flags {
		if w.flags[a]&flagVPN != 0 {
			vpnUsers++
		}
	}
	for as, n := range carrierUsers {
		// Carrier-grade NAT: one public address per ~2,500 subscribers, so
		// every address is seen by thousands of accounts in large worlds.
		w.poolSize[as] = uint32(max(2, n/2500))
	}
	for _, as := range w.in.vpn {
		w.poolSize[as] = uint32(max(3, vpnUsers/60))
	}
	w.campusIP = ipID(w.in.campus, 1)

	// Celebrities: long-standing organic accounts, verified.
	ncel := max(3, w.cfg.Accounts/10000)
	cutoff := w.start - 180*day
	old := sort.Search(len(w.created), func(i int) bool { return w.created[i] >= cutoff })
	for len(w.celebs) < ncel && old > 0 {
		a := int32(w.rng.IntN(old))
		if w.role[a] != 0 || w.flags[a]&(flagCelebrity|flagCampus) != 0 {
			continue
		}
		w.flags[a] |= flagCelebrity | flagVerified
		w.celebs = append(w.celebs, a)
	}
	slices.Sort(w.celebs)

	// Offices: 15-60 long-standing employees of one company in one country
	// reach the platform through one to three cloud-hosted egress
	// addresses (kind datacenter), in office hours, like a ring would.
	for o := range max(1, w.cfg.Accounts/20000) {
		ci := w.weightedCountry()
		n := w.between(15, 60)
		cands := w.byCountry[ci][:w.existingBefore(ci, w.start-30*day)]
		var info officeInfo
		for tries := 0; len(info.accounts) < n && tries < 20*n && len(cands) > 0; tries++ {
			a := cands[w.rng.IntN(len(cands))]
			if w.role[a] != 0 || w.office[a] != 0 || w.group[a] != 0 || w.flags[a]&(flagCelebrity|flagCampus) != 0 {
				continue
			}
			w.office[a] = uint16(o + 1)
			info.accounts = append(info.accounts, a)
		}
		as := w.in.datacenter[w.rng.IntN(len(w.in.datacenter))]
		for range w.between(1, 3) {
			info.ips = append(info.ips, w.in.dedicated(as))
		}
		slices.Sort(info.accounts)
		w.offices = append(w.offices, info)
	}
	w.pickInnocents()
}

// phone returns the number index of account a in its country's space.
func (w *world) phone(a int32) uint64 { return w.spaces[w.country[a]].perm.fwd(uint64(w.rank[a])) }

// matchPhone returns 1 + the account owning number k of country c if it
// existed at time t, else 0: the lookup's answer, a pure function of the
// number and the time, so every looker-up of a number sees the same owner.
func (w *world) matchPhone(c int, k uint64, t int64) uint32 {
	if k >= w.spaces[c].size {
		return 0 // outside the account blocks
	}
	r := w.spaces[c].perm.inv(k)
	if r < uint64(len(w.byCountry[c])) {
		a := w.byCountry[c][r]
		if w.created[a] <= t {
			return uint32(a) + 1
		}
	}
	return 0
}

// existingBefore returns how many accounts of country c were created at or
// before t (they are the prefix of byCountry[c]).
func (w *world) existingBefore(c int, t int64) int {
	ts := w.createdBy[c]
	return sort.Search(len(ts), func(i int) bool { return ts[i] > t })
}

// Handles: organic ones read like people's, planted enumeration and
// multi-country ones like bulk registrations. The index suffix makes every
// handle unique.
var (
	adjectives = []string{"quiet", "bright", "lucky", "brave", "sunny", "misty", "rapid", "calm", "wild", "gentle", "happy", "silver", "golden", "little", "cosmic", "urban"}
	nouns      = []string{"fox", "river", "maple", "falcon", "otter", "comet", "harbor", "meadow", "pixel", "tiger", "willow", "ember", "panda", "cedar", "lotus", "raven"}
)

func (w *world) appendHandle(b []byte, a int32) []byte {
	h := mix64(uint64(a) ^ w.key ^ 0x68616e646c65)
	if r := w.role[a]; r != 0 {
		if k := w.nets[r-1].kind; k == KindEnumeration || k == KindMultiCountry {
			b = append(b, "user"...)
			b = strconv.AppendUint(b, 1000+h%9000, 10)
			b = append(b, '_')
			return strconv.AppendUint(b, uint64(a), 36)
		}
	}
	b = append(b, adjectives[h%uint64(len(adjectives))]...)
	b = append(b, '_')
	b = append(b, nouns[(h>>8)%uint64(len(nouns))]...)
	b = append(b, '_')
	return strconv.AppendUint(b, uint64(a), 36)
}

func (w *world) appendEmail(b []byte, a int32) []byte {
	b = w.appendHandle(b, a)
	return append(b, "@example.com"...)
}

// appendAccountID writes the id of account a: "a" and seven digits.
func appendAccountID(b []byte, a int32) []byte {
	var d [7]byte
	x := uint32(a)
	for i := 6; i >= 0; i-- {
		d[i] = byte('0' + x%10)
		x /= 10
	}
	b = append(b, 'a')
	return append(b, d[:]...)
}

// AccountID returns the id the generator gives to the account with index i
// (accounts are numbered in creation order from 0).
func AccountID(i int) string { return string(appendAccountID(nil, int32(i))) }
