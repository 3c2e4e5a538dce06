package scoring

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/lockstep-dev/lockstep/target"
)

// labelCountries is how many login countries a label names.
const labelCountries = 3

// label names a network in one line from its strongest signals, for lists
// where its id says nothing to a person: the signal that contributed most
// to the score (a sweep names its number block, masked as
// target.BlockLabel does: fewer digits than a number's group of 100, the
// finest the API ever shows), the member count and the login countries,
// "+7 926 555-xxxx sweep · 10 accounts · GB RU US +2". sweepBlock is the
// swept block (E.164 without its last four digits), "" for none; countries
// are the login countries in the order to show them.
func label(size int, sigs []Signal, sweepBlock string, countries []string) string {
	var parts []string
	if len(sigs) > 0 {
		top := slices.MaxFunc(sigs, func(x, y Signal) int { return cmp.Compare(x.Contribution, y.Contribution) })
		switch {
		case top.Contribution <= 0:
		case top.Name == SigSweep && sweepBlock != "":
			parts = append(parts, target.BlockLabel(sweepBlock)+" sweep")
		default:
			parts = append(parts, top.Name.Title())
		}
	}
	parts = append(parts, plural(size, "account"))
	if len(countries) > 0 {
		c := strings.Join(countries[:min(labelCountries, len(countries))], " ")
		if more := len(countries) - labelCountries; more > 0 {
			c += fmt.Sprintf(" +%d", more)
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, " · ")
}
