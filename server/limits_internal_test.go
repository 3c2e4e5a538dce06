package server

import (
	"testing"

	"github.com/lockstep-dev/lockstep/graph"
)

// The complexity cache must know every cost function that reads
// arguments (its key holds the variables passed to them); one it cannot
// place turns the cache off, which this test would show as a nil set.
func TestCachedComplexityFindsArgumentCosts(t *testing.T) {
	costs := complexity()
	es := graph.NewExecutableSchema(graph.Config{Complexity: costs})
	c := newCachedComplexity(100000, costs)
	if err := c.Validate(es); err != nil {
		t.Fatal(err)
	}
	if c.argCost == nil {
		t.Fatal("a cost function with arguments matches no schema field: complexity is never cached")
	}
	for _, f := range []string{"Account.ips", "Account.devices", "Network.members", "Network.memberEvidence", "Query.networks", "Query.neighborhood", "SuspensionList.entries"} {
		if !c.argCost[f] {
			t.Errorf("%s: not known as a cost that reads arguments (known: %v)", f, c.argCost)
		}
	}
	for _, f := range []string{"Account.memberships", "Account.sweep", "Network.signals"} {
		if c.argCost[f] {
			t.Errorf("%s: its cost takes no arguments", f)
		}
	}
}
