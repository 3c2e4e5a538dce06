package detect

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
)

// TestBulkLoadWorld loads a generated world into the EMPTY Neo4j at
// NEO4J_URI with plain CREATEs of pre-aggregated nodes and edges, for the
// detection benchmark on worlds too big to ingest in the time at hand.
// It stores exactly what ingest stores (same properties, same target
// hashing), only faster and without ingest's resumability:
//
//	LOCKSTEP_BULK_ACCOUNTS=1000000 LOCKSTEP_BULK_TRUTH=/tmp/truth.json \
//	  NEO4J_URI=... NEO4J_PASSWORD=... go test -run TestBulkLoadWorld -timeout 2h ./detect
func TestBulkLoadWorld(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LOCKSTEP_BULK_ACCOUNTS"))
	if n == 0 || os.Getenv("NEO4J_URI") == "" {
		t.Skip("set LOCKSTEP_BULK_ACCOUNTS and NEO4J_URI (an empty database)")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv("NEO4J_URI"), "neo4j", os.Getenv("NEO4J_PASSWORD"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	type agg struct {
		first, last int64
		count, hits int64
	}
	type ekey struct {
		a int32
		r int32
	}
	var (
		accID   []string
		accRow  []map[string]any
		accIdx  = map[string]int32{}
		ipRows  []map[string]any
		ipIdx   = map[string]int32{}
		ipKey   []string
		devIdx  = map[string]int32{}
		devKey  []string
		tgtIdx  = map[string]int32{}
		tgtRows []map[string]any
		tgtKey  []string
		edges   = [3]map[ekey]*agg{{}, {}, {}}
		matched = map[ekey]bool{}
	)
	h := target.NewHasher(testKey)
	acct := func(id string) int32 {
		if i, ok := accIdx[id]; ok {
			return i
		}
		i := int32(len(accID))
		accIdx[id] = i
		accID = append(accID, id)
		accRow = append(accRow, map[string]any{"id": id})
		return i
	}
	add := func(k int, a, r int32, tm int64, hit int64) {
		e := edges[k][ekey{a, r}]
		if e == nil {
			edges[k][ekey{a, r}] = &agg{tm, tm, 1, hit}
			return
		}
		e.first, e.last = min(e.first, tm), max(e.last, tm)
		e.count++
		e.hits += hit
	}
	began := time.Now()
	truth, err := generate.Stream(generate.DefaultConfig(n, 1), func(r *events.Record) error {
		switch r.Kind {
		case events.KindAccount:
			a := acct(r.ID)
			accRow[a]["createdAt"] = r.CreatedAt.Unix()
			accRow[a]["country"] = r.Country
		case events.KindLogin:
			a := acct(r.Account)
			ip, ok := ipIdx[r.IP]
			if !ok {
				ip = int32(len(ipKey))
				ipIdx[r.IP] = ip
				ipKey = append(ipKey, r.IP)
				ipRows = append(ipRows, map[string]any{"addr": r.IP, "asn": int64(r.IPASN), "asnOrg": r.IPASOrg, "country": r.IPCountry, "kind": r.IPKind})
			}
			add(0, a, ip, r.Time.Unix(), 0)
			if r.Device != "" {
				d, ok := devIdx[r.Device]
				if !ok {
					d = int32(len(devKey))
					devIdx[r.Device] = d
					devKey = append(devKey, r.Device)
				}
				add(1, a, d, r.Time.Unix(), 0)
			}
		case events.KindLookup:
			a := acct(r.Account)
			tg, err := h.Normalise(r.Target, r.TargetKind, r.Region)
			if err != nil {
				return err
			}
			ti, ok := tgtIdx[tg.Key]
			if !ok {
				ti = int32(len(tgtKey))
				tgtIdx[tg.Key] = ti
				tgtKey = append(tgtKey, tg.Key)
				tgtRows = append(tgtRows, map[string]any{"key": tg.Key, "masked": tg.Masked, "kind": tg.Kind, "region": tg.Region, "block": tg.Block, "offset": int64(tg.Offset)})
			}
			var hit int64
			if r.Matched != "" {
				hit = 1
				matched[ekey{acct(r.Matched), ti}] = true
			}
			add(2, a, ti, r.Time.Unix(), hit)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated and aggregated %d accounts, %d IPs, %d devices, %d targets, %d/%d/%d edges in %s",
		len(accID), len(ipKey), len(devKey), len(tgtKey), len(edges[0]), len(edges[1]), len(edges[2]), time.Since(began).Round(time.Second))
	if p := os.Getenv("LOCKSTEP_BULK_TRUTH"); p != "" {
		raw, _ := json.Marshal(truth)
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(what, cypher string, rows []map[string]any) {
		began := time.Now()
		const batch = 20000
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2)
		var mu sync.Mutex
		var firstErr error
		for i := 0; i < len(rows); i += batch {
			chunk := rows[i:min(len(rows), i+batch)]
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := st.WriteRows(ctx, cypher, chunk); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			t.Fatalf("%s: %v", what, firstErr)
		}
		t.Logf("%s: %d rows in %s (%.0f rows/s)", what, len(rows), time.Since(began).Round(time.Millisecond), float64(len(rows))/time.Since(began).Seconds())
	}
	write("accounts", `UNWIND $rows AS r CREATE (a:Account {id: r.id, status: 'active', createdAt: datetime({epochSeconds: r.createdAt}), country: r.country})`, accRow)
	accRow = nil
	write("ips", `UNWIND $rows AS r CREATE (:IP {addr: r.addr, asn: r.asn, asnOrg: r.asnOrg, country: r.country, kind: r.kind})`, ipRows)
	devRows := make([]map[string]any, len(devKey))
	for i, d := range devKey {
		devRows[i] = map[string]any{"id": d}
	}
	write("devices", `UNWIND $rows AS r CREATE (:Device {id: r.id})`, devRows)
	write("targets", `UNWIND $rows AS r CREATE (:Target {key: r.key, masked: r.masked, kind: r.kind, region: r.region, block: r.block, offset: r.offset})`, tgtRows)
	tgtRows = nil
	rels := []struct{ rel, label, key string }{{"USED_IP", "IP", "addr"}, {"USED_DEVICE", "Device", "id"}, {"LOOKED_UP", "Target", "key"}}
	keys := [][]string{ipKey, devKey, tgtKey}
	for k, rl := range rels {
		rows := make([]map[string]any, 0, len(edges[k]))
		// Account order keeps each batch's locks on few accounts, so the
		// two concurrent writers rarely wait for each other.
		order := make([]ekey, 0, len(edges[k]))
		for e := range edges[k] {
			order = append(order, e)
		}
		slices.SortFunc(order, func(x, y ekey) int {
			if x.a != y.a {
				return cmp.Compare(x.a, y.a)
			}
			return cmp.Compare(x.r, y.r)
		})
		for _, e := range order {
			g := edges[k][e]
			m := map[string]any{"a": accID[e.a], "r": keys[k][e.r], "f": g.first, "l": g.last, "c": g.count}
			if k == 2 {
				m["h"] = g.hits
			}
			rows = append(rows, m)
		}
		edges[k] = nil
		hits := ""
		if k == 2 {
			hits = ", hits: r.h"
		}
		write(rl.rel, fmt.Sprintf(`UNWIND $rows AS r MATCH (a:Account {id: r.a}) MATCH (x:%s {%s: r.r})
CREATE (a)-[:%s {first: datetime({epochSeconds: r.f}), last: datetime({epochSeconds: r.l}), count: r.c%s}]->(x)`, rl.label, rl.key, rl.rel, hits), rows)
	}
	mrows := make([]map[string]any, 0, len(matched))
	for e := range matched {
		mrows = append(mrows, map[string]any{"t": tgtKey[e.r], "a": accID[e.a]})
	}
	write("MATCHED", `UNWIND $rows AS r MATCH (t:Target {key: r.t}) MATCH (a:Account {id: r.a}) CREATE (t)-[:MATCHED]->(a)`, mrows)
	t.Logf("world loaded in %s", time.Since(began).Round(time.Second))
}
