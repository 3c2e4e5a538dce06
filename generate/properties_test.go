package generate

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/events"
)

// byAccount indexes a test world's events per account.
type byAccount struct {
	logins  map[string][]*events.Record
	lookups map[string][]*events.Record
}

func index(w *testWorld) byAccount {
	ix := byAccount{logins: map[string][]*events.Record{}, lookups: map[string][]*events.Record{}}
	for _, r := range w.logins {
		ix.logins[r.Account] = append(ix.logins[r.Account], r)
	}
	for _, r := range w.lookups {
		ix.lookups[r.Account] = append(ix.lookups[r.Account], r)
	}
	return ix
}

// users maps a resource (IP or device) to the set of accounts that used it.
func users(w *testWorld, key func(*events.Record) string) map[string]map[string]bool {
	m := map[string]map[string]bool{}
	for _, r := range w.logins {
		k := key(r)
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][r.Account] = true
	}
	return m
}

func byIP(r *events.Record) string     { return r.IP }
func byDevice(r *events.Record) string { return r.Device }

// TestPlantedProperties checks that every planted network shows the
// behaviour its kind promises (docs/GENERATOR.md), across seeds.
func TestPlantedProperties(t *testing.T) {
	for _, seed := range testSeeds {
		w := loadWorld(t, seed)
		ix := index(w)
		ipUsers, devUsers := users(w, byIP), users(w, byDevice)
		for _, n := range w.truth.Networks {
			t.Run(fmt.Sprintf("seed%d/%s", seed, n.ID), func(t *testing.T) {
				var logins, lookups []*events.Record
				for _, m := range n.Members {
					logins = append(logins, ix.logins[m]...)
					lookups = append(lookups, ix.lookups[m]...)
				}
				if len(logins) != n.Logins {
					t.Errorf("%d logins, truth says %d", len(logins), n.Logins)
				}
				kinds := map[string]int{}
				countries := map[string]bool{}
				for _, r := range logins {
					kinds[r.IPKind]++
					countries[r.IPCountry] = true
				}
				hits := 0
				victims := map[string]bool{}
				for _, v := range n.Victims {
					victims[v] = true
				}
				for _, r := range lookups {
					if r.Matched != "" {
						hits++
						if !victims[r.Matched] && n.Kind != KindCamouflage {
							t.Errorf("matched %s is not among the truth's victims", r.Matched)
						}
					}
				}
				if n.Kind != KindCamouflage && len(victims) == 0 && hits > 0 {
					t.Error("truth lists no victims")
				}
				span := w.accounts[n.Members[len(n.Members)-1]].CreatedAt.Sub(w.accounts[n.Members[0]].CreatedAt.Time)
				switch n.Kind {
				case KindEnumeration:
					if share := float64(kinds[kindDatacenter]) / float64(len(logins)); share < 0.95 {
						t.Errorf("datacenter share of logins %.2f, want ≥ 0.95", share)
					}
					checkHitRatio(t, hits, len(lookups), 0.004, 0.02)
					if span > 3*24*time.Hour {
						t.Errorf("members created over %s, want within 3 days", span)
					}
					checkCoverage(t, n, lookups, 0.95)
					if perMember := len(lookups) / len(n.Members); perMember < 80 {
						t.Errorf("%d lookups per member, want hundreds", perMember)
					}
				case KindMultiCountry:
					if len(countries) < 5 {
						t.Errorf("logins from %d countries, want many", len(countries))
					}
					if !sharedAmong(devUsers, n.Members) {
						t.Error("no device shared between members")
					}
					checkHitRatio(t, hits, len(lookups), 0.004, 0.02)
					checkCoverage(t, n, lookups, 0.95)
				case KindCamouflage:
					if kinds[kindDatacenter] > 0 {
						t.Errorf("%d datacenter logins, want none", kinds[kindDatacenter])
					}
					if share := float64(kinds[kindResidential]+kinds[kindMobile]) / float64(len(logins)); share < 0.9 {
						t.Errorf("residential+mobile share %.2f, want ≥ 0.9", share)
					}
					if !sharedAmong(ipUsers, n.Members) && !sharedAmong(devUsers, n.Members) {
						t.Error("members share no IP and no device")
					}
					checkPacing(t, n, ix)
					// Loners share nothing with the ring but the carrier's NAT.
					for _, l := range n.Loners {
						for _, r := range ix.logins[l] {
							if r.IPKind == kindMobile {
								continue
							}
							for _, m := range n.Members {
								if m != l && (ipUsers[r.IP][m] || devUsers[r.Device][m]) {
									t.Fatalf("loner %s shares %s / %s with %s", l, r.IP, r.Device, m)
								}
							}
						}
					}
				case KindLockstep:
					for res, u := range map[string]map[string]map[string]bool{"IP": ipUsers, "device": devUsers} {
						for _, m := range n.Members {
							for _, r := range ix.logins[m] {
								key := r.IP
								if res == "device" {
									key = r.Device
								}
								if len(u[key]) > 1 {
									t.Fatalf("%s %s used by %d accounts, want only %s", res, key, len(u[key]), m)
								}
							}
						}
					}
					checkLockstep(t, lookups, 15*time.Minute, 0.8)
				}
				if n.StateLinked {
					checkWorkHours(t, n, lookups, 0.95)
					for _, asn := range n.ASNs {
						if n.Kind == KindEnumeration && !slices.Contains(w.truth.Params.WatchASNs, asn) {
							t.Errorf("state-linked enumeration uses ASN %d off the watch list", asn)
						}
					}
				}
			})
		}
	}
}

func checkHitRatio(t *testing.T, hits, lookups int, lo, hi float64) {
	t.Helper()
	if lookups < 1000 {
		return // too few to measure a 1% ratio
	}
	if r := float64(hits) / float64(lookups); r < lo || r > hi {
		t.Errorf("hit ratio %.4f (%d/%d), want %.3f..%.3f", r, hits, lookups, lo, hi)
	}
}

// checkCoverage: sorted, the network's lookups fill its swept ranges.
func checkCoverage(t *testing.T, n Network, lookups []*events.Record, min float64) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range lookups {
		seen[r.Target] = true
	}
	total, covered := 0, 0
	for _, rg := range n.TargetRanges {
		total += rg.Count
		for x := range rg.Count {
			// First and Last share all but the last four digits.
			num := rg.First[:len(rg.First)-4] + fmt.Sprintf("%04d", atoi4(rg.First)+x)
			if seen[num] {
				covered++
			}
		}
	}
	if total == 0 || float64(covered)/float64(total) < min {
		t.Errorf("lookups cover %d of %d swept numbers, want ≥ %.0f%%", covered, total, min*100)
	}
}

func atoi4(s string) int {
	v := 0
	for _, c := range s[len(s)-4:] {
		v = v*10 + int(c-'0')
	}
	return v
}

func sharedAmong(u map[string]map[string]bool, members []string) bool {
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	for _, accts := range u {
		n := 0
		for a := range accts {
			if in[a] {
				n++
			}
		}
		if n >= 2 {
			return true
		}
	}
	return false
}

// checkPacing: camouflage members sweep a few dozen numbers a day at most,
// and the network keeps at it for weeks.
func checkPacing(t *testing.T, n Network, ix byAccount) {
	t.Helper()
	days := map[string]bool{}
	for _, m := range n.Members {
		perDay := map[string]int{}
		for _, r := range ix.lookups[m] {
			d := r.Time.Format(time.DateOnly)
			perDay[d]++
			days[d] = true
		}
		for d, c := range perDay {
			if c > 60 {
				t.Errorf("member %s made %d lookups on %s, want a few dozen at most", m, c, d)
			}
		}
	}
	var ds []string
	for d := range days {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	first, _ := time.Parse(time.DateOnly, ds[0])
	last, _ := time.Parse(time.DateOnly, ds[len(ds)-1])
	if last.Sub(first) < 14*24*time.Hour {
		t.Errorf("network active from %s to %s, want weeks", ds[0], ds[len(ds)-1])
	}
}

// checkLockstep: most lookups have another member looking up the same
// target within the window.
func checkLockstep(t *testing.T, lookups []*events.Record, window time.Duration, min float64) {
	t.Helper()
	byTarget := map[string][]*events.Record{}
	for _, r := range lookups {
		byTarget[r.Target] = append(byTarget[r.Target], r)
	}
	synced, total := 0, 0
	for _, rs := range byTarget {
		for _, r := range rs {
			total++
			for _, o := range rs {
				if o.Account != r.Account && absDur(o.Time.Sub(r.Time.Time)) <= window {
					synced++
					break
				}
			}
		}
	}
	if total == 0 || float64(synced)/float64(total) < min {
		t.Errorf("%d of %d lookups in lockstep, want ≥ %.0f%%", synced, total, min*100)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// checkWorkHours: lookups fall in the operator's local working hours (a
// session may run up to an hour past the end).
func checkWorkHours(t *testing.T, n Network, lookups []*events.Record, min float64) {
	t.Helper()
	zone := time.FixedZone("operator", n.Operator.UTCOffsetMinutes*60)
	in := 0
	for _, r := range lookups {
		h := r.Time.In(zone).Hour()
		if h >= n.Operator.LocalHours[0] && h <= n.Operator.LocalHours[1] {
			in++
		}
	}
	if len(lookups) > 0 && float64(in)/float64(len(lookups)) < min {
		t.Errorf("%d of %d lookups in local hours %v, want ≥ %.0f%%", in, len(lookups), n.Operator.LocalHours, min*100)
	}
}

// TestOrganicProperties: organic life never touches datacenters, its
// contact syncs hit 30-60%, and the hard cases are as hard as promised.
func TestOrganicProperties(t *testing.T) {
	for _, seed := range testSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := loadWorld(t, seed)
			planted := w.truth.Planted()
			hits, total := 0, 0
			for _, r := range w.lookups {
				if planted[r.Account] != nil {
					continue
				}
				total++
				if r.Matched != "" {
					hits++
				}
			}
			checkHitRatio(t, hits, total, 0.3, 0.6)
			office := w.truth.HardCaseAccounts(HardOffice, HardMarketingTeam, HardSupportDesk)
			for _, r := range w.logins {
				if planted[r.Account] == nil && r.IPKind == kindDatacenter && !office[r.Account] {
					t.Fatalf("organic %s (no office) logged in from datacenter %s", r.Account, r.IP)
				}
			}
			ipUsers, devUsers := users(w, byIP), users(w, byDevice)
			lookedUpBy := map[string]map[string]bool{}
			for _, r := range w.lookups {
				if lookedUpBy[r.Target] == nil {
					lookedUpBy[r.Target] = map[string]bool{}
				}
				lookedUpBy[r.Target][r.Account] = true
			}
			for _, h := range w.truth.HardCases {
				switch h.Kind {
				case HardCarrierNAT:
					most := 0
					for _, ip := range h.IPs {
						most = max(most, len(ipUsers[ip]))
					}
					if len(h.Accounts) > 1000 && most < 100 {
						t.Errorf("%s: busiest NAT address seen by %d accounts, want hundreds", h.ID, most)
					}
				case HardFamilyDevice:
					if n := len(h.Accounts); n < 2 || n > 5 {
						t.Errorf("%s: %d accounts, want 2-5", h.ID, n)
					}
					if n := len(devUsers[h.Devices[0]]); n > len(h.Accounts) {
						t.Errorf("%s: device used by %d accounts outside the family", h.ID, n)
					}
				case HardCampus:
					if n := len(ipUsers[h.IPs[0]]); n < 100 {
						t.Errorf("campus address used by %d accounts, want hundreds", n)
					}
				case HardOffice:
					if n := len(h.Accounts); n < 15 || n > 60 {
						t.Errorf("%s: %d employees, want 15-60", h.ID, n)
					}
					seen := map[string]bool{}
					for _, ip := range h.IPs {
						for a := range ipUsers[ip] {
							seen[a] = true
						}
					}
					if len(seen) < len(h.Accounts)/2 {
						t.Errorf("%s: %d of %d employees behind the office addresses", h.ID, len(seen), len(h.Accounts))
					}
				case HardFriendGroup:
					var lookups []*events.Record
					hits := 0
					for _, r := range w.lookups {
						if slices.Contains(h.Accounts, r.Account) {
							lookups = append(lookups, r)
							if r.Matched != "" {
								hits++
							}
						}
					}
					checkLockstep(t, lookups, 15*time.Minute, 0.3)
					if len(lookups) > 0 && float64(hits)/float64(len(lookups)) < 0.3 {
						t.Errorf("%s: hit ratio %d/%d, want a friend's", h.ID, hits, len(lookups))
					}
				case HardCelebrity:
					for _, target := range h.Targets[:2] {
						if n := len(lookedUpBy[target]); n < 20 && target[0] == '+' {
							t.Errorf("celebrity %s looked up by %d accounts, want many", target, n)
						}
					}
				}
			}
		})
	}
}

// TestOrganicNeverSweeps: no organic account looks up three consecutive
// numbers, so "consecutive numbers" is a signal of planted sweeps only.
func TestOrganicNeverSweeps(t *testing.T) {
	for _, seed := range testSeeds {
		w := loadWorld(t, seed)
		planted := w.truth.Planted()
		ix := index(w)
		for a, rs := range ix.lookups {
			if planted[a] != nil {
				continue
			}
			var nums []string
			for _, r := range rs {
				if r.TargetKind == events.TargetPhone {
					nums = append(nums, r.Target)
				}
			}
			slices.Sort(nums)
			nums = slices.Compact(nums)
			for i := 2; i < len(nums); i++ {
				if next(nums[i-2]) == nums[i-1] && next(nums[i-1]) == nums[i] {
					t.Fatalf("seed %d: organic %s looked up %s, %s, %s", seed, a, nums[i-2], nums[i-1], nums[i])
				}
			}
		}
	}
}

// next returns the E.164 number after s within its block ("" at the end).
func next(s string) string {
	v := atoi4(s)
	if v == 9999 {
		return ""
	}
	return s[:len(s)-4] + fmt.Sprintf("%04d", v+1)
}
