package generate

// Target codes of a lookup event beside a country index (a phone number in
// that country's space).
const (
	targetEmailAccount = 0xFE // e-mail address of account a
	targetEmailOther   = 0xFD // e-mail address on no account
)

// diurnal is relative activity per local hour: quiet nights, busy evenings.
var diurnal = [24]int{2, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 7, 8, 7, 7, 7, 8, 9, 10, 11, 11, 10, 7, 4}

var diurnalTotal = func() int {
	s := 0
	for _, v := range diurnal {
		s += v
	}
	return s
}()

// organicTime returns a random instant in the window, not before after,
// at an hour people of country c are awake.
func (w *world) organicTime(after int64, c int) int64 {
	after = max(after, w.start)
	firstDay := int((after - w.start) / day)
	for range 8 {
		d := firstDay + w.rng.IntN(w.cfg.Days-firstDay)
		x := w.rng.IntN(diurnalTotal)
		h := 0
		for x >= diurnal[h] {
			x -= diurnal[h]
			h++
		}
		t := w.start + int64(d)*day + int64(h)*3600 + w.rng.Int64N(3600) - int64(countries[c].utcOffset)*60
		if t >= after && t < w.end {
			return t
		}
	}
	return min(w.end-1, after+w.rng.Int64N(3600))
}

// organicAccounts writes the life of every organic account: logins from
// home, the carrier's NAT, campus, the office or a VPN; a contact-sync burst
// at sign-up for accounts created in the window; and now and then a few new
// contacts.
func (w *world) organicAccounts() {
	for i := range w.created {
		if i%(1<<16) == 0 {
			w.cfg.progress(StageGenerate, i, len(w.created))
		}
		a := int32(i)
		if w.role[a] != 0 {
			continue
		}
		c := int(w.country[a])
		if w.created[a] >= w.start {
			w.account(a)
			t := w.created[a] + int64(w.between(5, 60))
			w.login(a, t, w.organicIP(a), w.organicDevice(a))
			w.signupBurst(a, t+int64(w.between(20, 120)))
		}
		n := 0
		for n < 20 && w.chance(0.72) {
			n++
		}
		for range n {
			w.login(a, w.organicTime(w.created[a], c), w.organicIP(a), w.organicDevice(a))
		}
		if w.chance(0.12) {
			for range w.between(1, 4) {
				t := w.organicTime(w.created[a], c)
				tc, k := w.contact(a, t, 0.45, 0.3)
				w.lookup(a, t, tc, k)
			}
		}
	}
}

// signupBurst is the contact sync of a new account: 20 to 300 contacts
// (log-uniform, so most books are small), uploaded within minutes, 30-60%
// of them already on the platform, celebrities among them for half the
// users. Hagen et al. describe exactly this shape for organic discovery.
func (w *world) signupBurst(a int32, t int64) {
	n := int(w.logUniform(20, 300.999))
	hit := 0.3 + 0.3*w.rng.Float64()
	celeb := 0.0
	if w.chance(0.5) {
		celeb = 0.02
	}
	var pool []contactTarget
	if g := w.group[a]; g != 0 {
		pool = w.friendPool(int(g-1), t)
	}
	for range n {
		var tc uint8
		var k uint64
		if len(pool) > 0 && w.chance(0.6) {
			ct := pool[w.rng.IntN(len(pool))]
			tc, k = ct.c, ct.k
		} else {
			tc, k = w.contact(a, t, hit, celeb)
		}
		w.lookup(a, t, tc, k)
		if w.chance(0.3) {
			t++
		}
	}
}

// friendPool returns the address-book entries a friend group has in
// common, drawn when its first member syncs: 40-120 people, about half of
// them already on the platform. Members upload them within minutes of each
// other, which is what lockstep detection looks for, but with a friend's
// hit ratio and no consecutive numbers.
func (w *world) friendPool(g int, t int64) []contactTarget {
	if w.groupPool[g] != nil {
		return w.groupPool[g]
	}
	first := w.groups[g][0]
	pool := make([]contactTarget, w.between(40, 120))
	for i := range pool {
		c, k := w.contact(first, t, 0.55, 0.02)
		pool[i] = contactTarget{c, k}
	}
	w.groupPool[g] = pool
	return pool
}

// contact draws one target from a person's address book at time t: with
// probability celeb a celebrity, with probability hit someone already on
// the platform (mostly of the same country; campus students often each
// other), otherwise a random number of the same country outside the
// account blocks (or an address) that is on no account. One in ten targets is an e-mail address.
func (w *world) contact(a int32, t int64, hit, celeb float64) (uint8, uint64) {
	c := int(w.country[a])
	email := w.chance(0.1)
	if w.chance(celeb) {
		f := w.celebs[w.rng.IntN(len(w.celebs))]
		if w.created[f] <= t {
			return w.accountTarget(f, email)
		}
	}
	if w.chance(hit) {
		if w.flags[a]&flagCampus != 0 && w.chance(0.3) {
			f := w.campus[w.rng.IntN(len(w.campus))]
			if f != a && w.created[f] <= t {
				return w.accountTarget(f, email)
			}
		}
		fc := c
		if w.chance(0.15) {
			fc = w.rng.IntN(len(countries))
		}
		if n := w.existingBefore(fc, t); n > 0 {
			f := w.byCountry[fc][w.rng.IntN(n)]
			if f != a {
				return w.accountTarget(f, email)
			}
		}
	}
	if email {
		return targetEmailOther, w.rng.Uint64()
	}
	ps := w.spaces[c]
	return uint8(c), ps.size + w.rng.Uint64N(ps.full-ps.size)
}

func (w *world) accountTarget(f int32, email bool) (uint8, uint64) {
	if email {
		return targetEmailAccount, uint64(f)
	}
	return w.country[f], w.phone(f)
}

func (w *world) organicIP(a int32) uint64 {
	if w.isClub(a) && w.chance(0.4) {
		return w.clubIP[int(w.group[a]-1)-w.nFriends]
	}
	if w.flags[a]&flagCampus != 0 && w.chance(0.6) {
		return w.campusIP
	}
	if o := w.office[a]; o != 0 && w.chance(0.5) {
		ips := w.offices[o-1].ips
		return ips[w.rng.IntN(len(ips))]
	}
	if w.flags[a]&flagVPN != 0 && w.chance(0.3) {
		as := w.in.vpn[w.rng.IntN(len(w.in.vpn))]
		return ipID(as, 1+uint32(w.rng.IntN(int(w.poolSize[as]))))
	}
	if k := w.carrier[a]; k != 0 && w.chance(0.5) {
		as := w.in.mobile[w.country[a]][k-1]
		return ipID(as, 1+uint32(w.rng.IntN(int(w.poolSize[as]))))
	}
	return w.homeIP[a]
}

func (w *world) organicDevice(a int32) uint32 {
	if f := w.famDev[a]; f != 0 && w.chance(0.3) {
		return f
	}
	if w.flags[a]&flagSecondDevice != 0 && w.chance(0.3) {
		return uint32(2*a + 1)
	}
	return uint32(2 * a)
}
