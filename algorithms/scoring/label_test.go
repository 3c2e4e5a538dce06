package scoring

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/target"
)

// digits counts the decimal digits of s.
func digits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// TestLabelFromSignals reads the labels of the test world's ring and
// family: the ring's names its swept block (no finer than the group
// mask), its size and its login country; the family's its strongest
// signal and size.
func TestLabelFromSignals(t *testing.T) {
	nws := networks(t, world(t), DefaultConfig(), nil)
	ring, fam := find(nws, "ring00"), find(nws, "fam0")
	if ring == nil || fam == nil {
		t.Fatalf("ring or family not scored: %d networks", len(nws))
	}
	t.Logf("ring %q, family %q", ring.Label, fam.Label)
	if want := "+1 415-555-xxxx sweep · 20 accounts · NL"; ring.Label != want {
		t.Errorf("ring label %q, want %q", ring.Label, want)
	}
	if !strings.Contains(fam.Label, "5 accounts") || !strings.Contains(fam.Label, "US") {
		t.Errorf("family label %q lacks its size or country", fam.Label)
	}
	group := target.GroupLabel("+1415555", 4321)
	for _, n := range []*Network{ring, fam} {
		phone, _, ok := strings.Cut(n.Label, " sweep")
		if !ok {
			continue
		}
		if digits(phone) > digits(group) || !strings.HasPrefix(group, strings.TrimSuffix(phone, "xxxx")) {
			t.Errorf("label %q shows more of the number than its group mask %q", n.Label, group)
		}
	}
}

func TestLabel(t *testing.T) {
	sweep := Signal{Name: SigSweep, Contribution: 0.4}
	lock := Signal{Name: SigLockstep, Contribution: 0.5}
	none := Signal{Name: SigDatacenter}
	for _, c := range []struct {
		name      string
		size      int
		sigs      []Signal
		block     string
		countries []string
		want      string
	}{
		{"sweep strongest names the block", 10, []Signal{lock, {Name: SigSweep, Contribution: 0.6}}, "+7926555", []string{"RU", "GB", "US"}, "+7 926 555 xxxx sweep · 10 accounts · RU GB US"},
		{"another signal strongest", 3, []Signal{sweep, lock}, "+7926555", nil, "Lockstep lookups · 3 accounts"},
		{"sweep without a block", 4, []Signal{sweep}, "", []string{"DE"}, "Number sweep · 4 accounts · DE"},
		{"nothing contributed", 1, []Signal{none}, "", nil, "1 account"},
		{"more countries than shown", 12, nil, "", []string{"A1", "B2", "C3", "D4", "E5"}, "12 accounts · A1 B2 C3 +2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := label(c.size, c.sigs, c.block, c.countries); got != c.want {
				t.Errorf("label %q, want %q", got, c.want)
			}
		})
	}
	// However long the block, a label never shows a digit the block's
	// group mask hides.
	raw := regexp.MustCompile(`\+[\d -]+`)
	for _, block := range []string{"+7926555", "+1415555", "+44207946", "+4930901820", "+8613800138"} {
		l := label(5, []Signal{sweep}, block, nil)
		if got, max := digits(raw.FindString(l)), digits(target.GroupLabel(block, 9999)); got > max-2 {
			t.Errorf("block %s: label %q shows %d digits, group mask %d", block, l, got, max)
		}
	}
}
