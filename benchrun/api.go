package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Clients, MaxConnsPerHost: opts.Clients}}
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
		ours, err := drive(ctx, opts, func() error { return graphQL(ctx, client, url, key, v.query, v.id()) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		base, err := drive(ctx, opts, func() error { return v.direct(v.id()) })
		if err != nil {
			return nil, fmt.Errorf("%s at the store: %w", v.name, err)
		}
		rows = append(rows, rate(v.name, "req/s", ours.rate, "the view's one Cypher statement at the store, no HTTP or GraphQL", base.rate,
			fmt.Sprintf("%d clients; p50 %.1f / p99 %.1f ms against %.1f / %.1f ms", opts.Clients, ours.p50, ours.p99, base.p50, base.p99)))
	}
	rows = append(rows, Row{Name: "API: account(id) against @neo4j/graphql", Unit: "req/s", Baseline: "@neo4j/graphql on the same data",
		Skipped: "needs Node.js and @neo4j/graphql, which this tree does not carry"})
	return rows, nil
}

// graphQL posts one query and fails unless the answer is data without
// errors.
func graphQL(ctx context.Context, c *http.Client, url, key, query, id string) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"id": id}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(out, []byte(`{"data":{`)) || bytes.Contains(out, []byte(`"errors":`)) {
		return fmt.Errorf("%s: %.300s", resp.Status, out)
	}
	return nil
}

// view is one API view: its query, how to pick an id, and its statement
// at the store.
type view struct {
	name, query string
	id          func() string
	direct      func(id string) error
}

type driven struct {
	rate, p50, p99 float64 // calls/s; milliseconds
}

// drive runs call from opts.Clients goroutines back to back for a warm-up
// of opts.APIDuration and then a measurement as long, and fails on any
// error.
func drive(ctx context.Context, opts Options, call func() error) (driven, error) {
	var d driven
	for round := range 2 {
		var (
			mu    sync.Mutex
			lat   []time.Duration
			first error
			wg    sync.WaitGroup
		)
		start := time.Now()
		end := start.Add(opts.APIDuration)
		for range opts.Clients {
			wg.Go(func() {
				var mine []time.Duration
				for time.Now().Before(end) && ctx.Err() == nil {
					t := time.Now()
					if err := call(); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if err := errors.Join(first, ctx.Err()); err != nil {
			return d, err
		}
		if round == 0 || len(lat) == 0 {
			continue
		}
		slices.Sort(lat)
		d.rate = float64(len(lat)) / time.Since(start).Seconds()
		d.p50 = float64(lat[len(lat)/2]) / 1e6
		d.p99 = float64(lat[len(lat)*99/100]) / 1e6
	}
	return d, nil
}
