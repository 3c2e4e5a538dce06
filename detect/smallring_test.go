package detect

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/scoring"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
)

// addSmallRing adds to mb four accounts on one IP and one device that
// split a sweep of 3,000 consecutive numbers of block (E.164 without the
// last four digits) between them over three days, each member taking
// every fourth number, and returns their ids: the "below the size floor"
// evasion of issue 19.
func addSmallRing(t *testing.T, mb *MemoryBuilder, start time.Time, block string) []string {
	t.Helper()
	add := func(r events.Record) {
		if err := mb.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	created := start.Add(10 * 24 * time.Hour)
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("small-ring-%d", i)
		ids = append(ids, id)
		add(events.Record{Kind: events.KindAccount, ID: id, CreatedAt: events.NewTime(created.Add(time.Duration(i) * time.Minute)), Country: "US"})
		for d := range 3 {
			add(events.Record{Kind: events.KindLogin, Account: id, Time: events.NewTime(created.Add(time.Duration(d)*24*time.Hour + time.Hour)),
				IP: "198.51.100.77", IPASN: 64496, IPCountry: "US", IPKind: "residential", Device: "small-ring-device"})
		}
	}
	for n := range 3000 {
		at := created.Add(time.Hour + time.Duration(n/1000)*24*time.Hour + time.Duration(n%1000)*3*time.Second)
		add(events.Record{Kind: events.KindLookup, Account: ids[n%4], Time: events.NewTime(at),
			Target: fmt.Sprintf("%s%04d", block, n), TargetKind: "phone", Region: "US"})
	}
	return ids
}

// TestSmallSweepingRingReported: four accounts sweeping 3,000 numbers are
// below the size floor (minSize 5) yet reported and flagged, with the
// sentence saying why; with smallMinSwept off the same ring is not
// reported, and in neither case is an organic hard case (families sharing
// a device, friend groups, offices: small linked groups too) flagged.
func TestSmallSweepingRingReported(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a world")
	}
	cfg := generate.DefaultConfig(5000, 1)
	mb := NewMemoryBuilder(testKey)
	truth, err := generate.Stream(cfg, func(r *events.Record) error { return mb.Add(r) })
	if err != nil {
		t.Fatal(err)
	}
	ring := addSmallRing(t, mb, cfg.Start, "+1650253")
	b := mb.Finish()

	run := func(smallMinSwept int) []scoring.Network {
		p := DefaultParams()
		p.Scoring.SmallMinSwept = smallMinSwept
		an, err := Analyze(context.Background(), b, p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return an.Networks
	}
	isRing := map[string]bool{}
	for _, id := range ring {
		isRing[id] = true
	}
	threshold := DefaultParams().Scoring.Threshold

	nets := run(DefaultParams().Scoring.SmallMinSwept)
	var found *scoring.Network
	for i, n := range nets {
		for _, m := range n.Members {
			if isRing[m.ID] && m.Role != scoring.RoleVictim {
				found = &nets[i]
			}
		}
	}
	if found == nil {
		t.Fatal("the 4-account sweeping ring is not reported")
	}
	t.Logf("ring network: size %d, score %.3f; %s", found.Size, found.Score, strings.Join(found.Evidence, " | "))
	if found.Size != 4 || found.Score < threshold {
		t.Errorf("ring network has %d members and score %.3f, want the 4 ring accounts flagged (score >= %.2f)", found.Size, found.Score, threshold)
	}
	if len(found.Evidence) < 2 || !strings.HasPrefix(found.Evidence[1], "Reported though smaller than 5 accounts: its 4 members together looked up 3,000 distinct numbers") {
		t.Errorf("evidence does not say why a network of 4 is reported: %q", found.Evidence)
	}
	flagged := flaggedOf(nets, threshold)
	for _, id := range ring {
		if !flagged[id] {
			t.Errorf("ring member %s not flagged", id)
		}
		delete(flagged, id)
	}
	if sc := truth.Evaluate(flagged); sc.HardCaseHits > 0 || sc.Precision < 0.98 {
		t.Errorf("with small networks reported: precision %.4f, %d hard-case accounts flagged %v", sc.Precision, sc.HardCaseHits, sc.HardCaseByKind)
	}
	// Every other network below the size floor is planted, never organic.
	planted := truth.Planted()
	for _, n := range nets {
		if n.Size >= 5 || n.Score < threshold || n.Community == found.Community {
			continue
		}
		for _, m := range n.Members {
			if m.Role != scoring.RoleVictim && planted[m.ID] == nil {
				t.Errorf("organic account %s flagged in a network of %d: %q", m.ID, n.Size, n.Evidence)
			}
		}
	}

	for _, n := range run(0) {
		for _, m := range n.Members {
			if isRing[m.ID] && m.Role != scoring.RoleVictim {
				t.Fatalf("with smallMinSwept 0 the ring is still reported (network of %d), so the test shows nothing", n.Size)
			}
		}
	}
}

// TestUnallocatedRangeEnumerationReported: the same ring sweeping numbers
// no numbering plan allows (US area code 099) reaches detection, since
// such lookups are kept as invalid targets rather than rejected, and is
// flagged as a sweep of that block.
func TestUnallocatedRangeEnumerationReported(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a world")
	}
	cfg := generate.DefaultConfig(5000, 2)
	mb := NewMemoryBuilder(testKey)
	if _, err := generate.Stream(cfg, func(r *events.Record) error { return mb.Add(r) }); err != nil {
		t.Fatal(err)
	}
	ring := addSmallRing(t, mb, cfg.Start, "+1099555")
	an, err := Analyze(context.Background(), mb.Finish(), DefaultParams(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	flagged := flaggedOf(an.Networks, DefaultParams().Scoring.Threshold)
	for _, id := range ring {
		if !flagged[id] {
			t.Errorf("%s, sweeping an unallocated range, is not flagged", id)
		}
	}
	for _, n := range an.Networks {
		if n.Size == 4 && strings.HasPrefix(n.Members[0].ID, "small-ring") {
			t.Logf("score %.3f: %s", n.Score, n.Evidence[0])
			if !strings.Contains(n.Evidence[0], "+1 099 555 xxxx") {
				t.Errorf("evidence does not name the unallocated block: %q", n.Evidence[0])
			}
			if !strings.Contains(n.Evidence[0], "3,000 distinct numbers they looked up lie in ranges no numbering plan allows") {
				t.Errorf("evidence does not say the numbers cannot exist: %q", n.Evidence[0])
			}
		}
	}
}

// TestScatteredUnallocatedLookupsAreEnumeration: five accounts on one
// address and device each look up 60 scattered numbers (never two in a
// group of 100 beside each other, no group near minGroupFill) in blocks of
// their own. In allocated blocks that fills no group and the sweep signal
// is 0; in blocks no numbering plan allows (US area code 099) the same
// lookups are enumeration whether or not they fill groups: the sweep
// signal is strong and the evidence names the impossible numbers.
func TestScatteredUnallocatedLookupsAreEnumeration(t *testing.T) {
	for _, c := range []struct {
		area    string
		invalid bool
	}{{"415", false}, {"099", true}} {
		t.Run(c.area, func(t *testing.T) {
			mb := NewMemoryBuilder(testKey)
			add := func(r events.Record) {
				if err := mb.Add(&r); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			for i := range 5 {
				id := fmt.Sprintf("scatter-%d", i)
				add(events.Record{Kind: events.KindAccount, ID: id, CreatedAt: events.NewTime(start), Country: "US"})
				add(events.Record{Kind: events.KindLogin, Account: id, Time: events.NewTime(start.Add(time.Hour)),
					IP: "198.51.100.78", IPASN: 64496, IPCountry: "US", IPKind: "residential", Device: "scatter-device"})
				for n := range 60 {
					// Block 55i+n/20 of the area, group n%20·5: three
					// blocks a member, 20 numbers each, one per group.
					number := fmt.Sprintf("+1%s%03d%02d%02d", c.area, 500+10*i+n/20, 5*(n%20), 37)
					add(events.Record{Kind: events.KindLookup, Account: id, Time: events.NewTime(start.Add(2*time.Hour + time.Duration(n)*5*time.Second)),
						Target: number, TargetKind: "phone", Region: "US"})
				}
			}
			an, err := Analyze(context.Background(), mb.Finish(), DefaultParams(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var nw *scoring.Network
			for i, n := range an.Networks {
				if strings.HasPrefix(n.Members[0].ID, "scatter-") {
					nw = &an.Networks[i]
				}
			}
			if nw == nil {
				t.Fatal("the five accounts form no network")
			}
			sweep := signalOf(an.Networks, "scatter-0", scoring.SigSweep)
			t.Logf("score %.3f, sweep %.2f: %s", nw.Score, sweep, strings.Join(nw.Evidence, " | "))
			says := strings.Contains(nw.Evidence[0], "300 distinct numbers they looked up lie in ranges no numbering plan allows")
			if c.invalid {
				if sweep < 0.9 || nw.Score < DefaultParams().Scoring.Threshold || !says {
					t.Errorf("unallocated: sweep %.2f, score %.3f, evidence names the impossible numbers %v; want sweep >= 0.9, flagged, named", sweep, nw.Score, says)
				}
			} else if sweep != 0 || says {
				t.Errorf("allocated: sweep %.2f, evidence names impossible numbers %v; want 0 and no", sweep, says)
			}
		})
	}
}
