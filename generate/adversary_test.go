package generate

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/target"
)

// TestAdversaryFamilies: every evasion family removes the signal it
// promises to remove (docs/GENERATOR.md) and keeps the behaviour that
// still gives it away.
func TestAdversaryFamilies(t *testing.T) {
	w := loadAdversaryWorld(t, 1)
	ix := index(w)
	ipUsers, devUsers := users(w, byIP), users(w, byDevice)
	ipLogins := map[string]int{}
	for _, r := range w.logins {
		ipLogins[r.IP]++
	}
	byID := map[string]Network{}
	seen := map[string]int{}
	for _, n := range w.truth.Networks {
		byID[n.ID] = n
		seen[n.Kind]++
	}
	for _, k := range AdversaryKinds() {
		if seen[k] == 0 {
			t.Errorf("no %s network", k)
		}
	}
	h := target.NewHasher([]byte("adversary-test-key"))
	single := false
	for _, n := range w.truth.Networks {
		if !IsAdversaryKind(n.Kind) {
			continue
		}
		t.Run(n.ID, func(t *testing.T) {
			var logins, lookups []*events.Record
			for _, m := range n.Members {
				logins = append(logins, ix.logins[m]...)
				lookups = append(lookups, ix.lookups[m]...)
			}
			hits := 0
			for _, r := range lookups {
				if r.Matched != "" {
					hits++
				}
			}
			if len(logins) != n.Logins || len(lookups) != n.Lookups || (n.Kind != KindSlowDrip && hits != n.Hits) {
				t.Errorf("%d logins, %d lookups, %d hits; truth says %d, %d, %d", len(logins), len(lookups), hits, n.Logins, n.Lookups, n.Hits)
			}
			shareNothing := func() {
				t.Helper()
				for _, r := range logins {
					if len(ipUsers[r.IP]) > 1 || len(devUsers[r.Device]) > 1 {
						t.Fatalf("%s / %s used by %d / %d accounts", r.IP, r.Device, len(ipUsers[r.IP]), len(devUsers[r.Device]))
					}
				}
			}
			switch n.Kind {
			case KindThinSpread:
				shareNothing()
				if hits != 0 {
					t.Errorf("%d hits, want none", hits)
				}
				coverers := map[string]map[string]bool{}
				for _, m := range n.Members {
					perBlock := map[string][]int{}
					for _, r := range ix.lookups[m] {
						blk := r.Target[:len(r.Target)-4]
						perBlock[blk] = append(perBlock[blk], atoi4(r.Target))
						if coverers[blk] == nil {
							coverers[blk] = map[string]bool{}
						}
						coverers[blk][m] = true
					}
					for blk, offs := range perBlock {
						slices.Sort(offs)
						if len(offs) > 5 {
							t.Errorf("%s: %d numbers in block %s, want a few", m, len(offs), blk)
						}
						for i := 1; i < len(offs); i++ {
							if offs[i]-offs[i-1] <= 1 {
								t.Errorf("%s: adjacent numbers %s%04d, %04d", m, blk, offs[i-1], offs[i])
							}
						}
					}
				}
				shared := 0
				for _, c := range coverers {
					if len(c) >= len(n.Members)/2 {
						shared++
					}
				}
				if shared < 30 {
					t.Errorf("%d blocks looked into by half the members or more, want many", shared)
				}
			case KindHitCamouflage:
				checkHitRatio(t, hits, len(lookups), 0.03, 0.10)
				if !sharedAmong(ipUsers, n.Members) {
					t.Error("members share no address")
				}
				for _, r := range logins {
					if r.IPKind != kindDatacenter {
						t.Fatalf("login from %s (%s), want datacenter", r.IP, r.IPKind)
					}
				}
			case KindSmallSweep:
				single = single || len(n.Members) == 1
				if len(n.Members) > 4 || len(n.IPs) != 1 || len(n.Devices) != 1 {
					t.Errorf("%d members on %d addresses and %d devices, want 1-4 on one of each", len(n.Members), len(n.IPs), len(n.Devices))
				}
				if len(lookups) < 2000 {
					t.Errorf("%d lookups, want thousands", len(lookups))
				}
				checkCoverage(t, n, lookups, 0.99)
			case KindOneBurst:
				shareNothing()
				first, last := lookups[0].Time.Time, lookups[0].Time.Time
				for _, r := range lookups {
					first, last = minTime(first, r.Time.Time), maxTime(last, r.Time.Time)
				}
				if last.Sub(first) > 3*time.Hour {
					t.Errorf("lookups from %s to %s, want one burst", first, last)
				}
				checkLockstep(t, lookups, 15*time.Minute, 0.8)
			case KindInvalidRange:
				if hits != 0 {
					t.Errorf("%d hits on numbers no plan allows", hits)
				}
				for _, r := range lookups {
					tg, err := h.Normalise(r.Target, r.TargetKind, r.Region)
					if err != nil || !tg.Invalid {
						t.Fatalf("%s: invalid %v, err %v; want a well-formed number no plan allows", r.Target, tg.Invalid, err)
					}
				}
				checkCoverage(t, n, lookups, 0.99)
			case KindMergedState:
				p, ok := byID[n.Partner]
				if !ok || p.Partner != n.ID || p.StateLinked == n.StateLinked {
					t.Fatalf("partner %q (state %v) of a ring with state %v", n.Partner, p.StateLinked, n.StateLinked)
				}
				shared := 0
				for _, ip := range n.IPs {
					if slices.Contains(p.IPs, ip) {
						shared++
					}
				}
				if shared == 0 {
					t.Error("shares no address with its partner")
				}
				if n.StateLinked {
					checkWorkHours(t, n, lookups, 0.95)
					countries := map[string]bool{}
					for _, m := range n.Members {
						countries[w.accounts[m].Country] = true
					}
					if len(countries) < 3 || n.TargetRegion == w.truth.Params.StateCountry {
						t.Errorf("members in %d countries sweeping %s, want several sweeping a foreign plan", len(countries), n.TargetRegion)
					}
				}
			case KindResidentialRotation:
				for _, r := range logins {
					if ipLogins[r.IP] != 1 || r.IPKind != kindResidential {
						t.Fatalf("%s (%s) used for %d logins, want one residential login", r.IP, r.IPKind, ipLogins[r.IP])
					}
				}
				checkCoverage(t, n, lookups, 0.99)
			case KindSlowDrip:
				shareNothing()
				checkPacing(t, n, ix)
			}
		})
	}
	if !single {
		t.Error("no single enumerator among the small sweeps")
	}
}

// TestDefaultWorldHasNoAdversary: the evasion families come only with
// Config.Adversary, and they leave the ordinary kinds alone.
func TestDefaultWorldHasNoAdversary(t *testing.T) {
	plain, adv := loadWorld(t, 1), loadAdversaryWorld(t, 1)
	for _, n := range plain.truth.Networks {
		if IsAdversaryKind(n.Kind) {
			t.Fatalf("default world holds %s", n.ID)
		}
	}
	for _, k := range PlantedKinds() {
		if a, b := plain.truth.Stats.PlantedByKind[k], adv.truth.Stats.PlantedByKind[k]; a != b {
			t.Errorf("%s: %d planted accounts, %d with the adversary", k, a, b)
		}
	}
	sc := adv.truth.EvaluateNetworks(nil)
	if got, want := len(sc.ByKind), len(PlantedKinds())+len(AdversaryKinds()); got != want {
		t.Errorf("%d kinds scored, want %d", got, want)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// checkInnocent holds the harder organic cases to their shapes.
func checkInnocent(t *testing.T, w *testWorld, h HardCase, ix byAccount) {
	t.Helper()
	var lookups []*events.Record
	for _, a := range h.Accounts {
		lookups = append(lookups, ix.lookups[a]...)
	}
	switch h.Kind {
	case HardMarketingTeam:
		days := map[string]int{}
		for _, r := range lookups {
			days[r.Time.Format(time.DateOnly)]++
		}
		most := 0
		for _, c := range days {
			most = max(most, c)
		}
		if most < 100*len(h.Accounts)/2 {
			t.Errorf("%s: busiest day %d lookups for %d members, want hundreds in one afternoon", h.ID, most, len(h.Accounts))
		}
	case HardSupportDesk:
		for _, a := range h.Accounts {
			blocks := map[string]bool{}
			for _, r := range ix.lookups[a] {
				blocks[r.Target[:len(r.Target)-4]] = true
			}
			if len(ix.lookups[a]) < 100 || len(blocks) < 10 {
				t.Errorf("%s: agent %s looked up %d numbers in %d blocks, want hundreds across many", h.ID, a, len(ix.lookups[a]), len(blocks))
			}
		}
	case HardAddressbookSync:
		perHour := map[int64]int{}
		for _, r := range lookups {
			perHour[r.Time.Unix()/3600]++
		}
		most := 0
		for _, c := range perHour {
			most = max(most, c)
		}
		if most < 150 {
			t.Errorf("%s: at most %d lookups in an hour, want a whole address book", h.ID, most)
		}
	case HardUniversityClub:
		first, last := w.accounts[h.Accounts[0]].CreatedAt.Time, w.accounts[h.Accounts[len(h.Accounts)-1]].CreatedAt.Time
		if len(h.Accounts) < 15 || last.Sub(first) > 7*24*time.Hour {
			t.Errorf("%s: %d members created from %s to %s, want 15-40 within a week", h.ID, len(h.Accounts), first, last)
		}
	}
}

// TestHarderInnocents: every world holds each of the harder organic cases.
func TestHarderInnocents(t *testing.T) {
	for _, seed := range testSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := loadWorld(t, seed)
			ix := index(w)
			kinds := map[string]int{}
			for _, h := range w.truth.HardCases {
				kinds[h.Kind]++
				checkInnocent(t, w, h, ix)
			}
			for _, k := range []string{HardMarketingTeam, HardSupportDesk, HardAddressbookSync, HardUniversityClub, HardFamilyDevice} {
				if kinds[k] == 0 {
					t.Errorf("no %s case", k)
				}
			}
		})
	}
}
