package benchrun

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// The two views whose targets BENCHMARKS.md states, as bench/load's
// BenchmarkAPILoad asks for them.
const (
	AccountQuery = `query($id: ID!) { account(id: $id) { id handle country verified
  ips { ip { addr kind } count last } devices { device { id os } count } } }`
	NetworkQuery = `query($id: ID!) { network(id: $id) { id score size evidence signals { name contribution }
  stateLinked { possible confidence reasons }
  members(first: 100) { totalCount edges { node { score role account { id handle } } } } } }`
)

// benchAPI serves the detected world on a loopback port and measures each
// view through the whole server (HTTP, key check, gqlgen, loaders, Neo4j)
// against the same view's one statement at the store, called directly by
// as many clients (bench/load's BenchmarkViewStatements): what remains is
// the cost of the API layer.
func benchAPI(ctx context.Context, st *store.Store, opts Options, networks []string) ([]Row, error) {
	_, key, err := st.CreateAPIKey(ctx, "bench-viewer", store.RoleViewer)
	if err != nil {
		return nil, err
	}
	// The server's request log would be one line a request: discarded.
	srv := server.New(server.Config{Store: st, HMACKey: opts.HMACKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// One key stands for every client here: lift its limits.
		RatePerSecond: 1e6, RateBurst: 1e6, CostPerSecond: 1e9, CostBurst: 1e9, MaxConnsPerIP: 4 * opts.Clients})
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Shutdown(context.WithoutCancel(ctx))
	url := "http://" + ln.Addr().String() + "/graphql"

	account := func() string { return generate.AccountID(rand.IntN(opts.Accounts)) }
	views := []view{
		{"API: account(id) with IPs and devices", AccountQuery, account,
			func(id string) error { _, err := st.AccountView(ctx, id, 20, 20); return err }},
	}
	if len(networks) > 0 {
		views = append(views, view{"API: network(id) with 100 members and evidence", NetworkQuery, func() string { return networks[rand.IntN(len(networks))] },
			func(id string) error { _, err := st.NetworkView(ctx, id, 101); return err }})
	}
	var rows []Row
	for _, v := range views {
		opts.Log.Info("bench: API", "view", v.name)
		ours, err := measure(ctx, opts, Load{Target: GraphQLTarget(url, key, v.query, func() map[string]any { return map[string]any{"id": v.id()} }), OK: GraphQLOK})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		base, err := measure(ctx, opts, Load{Call: func() error { return v.direct(v.id()) }})
		if err != nil {
			return nil, fmt.Errorf("%s at the store: %w", v.name, err)
		}
		rows = append(rows, rate(v.name, "req/s", ours.Throughput, "the view's one Cypher statement at the store, no HTTP or GraphQL", base.Throughput,
			fmt.Sprintf("%d clients; p50 %.1f / p99 %.1f ms against %.1f / %.1f ms", opts.Clients, ms(ours.Latencies.P50), ms(ours.Latencies.P99), ms(base.Latencies.P50), ms(base.Latencies.P99))))
	}
	rows = append(rows, Row{Name: "API: account(id) against @neo4j/graphql", Unit: "req/s", Baseline: "@neo4j/graphql on the same data",
		Skipped: "needs Node.js and @neo4j/graphql, which this tree does not carry"})
	return rows, nil
}

// view is one API view: its query, how to pick an id, and its statement
// at the store.
type view struct {
	name, query string
	id          func() string
	direct      func(id string) error
}

// measure runs l with opts.Clients clients for a warm-up of
// opts.APIDuration and then a measurement as long, and fails on any failed
// request.
func measure(ctx context.Context, opts Options, l Load) (Measured, error) {
	l.Clients, l.Duration = opts.Clients, opts.APIDuration
	var m Measured
	for range 2 {
		var err error
		if m, err = l.Run(ctx); err != nil {
			return m, err
		}
		if m.Failed > 0 {
			return m, fmt.Errorf("%d of %d requests failed; first: %s", m.Failed, m.Requests, m.FirstErr)
		}
	}
	return m, nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
