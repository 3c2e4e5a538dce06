package load_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/lockstep-dev/lockstep/benchrun"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// BenchmarkViewStatements runs, at the store and without GraphQL, what
// account(id) and network(id) cost Neo4j: the root's one statement (the
// view with its first pages) against the statements the loaders would run
// without it (root, then one per list), and RETURN 1 for the fixed cost of
// a statement through ExecuteQuery. 32 clients back to back (benchrun's
// driver, which calls them in process through vegeta); it reports
// calls/s and the CPU a call of this process and of Neo4j, after a warm-up
// round (Neo4j's JIT).
//
//	cd bench/load && go test -run '^$' -bench ViewStatements -benchtime 1x -v
func BenchmarkViewStatements(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	const accounts = 3000
	seed(ctx, b, st, accounts)
	neo := neo4jPID(b)
	acc := func() string { return fmt.Sprintf("acc%07d", rand.IntN(accounts)) }
	net := func() string { return fmt.Sprintf("load-net-%d", rand.IntN(networks)) }
	shapes := []struct {
		name  string
		calls int
		run   func() error
	}{
		{"RETURN 1", 3200, func() error { _, err := st.Query(ctx, "RETURN 1 AS x", nil); return err }},
		{"account: root, IPs, devices (3)", 1600, func() error {
			id := acc()
			if _, err := st.Account(ctx, id); err != nil {
				return err
			}
			if _, err := st.IPUsagesByAccounts(ctx, []string{id}, 20); err != nil {
				return err
			}
			_, err := st.DeviceUsagesByAccounts(ctx, []string{id}, 20)
			return err
		}},
		{"account: view (1)", 1600, func() error { _, err := st.AccountView(ctx, acc(), 20, 20); return err }},
		{"network: root, 101 members (2)", 320, func() error {
			id := net()
			if _, err := st.NetworksByIDs(ctx, []string{id}); err != nil {
				return err
			}
			_, err := st.MembersByNetworks(ctx, []string{id}, 101)
			return err
		}},
		{"network: view (1)", 320, func() error { _, err := st.NetworkView(ctx, net(), 101); return err }},
	}
	for round := range 2 {
		for _, s := range shapes {
			goCPU, neoCPU := processCPU(os.Getpid()), processCPU(neo)
			m := run(b, benchrun.Load{Clients: clients, Requests: uint64(s.calls), Call: s.run})
			if m.Failed > 0 {
				b.Fatalf("%s: %d of %d calls failed; first: %s", s.name, m.Failed, m.Requests, m.FirstErr)
			}
			if round == 0 {
				continue
			}
			n := float64(m.Requests)
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("%-32s %6.0f calls/s  CPU a call: this process %.2f ms, Neo4j %.2f ms  (load %.14s)", s.name, m.Throughput,
				ms(processCPU(os.Getpid())-goCPU)/n, ms(processCPU(neo)-neoCPU)/n, load)
		}
	}
}
