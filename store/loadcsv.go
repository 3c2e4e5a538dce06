package store

import (
	"context"
	"fmt"
	"path/filepath"
)

// LoadCSVFile is one file of the LOAD CSV baseline: Neo4j's own bulk
// loader fed exactly the rows our aggregation writes, which ingest's
// benchmarks and `lockstep bench` measure our transactional load against.
// Its statement MERGEs by the same rule as this package's UNWIND writes,
// without the batch markers, which LOAD CSV has no place for.
type LoadCSVFile struct {
	Name   string
	Header []string
	cypher string
}

// LoadCSVFiles lists the baseline's files in the order LoadCSV loads them
// (nodes before the relationships that match them).
var LoadCSVFiles = []LoadCSVFile{
	{"accounts.csv", []string{"id", "handle", "createdAt", "country", "verified"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MERGE (a:Account {id: row.id}) ON CREATE SET a.status = 'active'
  SET a.handle = coalesce(row.handle, a.handle), a.createdAt = coalesce(datetime(row.createdAt), a.createdAt),
      a.country = coalesce(row.country, a.country), a.verified = coalesce(toBoolean(row.verified), a.verified)
} IN TRANSACTIONS OF 10000 ROWS`},
	{"ips.csv", []string{"addr", "asn", "asnOrg", "country", "kind"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MERGE (i:IP {addr: row.addr})
  SET i.asn = coalesce(toInteger(row.asn), i.asn), i.asnOrg = coalesce(row.asnOrg, i.asnOrg),
      i.country = coalesce(row.country, i.country), i.kind = coalesce(row.kind, i.kind, 'unknown')
} IN TRANSACTIONS OF 10000 ROWS`},
	{"devices.csv", []string{"id", "os", "client"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MERGE (d:Device {id: row.id}) SET d.os = coalesce(row.os, d.os), d.client = coalesce(row.client, d.client)
} IN TRANSACTIONS OF 10000 ROWS`},
	{"looked_up.csv", []string{"from", "to", "first", "last", "count", "hits", "masked", "kind", "region", "block", "offset"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MATCH (a:Account {id: row.from})
  MERGE (b:Target {key: row.to})
    ON CREATE SET b.masked = row.masked, b.kind = row.kind, b.region = row.region, b.block = row.block, b.offset = toInteger(row.offset)
  WITH a, b, row, datetime(row.first) AS first, datetime(row.last) AS last, toInteger(row.count) AS count, toInteger(row.hits) AS hits
  MERGE (a)-[r:LOOKED_UP]->(b)
    ON CREATE SET r.first = first, r.last = last, r.count = count, r.hits = hits
    ON MATCH SET r.first = CASE WHEN first < r.first THEN first ELSE r.first END,
                 r.last = CASE WHEN last > r.last THEN last ELSE r.last END,
                 r.count = r.count + count, r.hits = r.hits + hits
} IN TRANSACTIONS OF 10000 ROWS`},
	{"used_ip.csv", []string{"from", "to", "first", "last", "count", "hits"}, edgeLoadCSV("IP", "addr", "USED_IP")},
	{"used_device.csv", []string{"from", "to", "first", "last", "count", "hits"}, edgeLoadCSV("Device", "id", "USED_DEVICE")},
	{"matched.csv", []string{"target", "account"}, `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MATCH (t:Target {key: row.target}) MATCH (a:Account {id: row.account}) MERGE (t)-[:MATCHED]->(a)
} IN TRANSACTIONS OF 10000 ROWS`},
}

func edgeLoadCSV(label, key, rel string) string {
	return `
LOAD CSV WITH HEADERS FROM $url AS row
CALL { WITH row
  MATCH (a:Account {id: row.from}) MATCH (b:` + label + ` {` + key + `: row.to})
  WITH a, b, datetime(row.first) AS first, datetime(row.last) AS last, toInteger(row.count) AS count
  MERGE (a)-[r:` + rel + `]->(b)
    ON CREATE SET r.first = first, r.last = last, r.count = count
    ON MATCH SET r.first = CASE WHEN first < r.first THEN first ELSE r.first END,
                 r.last = CASE WHEN last > r.last THEN last ELSE r.last END,
                 r.count = r.count + count
} IN TRANSACTIONS OF 10000 ROWS`
}

// LoadCSV loads every file of LoadCSVFiles from dir, which must be a
// directory the server itself can read (the managed server, on this
// machine, reads file:// URLs anywhere).
func (s *Store) LoadCSV(ctx context.Context, dir string) (err error) {
	defer wrap(&err, "Store.LoadCSV(%q)", dir)
	for _, f := range LoadCSVFiles {
		if err := s.RunAutoCommit(ctx, f.cypher, map[string]any{"url": "file://" + filepath.Join(dir, f.Name)}); err != nil {
			return fmt.Errorf("LOAD CSV %s: %w", f.Name, err)
		}
	}
	return nil
}
