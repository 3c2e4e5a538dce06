package scoring

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/signals"
	"github.com/lockstep-dev/lockstep/target"
)

// measureSignals maps facts to signal strengths; docs/DETECTION.md gives
// each mapping and why. Every number a detail quotes is followed by its
// unit ("distinct numbers", "lookups", "logins"): a lookup count beside a
// count of distinct numbers must not read as the same thing.
func measureSignals(f facts, cfg Config) []Signal {
	n := float64(f.n)
	perMember := median(f.lookupsPerMember)
	var out []Signal
	add := func(name signals.Name, value, strength float64, detail string) {
		out = append(out, Signal{Name: name, Value: value, Strength: clamp01(strength), Weight: cfg.Weights[name], Detail: detail})
	}
	// Sweep: share of the looked-up numbers that lie in swept groups of
	// 100 (at least MinGroupFill of the group looked up) or in ranges no
	// numbering plan allows (enumeration whether or not it fills groups:
	// no address book holds them), discounted below 100 such numbers,
	// since one crowded group, or a few mistyped contacts, can be
	// coincidence.
	enumerated := f.sweepCovered + f.invalidUnswept
	cov := 0.0
	if f.phoneTargets > 0 {
		cov = float64(enumerated) / float64(f.phoneTargets)
	}
	detail := fmt.Sprintf("%s of %s distinct numbers looked up lie in groups of 100 numbers with at least %d numbers looked up", num(int64(f.sweepCovered)), num(int64(f.phoneTargets)), cfg.MinGroupFill)
	if f.invalidTargets > 0 {
		detail += fmt.Sprintf("; %s in ranges no numbering plan allows (%s of them outside those groups)", plural(f.invalidTargets, "distinct number"), num(int64(f.invalidUnswept)))
	}
	add(SigSweep, cov, cov*math.Min(1, float64(enumerated)/100), detail)
	hr := 0.0
	if f.lookups > 0 {
		hr = float64(f.hits) / float64(f.lookups)
	}
	// Hit ratio of the median member: 1 for no hits, falling linearly to
	// 0 at a quarter of lookups matched, below the 30-60% of organic
	// address books (Hagen et al.), so camouflage hits lower it in
	// proportion instead of turning it off at once. The median member's,
	// not the pooled ratio, so a few busy organic accounts drawn into a
	// community do not hide what most of its members do.
	// It needs 100 lookups in all, where 1% and 45% cannot be mistaken,
	// and 5 from the median member: a thin ring's members may each make
	// a dozen.
	hrMed := median(f.memberHitRatio)
	hrs := 0.0
	if f.lookups >= 100 && perMember >= 5 {
		hrs = (organicHitFloor - hrMed) / organicHitFloor
	}
	// Shared blocks: share of the looked-up numbers that matched nobody
	// and lie, outside swept groups, in blocks several members cover
	// together; discounted below 100 such numbers like the sweep, and by
	// the hit ratio's strength: a group whose lookups find people at an
	// address book's rate (a family, friends, colleagues from a small
	// country whose few blocks they all touch) shares blocks by chance,
	// not by plan.
	shb := 0.0
	if f.phoneTargets > 0 {
		shb = float64(f.sharedBlockLookups) / float64(f.phoneTargets)
	}
	add(SigShared, shb, shb*math.Min(1, float64(f.sharedBlockLookups)/100)*clamp01(hrs),
		fmt.Sprintf("%s of %s distinct numbers looked up matched nobody and lie, outside swept groups, in %s where at least %s, none an address book, together looked up at least %s or each at least %s",
			num(int64(f.sharedBlockLookups)), num(int64(f.phoneTargets)), plural(f.sharedBlocks, "number block"), plural(sharedBlockMembers, "member"), plural(cfg.SharedBlockMin, "such distinct number"), plural(sharedBlockEach, "such distinct number")))
	// Lockstep: share of lookups of a target another member looked up
	// within the window; discounted below 50 such lookups, and unless it
	// is sustained over several bursts at least 12 hours apart
	// (SynchroTrap's "sustained periods") or its one burst is larger than
	// a shared address book: friends who install the app together sync
	// overlapping address books in one burst, a ring acts in lockstep wave
	// after wave, or in one wave of numbers nobody's friends have. A
	// shared address book is bounded by a social circle (about 150
	// people, Dunbar), so lockstep lookups of numbers that matched nobody
	// count from 150 a member and fully from 1,500; hits mixed in as
	// camouflage lower the share, in proportion, and add nothing.
	ls := 0.0
	if f.targetEdges > 0 {
		ls = float64(f.lockstepEdges) / float64(f.targetEdges)
	}
	burst := logRamp(float64(f.lockstepEdges)/n, circle, 10*circle)
	sustained := max(clamp01(float64(f.lockstepEpisodes-1)/3), burst)
	add(SigLockstep, ls, ls/0.5*math.Min(1, float64(f.lockstepEdges)/50)*sustained,
		fmt.Sprintf("%s of %s of a target by a member, of numbers that matched nobody, came within %s of another member's, in %s", num(int64(f.lockstepEdges)), plural(f.targetEdges, "first lookup"), dur(cfg.LockstepWindow), plural(f.lockstepEpisodes, "burst")))
	add(SigDenseBlock, f.dense.Density, logRamp(f.dense.Density, 2, 15),
		fmt.Sprintf("densest block: %s × %s, weighted density %.2f", plural(f.dense.Rows, "account"), plural(f.dense.Cols, "resource"), f.dense.Density))
	dc := 0.0
	if f.logins > 0 {
		dc = float64(f.dcLogins) / float64(f.logins)
	}
	add(SigDatacenter, dc, dc, fmt.Sprintf("%.0f%% of %s from datacenter, VPN or Tor addresses", 100*dc, plural64(f.logins, "login")))
	// New accounts: created close together. A window of 0 days scores 1,
	// a year 0; small communities are discounted because a few accounts
	// can be created close together by chance.
	nw := 0.0
	if f.createdInWindow > 0 {
		nw = (1 - math.Log1p(f.createdWindowDays)/math.Log1p(365)) * math.Min(1, n/10)
	}
	// Age at first lookup is reported, not scored: organic users sync
	// their contacts at sign-up too.
	add(SigNewAccounts, f.createdWindowDays, nw, fmt.Sprintf("%d of %s created within %.1f days; the median member was %.1f days old at its first lookup",
		f.createdInWindow, plural(f.n, "account"), f.createdWindowDays, f.firstLookupAgeDaysMedian))
	add(SigHitRatio, hrMed, hrs, fmt.Sprintf("the median member's lookups matched an account %.2f%% of the time; %.2f%% of %s matched an account", 100*hrMed, 100*hr, plural64(f.lookups, "lookup")))
	add(SigVolume, perMember, logRamp(perMember, 150, 3000), fmt.Sprintf("the median member made %.0f lookups", perMember))
	vel := median(f.perDay)
	add(SigVelocity, vel, logRamp(vel, 100, 3000), fmt.Sprintf("the median member made %.0f lookups a day between its first and last lookup", vel))
	shareFrac := float64(f.membersSharing) / n
	add(SigInfra, shareFrac, shareFrac, fmt.Sprintf("%d of %s share %s or %s with another member", f.membersSharing, plural(f.n, "member"), plural(f.sharedIPs, "IP"), plural(f.sharedDevices, "device")))
	cs := float64(len(f.loginCountries))
	add(SigCountries, cs, (cs-2)/6, fmt.Sprintf("logins from %s", plural(len(f.loginCountries), "country")))
	ws := 0.0
	if f.events >= 50 {
		ws = (f.workShare - 0.5) / 0.4
	}
	add(SigWorkHours, f.workShare, ws, fmt.Sprintf("%.0f%% of %s in weekday %02d:00-%02d:00 at UTC%s", 100*f.workShare, f.activityUnit(), cfg.WorkStart, cfg.WorkEnd, tzName(f.bestTZ)))
	add(SigSeeds, f.seedMass, f.seedMass*2, fmt.Sprintf("%.1f%% of the confirmed seeds' personalized PageRank mass; %s", 100*f.seedMass, plural(f.seedMembers, "confirmed member")))
	return out
}

// circle is the size of a social circle (Dunbar's number): how many
// entries of an address book friends can have in common.
const circle = 150

// organicHitFloor: hit ratios at or above a quarter look organic (address
// books hold 30-60% people on the platform).
const organicHitFloor = 0.25

// activityUnit names what the hour histogram counts: lookups, or logins
// for a community that looked nothing up.
func (f facts) activityUnit() string {
	if f.events == 0 {
		return "logins"
	}
	return "lookups"
}

func tzName(off float64) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h := int(off)
	m := int((off - float64(h)) * 60)
	return fmt.Sprintf("%s%02d:%02d", sign, h, m)
}

func dur(secs int64) string {
	if secs%3600 == 0 {
		return plural(int(secs/3600), "hour")
	}
	return plural(int(secs/60), "minute")
}

// Sources of a state-linked reason.
const (
	// SourceConfiguration: the reason rests on a watch list of the
	// scoring configuration (an investigation's judgement).
	SourceConfiguration = "configuration"
	// SourceBehaviour: the reason rests on the network's own behaviour,
	// with no watch list.
	SourceBehaviour = "behaviour"
)

// behaviourCap bounds the confidence behaviour gives: without a watch
// list the indicator may fire, but never as surely as a strong watch-list
// match (watched hosting alone gives up to 0.6, with a watched time zone
// 0.76).
const behaviourCap = 0.7

// stateIndicator weighs the indicators platforms use before they say
// "possibly state-linked". From configuration: logins from watched ASNs or
// countries, activity in a watched time zone's working hours. From
// behaviour: a working week kept in one time zone whose weekend is not
// Saturday-Sunday, infrastructure concentrated in a few hosting ASNs,
// enumeration of another country's numbers, logins from many countries.
// Each reason names its source; the confidence is the noisy-OR of the
// configured reasons or that of the behavioural ones, at most
// behaviourCap, whichever is higher. It only fires for networks already
// flagged, and never alone on IP country, which VPNs and proxies fake.
func stateIndicator(f facts, cfg Config, score float64) (bool, float64, []StateReason) {
	reasons := []StateReason{}
	prod := map[string]float64{SourceConfiguration: 1, SourceBehaviour: 1}
	add := func(source string) func(strength, weight float64, reason string) {
		return func(strength, weight float64, reason string) {
			if strength <= 0 {
				return
			}
			prod[source] *= 1 - clamp01(strength)*weight
			reasons = append(reasons, StateReason{Text: reason, Source: source})
		}
	}
	byConfig := add(SourceConfiguration)
	if f.logins > 0 && len(cfg.WatchASNs) > 0 {
		s := float64(f.watchASNLogins) / float64(f.logins)
		byConfig(s, 0.6, fmt.Sprintf("%.0f%% of logins from watched ASNs", 100*s))
	}
	if f.logins > 0 && len(cfg.WatchCountries) > 0 {
		s := float64(f.watchCountryLogins) / float64(f.logins)
		byConfig(s, 0.25, fmt.Sprintf("%.0f%% of logins from IPs in watched countries (IP country alone is weak: VPNs and proxies)", 100*s))
	}
	if f.watchTZ != "" && f.events >= 50 {
		s := (f.watchTZShare - 0.5) / 0.4
		byConfig(s, 0.4, fmt.Sprintf("%.0f%% of activity in weekday working hours of %s", 100*f.watchTZShare, f.watchTZ))
	}
	behaviourReasons(f, cfg, add(SourceBehaviour))
	// Behaviour corroborates a watch list but does not add to it: the
	// confidence is the stronger of the two, behaviour's capped.
	conf := max(1-prod[SourceConfiguration], min(behaviourCap, 1-prod[SourceBehaviour]))
	return score >= cfg.Threshold && conf >= 0.5, conf, reasons
}

// behaviourReasons adds the state-linked reasons a network's behaviour
// gives with no watch list. Each is weak alone (commercial scrapers keep
// office hours and rent hosting too); it takes several together.
func behaviourReasons(f facts, cfg Config, add func(strength, weight float64, reason string)) {
	// Operators on a salary keep one zone's working week; organic users
	// and unattended scrapers spread over the clock. Office hours alone
	// are every commercial scraper's, so it counts only when the week
	// rests on days other than Saturday-Sunday: activity stops on them
	// and goes on over Saturday-Sunday (an even spread puts 1/7 on each
	// day), so the operators keep the week of a country where that
	// weekend is the norm. A rest day shows only in a network whose
	// active span took in the rest days (a ring that worked Saturday to
	// Wednesday never met a Friday) and that worked around them
	// (restShows). The
	// rest days must be clearly quiet, at most a quarter of the
	// Saturday-Sunday rate, or the "weekend" is only a lull in a network
	// that works every day. And it takes a network (MinSize members):
	// one account's days are one script's, and a small sweep's few
	// accounts on one phone are one operator's, whose few sessions skip
	// a day or two by chance.
	if wk, s := foreignWeek(f, cfg); s > 0 {
		add(s, 0.5, fmt.Sprintf("a working week kept in UTC%s with a %s weekend: %.0f%% of %s in its %02d:00-%02d:00, %.1f%% a day on %s against %.1f%% a day on Saturday-Sunday",
			tzName(wk.offset), wk.weekend, 100*wk.hours, f.activityUnit(), cfg.WorkStart, cfg.WorkEnd, 100*wk.rest, wk.weekend, 100*wk.satSunRest))
	}
	if f.dcLogins*2 >= f.logins && f.dcASNs > 0 && f.dcASNs <= 3 {
		add(0.5, 0.4, fmt.Sprintf("infrastructure concentrated in %s (%s, most in AS %d)", plural(f.dcASNs, "hosting ASN"), plural(f.dcIPs, "datacenter IP"), f.topASN))
	}
	if f.bestBlockCovered > 0 && f.bestBlockCountry != "" && len(f.loginCountries) > 0 && f.loginCountries[0].Country != f.bestBlockCountry {
		add(1, 0.1, fmt.Sprintf("enumeration of another country's numbers: %s numbers swept from logins mostly in %s", f.bestBlockCountry, f.loginCountries[0].Country))
	}
	if n := len(f.loginCountries); n >= 4 {
		add(float64(n-3)/5, 0.15, fmt.Sprintf("coordination across %s of logins", plural(n, "country")))
	}
}

// foreignWeek returns the community's working week and the strength of
// its rest on days other than Saturday-Sunday (behaviourReasons says
// when it counts), 0 when it does not.
func foreignWeek(f facts, cfg Config) (workingWeek, float64) {
	wk := f.week
	if f.n < max(2, cfg.MinSize) || f.events < 50 || !restShows(f, wk) || wk.weekend == weekends[0].name || wk.rest > wk.satSunRest/4 {
		return wk, 0
	}
	return wk, min((wk.hours-0.5)/0.3, (wk.satSunRest-wk.rest)/0.1)
}

// restShows reports whether the working week's rest days can show in the
// community's activity: the days from its first lookup to its last, in
// the week's zone, took in every rest day, and the community worked
// either most days of the week (five of seven: one that worked a day or
// four rests on every other) or, over a shorter span, every day it met
// but the rest days, at least three (Thursday, Saturday and Sunday worked
// with Friday quiet is a Friday weekend however short the span; fewer
// days are one session's, not a week).
func restShows(f facts, wk workingWeek) bool {
	if f.lookupSpanTo <= f.lookupSpanFrom {
		return false
	}
	var seen, rest [7]bool
	off := int64(wk.offset * 3600)
	// Day 0 of Unix time was a Thursday: +3 makes Monday 0.
	for d := (f.lookupSpanFrom + off) / int64(day); d <= (f.lookupSpanTo+off)/int64(day); d++ {
		seen[(d+3)%7] = true
	}
	for _, we := range weekends {
		if we.name != wk.weekend {
			continue
		}
		for _, d := range we.days {
			if !seen[d] {
				return false
			}
			rest[d] = true
		}
	}
	if wk.days >= 5 {
		return true
	}
	if wk.days < 3 {
		return false
	}
	for d := range seen {
		if seen[d] && !rest[d] && !wk.active[d] {
			return false
		}
	}
	return true
}

// roles scores members by the network score, scaled by how strongly each
// is linked inside the community and how much it looked up relative to
// the busiest member; then lists victims.
func roles(b *projection.Bipartite, f facts, ms []int32, score float64, cfg Config) []Member {
	maxIn, maxOwn := 0.0, int64(0)
	for i := range ms {
		maxIn = max(maxIn, f.strengthIn[i])
		maxOwn = max(maxOwn, f.ownLookups[i])
	}
	out := make([]Member, 0, len(ms))
	for i, a := range ms {
		// With no link inside the community (a single enumerator) every
		// member is as linked as the strongest: core, not peripheral.
		link := 1.0
		if maxIn > 0 {
			link = f.strengthIn[i] / maxIn
		}
		act := 0.0
		if maxOwn > 0 {
			act = float64(f.ownLookups[i]) / float64(maxOwn)
		}
		s := score * (0.5 + 0.35*link + 0.15*act)
		role := RolePeripheral
		if link >= 0.25 {
			role = RoleCore
		}
		out = append(out, Member{Account: a, ID: b.Accounts.Key(a), Role: role, Score: s})
	}
	slices.SortFunc(out, func(x, y Member) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return cmp.Compare(x.Account, y.Account)
	})
	victims := make([]int32, 0, len(f.victims))
	for v := range f.victims {
		victims = append(victims, v)
	}
	slices.SortFunc(victims, func(x, y int32) int {
		if c := cmp.Compare(f.victims[y], f.victims[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	for _, v := range victims[:min(len(victims), cfg.MaxVictims)] {
		// A victim's score is how exposed it is: the network score,
		// halved when only one member found it.
		out = append(out, Member{Account: v, ID: b.Accounts.Key(v), Role: RoleVictim, Score: score * math.Min(1, 0.5+0.25*float64(f.victims[v]))})
	}
	return out
}

// evidence writes sentences with the numbers behind the strongest signals.
// Number blocks appear masked ("+1 415 555 xxxx"), never a full number.
// Every number names its unit, and a signal's strength word comes from
// what it contributed to the score, not from its raw strength.
func evidence(b *projection.Bipartite, f facts, sigs []Signal) []string {
	var out []string
	// The opening sentence, in the style analysts write: who, from where,
	// what they did, when.
	var s strings.Builder
	if f.createdInWindow == f.n && f.n > 0 {
		fmt.Fprintf(&s, "%s created within %s", plural(f.n, "account"), days(f.createdWindowDays))
	} else if f.createdInWindow > 0 {
		fmt.Fprintf(&s, "%s (%d of %s created within %s)", plural(f.n, "account"), f.createdInWindow, plural(f.n, "account"), days(f.createdWindowDays))
	} else {
		s.WriteString(plural(f.n, "account"))
	}
	if f.dcIPs > 0 && f.dcLogins*2 >= f.logins {
		fmt.Fprintf(&s, " logged in from %s", plural(f.dcIPs, "datacenter/VPN IP"))
		if f.topASN != 0 {
			fmt.Fprintf(&s, " (%d of %s in AS %d", f.topASNIPs, plural(f.dcIPs, "IP"), f.topASN)
			if f.topASOrg != "" {
				fmt.Fprintf(&s, ", %s", f.topASOrg)
			}
			s.WriteString(")")
		}
	} else if f.sharedDevices > 0 || f.sharedIPs > 0 {
		fmt.Fprintf(&s, " share %s and %s", plural(f.sharedIPs, "IP"), plural(f.sharedDevices, "device"))
	}
	if f.bestBlockCovered > 0 {
		order := "shuffled"
		if f.bestBlockInOrder >= 0.8 {
			order = "in order"
		}
		fmt.Fprintf(&s, "; together they looked up %s in %s of 100 numbers in %s (%s", plural(f.bestBlockCovered, "distinct number"), plural(f.bestBlockGroups, "swept group"), target.BlockLabel(b.Blocks.Key(f.bestBlock)), order)
		switch {
		case f.bestBlockPerNumber >= 1.5:
			fmt.Fprintf(&s, ", each number by %.1f members on average", f.bestBlockPerNumber)
		case f.bestBlockMembers > 1:
			fmt.Fprintf(&s, ", split among %s", plural(f.bestBlockMembers, "member"))
		}
		s.WriteString(")")
	} else if f.lookups > 0 {
		fmt.Fprintf(&s, "; together they made %s of %s", plural64(f.lookups, "lookup"), plural(f.distinctTargets, "distinct target"))
	}
	if f.events > 0 && f.hourEnd != f.hourStart && f.hourShare > 0 && windowLen(f.hourStart, f.hourEnd) <= 12 {
		fmt.Fprintf(&s, " between %02d:00 and %02d:00 UTC", f.hourStart, f.hourEnd)
	}
	if f.invalidTargets > 0 {
		fmt.Fprintf(&s, "; %s they looked up lie in ranges no numbering plan allows", plural(f.invalidTargets, "distinct number"))
	}
	out = append(out, s.String()+".")

	ranked := slices.Clone(sigs)
	slices.SortStableFunc(ranked, func(x, y Signal) int { return cmp.Compare(y.Contribution, x.Contribution) })
	hitRatioSaid := false
	for _, sg := range ranked {
		if sg.Contribution < EvidenceMinContribution {
			break
		}
		hitRatioSaid = hitRatioSaid || sg.Name == SigHitRatio
		out = append(out, fmt.Sprintf("%s (%s, +%.2f to the score): %s.", sg.Name.Title(), ContributionWord(sg.Contribution), sg.Contribution, sg.Detail))
	}
	if len(f.loginCountries) >= 4 {
		top := f.loginCountries[:min(TopCountries, len(f.loginCountries))]
		parts := make([]string, len(top))
		for i, c := range top {
			parts[i] = fmt.Sprintf("%s (%s)", c.Country, plural64(c.Count, "login"))
		}
		if len(top) < len(f.loginCountries) {
			out = append(out, fmt.Sprintf("Logins come from %s; the top %d by logins: %s.", plural(len(f.loginCountries), "country"), len(top), strings.Join(parts, ", ")))
		} else {
			out = append(out, fmt.Sprintf("Logins come from %s: %s.", plural(len(f.loginCountries), "country"), strings.Join(parts, ", ")))
		}
	}
	switch {
	case len(f.victims) > 0 && hitRatioSaid:
		out = append(out, fmt.Sprintf("Their lookups found %s.", plural(len(f.victims), "existing account")))
	case len(f.victims) > 0:
		out = append(out, fmt.Sprintf("Their lookups found %s (%.2f%% of %s matched an account).", plural(len(f.victims), "existing account"), 100*float64(f.hits)/math.Max(1, float64(f.lookups)), plural64(f.lookups, "lookup")))
	}
	return out
}

// EvidenceMinContribution is the smallest contribution to a score for
// which evidence writes a sentence about the signal; it is also the
// default of the API's signal filter, so the filter returns the networks
// whose evidence speaks of the signal.
const EvidenceMinContribution = 0.02

// TopCountries is how many countries evidence names by count.
const TopCountries = 5

// ContributionWord is the strength word evidence gives a signal that
// added c to a score: "strong" from 0.25 (half of the default flagging
// threshold), "moderate" from 0.10, "weak" below.
func ContributionWord(c float64) string {
	switch {
	case c >= 0.25:
		return "strong"
	case c >= 0.10:
		return "moderate"
	}
	return "weak"
}

func windowLen(a, b int) int { return ((b-a)%24 + 24) % 24 }

func days(d float64) string {
	switch {
	case d < 1.0/24:
		return "an hour"
	case d < 1:
		return plural(int(math.Ceil(d*24)), "hour")
	}
	// Rounded up: "created within" must hold for the whole window.
	return plural(int(math.Ceil(d)), "day")
}

// num formats n with thousands separators: 18,240.
func num(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func plural(n int, word string) string { return plural64(int64(n), word) }

// plural64 writes n with its unit: "1 lookup", "2,400 lookups", "3
// countries".
func plural64(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ay") {
		return num(n) + " " + strings.TrimSuffix(word, "y") + "ies"
	}
	return num(n) + " " + word + "s"
}
