package generate

// The harder organic cases: innocent activity shaped like the evasion
// families (many numbers in one afternoon from one address, hundreds of
// numbers across many blocks, a burst of an address book, accounts
// registered in one week, a shared tablet). Every world has them; none may
// be flagged.

// teamInfo is a marketing team or a support desk: colleagues behind their
// company's cloud-hosted egress address, looking up customers.
type teamInfo struct {
	kind     string // HardMarketingTeam or HardSupportDesk
	country  int
	accounts []int32
	ip       uint64
}

// groupSpan is how long a group's sign-ups take: a quarter of an hour for
// friends, a week for a university club.
func (w *world) groupSpan(g int) int64 {
	if g < w.nFriends {
		return 900
	}
	return 7 * day
}

// isClub reports whether account a belongs to a university club.
func (w *world) isClub(a int32) bool { return w.group[a] != 0 && int(w.group[a]-1) >= w.nFriends }

// pickInnocents chooses the accounts of marketing teams, support desks and
// address-book syncs among long-standing organic accounts that are in no
// other hard case, and gives clubs their student house address.
func (w *world) pickInnocents() {
	for g := w.nFriends; g < len(w.groups); g++ {
		c := w.country[w.groups[g][0]]
		w.clubIP = append(w.clubIP, w.in.dedicated(w.in.residential[c][w.rng.IntN(2)]))
	}
	free := func(a int32) bool {
		return w.role[a] == 0 && w.office[a] == 0 && w.group[a] == 0 && w.famDev[a] == 0 &&
			w.flags[a]&(flagCelebrity|flagCampus|flagInnocent) == 0
	}
	pick := func(ci, n int) []int32 {
		cands := w.byCountry[ci][:w.existingBefore(ci, w.start-30*day)]
		var out []int32
		for tries := 0; len(out) < n && tries < 20*n && len(cands) > 0; tries++ {
			a := cands[w.rng.IntN(len(cands))]
			if free(a) {
				w.flags[a] |= flagInnocent
				out = append(out, a)
			}
		}
		return out
	}
	teams := max(1, w.cfg.Accounts/20000)
	for i := range 2 * teams {
		t := teamInfo{kind: HardMarketingTeam, country: w.weightedCountry()}
		n := w.between(5, 12)
		if i >= teams {
			t.kind, n = HardSupportDesk, w.between(3, 6)
		}
		t.accounts = pick(t.country, n)
		t.ip = w.in.dedicated(w.in.datacenter[w.rng.IntN(len(w.in.datacenter))])
		w.teams = append(w.teams, t)
	}
	for range max(3, w.cfg.Accounts/3000) {
		w.syncers = append(w.syncers, pick(w.weightedCountry(), 1)...)
	}
}

// hardInnocents writes the events of marketing teams, support desks,
// address-book syncs and family evenings on the shared tablet (clubs live
// through organicIP and their sign-up bursts).
func (w *world) hardInnocents() {
	for _, t := range w.teams {
		if t.kind == HardMarketingTeam {
			w.marketingAfternoon(t)
		} else {
			w.supportDesk(t)
		}
	}
	for _, a := range w.syncers {
		w.addressbookSync(a)
	}
	// A few families (one in 2,000 accounts' worth) have such evenings:
	// enough for every world to hold some, few enough to leave the
	// world's volume as it was.
	for range max(2, w.cfg.Accounts/2000) {
		if len(w.families) == 0 {
			break
		}
		i := w.rng.IntN(len(w.families))
		w.familyEvening(w.families[i], familyDeviceBase+uint32(i))
	}
}

// customer draws a customer's number in country c: someone on the platform
// (with probability hit) or a number outside the account blocks, never
// next to a number already in seen, so nobody here looks like a sweep.
func (w *world) customer(c int, t int64, hit float64, seen map[uint64]bool) uint64 {
	ps := w.spaces[c]
	for {
		var k uint64
		if n := w.existingBefore(c, t); n > 0 && w.chance(hit) {
			k = w.phone(w.byCountry[c][w.rng.IntN(n)])
		} else {
			k = ps.size + w.rng.Uint64N(ps.full-ps.size)
		}
		if !seen[k] && (k == 0 || !seen[k-1]) && !seen[k+1] {
			seen[k] = true
			return k
		}
	}
}

// marketingAfternoon: a team of 5-12 looks up 300-1200 customer numbers of
// one shared list in one afternoon from the office address, each member
// taking 100-400 of them, overlapping.
func (w *world) marketingAfternoon(t teamInfo) {
	d := w.rng.IntN(w.cfg.Days - 1)
	dayStart := w.start + int64(d)*day - int64(countries[t.country].utcOffset)*60
	seen := map[uint64]bool{}
	list := make([]uint64, w.between(300, 1200))
	for i := range list {
		list[i] = w.customer(t.country, dayStart, 0.5, seen)
	}
	for _, a := range t.accounts {
		ts := dayStart + 13*3600 + w.rng.Int64N(3*3600)
		w.login(a, ts-int64(w.between(30, 600)), t.ip, w.organicDevice(a))
		n := min(len(list), w.between(100, 400))
		first := w.rng.IntN(len(list))
		for i := range n {
			w.lookup(a, ts, uint8(t.country), list[(first+i)%len(list)])
			ts += int64(w.between(5, 40))
		}
	}
}

// supportDesk: 3-6 agents on the office address, each on 10-30 working
// days checking 10-40 callers' numbers a day: hundreds of numbers across
// many blocks, most of them customers on the platform.
func (w *world) supportDesk(t teamInfo) {
	seen := map[uint64]bool{}
	for _, a := range t.accounts {
		for range w.between(10, 30) {
			d := w.rng.IntN(w.cfg.Days)
			ts := w.start + int64(d)*day + int64(w.between(9, 16))*3600 - int64(countries[t.country].utcOffset)*60
			w.login(a, ts-int64(w.between(30, 600)), t.ip, w.organicDevice(a))
			for range w.between(10, 40) {
				w.lookup(a, ts, uint8(t.country), w.customer(t.country, ts, 0.7, seen))
				ts += int64(w.between(60, 900))
			}
		}
	}
}

// addressbookSync: after a phone migration the account logs in from its
// new phone at home and uploads its whole book again, 200-1,500 contacts
// within minutes.
func (w *world) addressbookSync(a int32) {
	c := int(w.country[a])
	ts := w.organicTime(w.start, c)
	w.login(a, ts-int64(w.between(30, 300)), w.homeIP[a], uint32(2*a+1))
	seen := map[uint64]bool{}
	for range int(w.logUniform(200, 1500.999)) {
		if w.chance(0.1) {
			w.lookup(a, ts, targetEmailOther, w.rng.Uint64())
		} else {
			w.lookup(a, ts, uint8(c), w.customer(c, ts, 0.3+0.3*w.rng.Float64(), seen))
		}
		if w.chance(0.3) {
			ts++
		}
	}
}

// familyEvening: every member of a family uses the shared tablet within an
// hour and looks up some of the family's common contacts.
func (w *world) familyEvening(fam []int32, tablet uint32) {
	c := int(w.country[fam[0]])
	t0 := w.organicTime(w.created[fam[len(fam)-1]], c)
	seen := map[uint64]bool{}
	pool := make([]uint64, w.between(10, 30))
	for i := range pool {
		pool[i] = w.customer(c, t0, 0.6, seen)
	}
	for _, a := range fam {
		ts := t0 + w.rng.Int64N(3600)
		w.login(a, ts, w.homeIP[a], tablet)
		for range w.between(5, len(pool)) {
			w.lookup(a, ts+int64(w.between(5, 120)), uint8(c), pool[w.rng.IntN(len(pool))])
		}
	}
}
