package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Ingest writes. Package ingest validates and aggregates raw events; these
// functions only MERGE what it hands over. The rule that makes a re-load or
// a resumed load count every event exactly once is in WriteEdges: edge
// counts are additive, so each batch of edges is written in one transaction
// together with an (:IngestBatch {id}) marker, whose uniqueness constraint
// makes a second attempt at the same batch fail as a whole. Node writes are
// plain MERGE + SET, idempotent by themselves.

// AccountRow is an Account to merge. Empty strings, a zero CreatedAt and a
// nil Verified leave the stored property as it is (a login only names its
// account; the account record brings the properties).
type AccountRow struct {
	ID        string
	Handle    string
	CreatedAt time.Time
	Country   string
	Verified  *bool
}

// IPRow is an IP to merge; zero fields leave the stored value.
type IPRow struct {
	Addr    string
	ASN     uint32
	ASOrg   string
	Country string
	Kind    string
}

// DeviceRow is a Device to merge; empty fields leave the stored value.
type DeviceRow struct {
	ID, OS, Client string
}

// TargetRow is a Target to merge (all fields follow from the key, so they
// are only set when the node is created). Invalid marks a number no
// numbering plan allows (target.Target.Invalid): stored as invalid: true,
// and left out otherwise.
type TargetRow struct {
	Key, Masked, Kind, Region, Block string
	Offset                           int
	Invalid                          bool
}

// EdgeRow is an aggregated edge from an Account (From) to an IP, Device or
// Target (To): seen Count times between First and Last; Hits counts the
// lookups among them that matched an account (LOOKED_UP only).
type EdgeRow struct {
	From, To    string
	First, Last time.Time
	Count, Hits int64
	// Target, for LOOKED_UP, is the target node, merged by the same
	// statement (one index lookup instead of a separate node pass).
	Target *TargetRow
}

// MatchRow says that a lookup of Target returned Account.
type MatchRow struct {
	Target, Account string
}

// Relationship types that WriteEdges accepts.
const (
	RelUsedIP     = "USED_IP"
	RelUsedDevice = "USED_DEVICE"
	RelLookedUp   = "LOOKED_UP"
)

// ErrBatchDone is returned by WriteEdges when the batch was committed
// before (by an earlier load of the same data or before a crash).
var ErrBatchDone = errors.New("ingest batch already committed")

const mergeAccounts = `
UNWIND $rows AS row
MERGE (a:Account {id: row.id})
  ON CREATE SET a.status = 'active'
SET a.handle = coalesce(row.handle, a.handle),
    a.createdAt = coalesce(row.createdAt, a.createdAt),
    a.country = coalesce(row.country, a.country),
    a.verified = coalesce(row.verified, a.verified)`

const mergeIPs = `
UNWIND $rows AS row
MERGE (i:IP {addr: row.addr})
SET i.asn = coalesce(row.asn, i.asn),
    i.asnOrg = coalesce(row.asnOrg, i.asnOrg),
    i.country = coalesce(row.country, i.country),
    i.kind = coalesce(row.kind, i.kind, 'unknown')`

const mergeDevices = `
UNWIND $rows AS row
MERGE (d:Device {id: row.id})
SET d.os = coalesce(row.os, d.os),
    d.client = coalesce(row.client, d.client)`

const mergeTargets = `
UNWIND $rows AS row
MERGE (t:Target {key: row.key})
  ON CREATE SET t.masked = row.masked, t.kind = row.kind, t.region = row.region,
                t.block = row.block, t.offset = row.offset, t.invalid = row.invalid`

const mergeMatched = `
UNWIND $rows AS row
MATCH (t:Target {key: row.target})
MATCH (a:Account {id: row.account})
MERGE (t)-[:MATCHED]->(a)`

// edgeCypher merges one relationship type. The marker comes first: if the
// batch was committed before, the CREATE fails on the constraint and
// nothing of the statement is applied. Counts add up and first/last widen,
// which is right across batches because no batch is applied twice.
var edgeCypher = map[string]string{
	RelUsedIP:     edgeStatement("IP", "addr", RelUsedIP, ""),
	RelUsedDevice: edgeStatement("Device", "id", RelUsedDevice, ""),
	RelLookedUp:   edgeStatement("Target", "key", RelLookedUp, "hits"),
}

func edgeStatement(label, key, rel, hits string) string {
	end := "MATCH (b:" + label + " {" + key + ": row.to})"
	if label == "Target" {
		end = `MERGE (b:Target {key: row.to})
  ON CREATE SET b.masked = row.masked, b.kind = row.kind, b.region = row.region,
                b.block = row.block, b.offset = row.offset, b.invalid = row.invalid`
	}
	onCreate := "r.first = row.first, r.last = row.last, r.count = row.count"
	onMatch := `r.first = CASE WHEN row.first < r.first THEN row.first ELSE r.first END,
      r.last = CASE WHEN row.last > r.last THEN row.last ELSE r.last END,
      r.count = r.count + row.count`
	if hits != "" {
		onCreate += ", r.hits = row.hits"
		onMatch += ", r.hits = coalesce(r.hits, 0) + row.hits"
	}
	return `
CREATE (:IngestBatch {id: $batch, at: datetime()})
WITH 1 AS one
UNWIND $rows AS row
MATCH (a:Account {id: row.from})
` + end + `
MERGE (a)-[r:` + rel + `]->(b)
  ON CREATE SET ` + onCreate + `
  ON MATCH SET ` + onMatch
}

// MergeAccounts merges accounts (one transaction).
func (s *Store) MergeAccounts(ctx context.Context, rows []AccountRow) error {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"id": r.ID, "handle": nilIfEmpty(r.Handle), "country": nilIfEmpty(r.Country), "createdAt": nil, "verified": nil}
		if !r.CreatedAt.IsZero() {
			m["createdAt"] = r.CreatedAt.In(zulu)
		}
		if r.Verified != nil {
			m["verified"] = *r.Verified
		}
		out[i] = m
	}
	return s.WriteRows(ctx, mergeAccounts, out)
}

// MergeIPs merges IP addresses (one transaction).
func (s *Store) MergeIPs(ctx context.Context, rows []IPRow) error {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"addr": r.Addr, "asn": nil, "asnOrg": nilIfEmpty(r.ASOrg), "country": nilIfEmpty(r.Country), "kind": nilIfEmpty(r.Kind)}
		if r.ASN != 0 {
			m["asn"] = int64(r.ASN)
		}
		out[i] = m
	}
	return s.WriteRows(ctx, mergeIPs, out)
}

// MergeDevices merges devices (one transaction).
func (s *Store) MergeDevices(ctx context.Context, rows []DeviceRow) error {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{"id": r.ID, "os": nilIfEmpty(r.OS), "client": nilIfEmpty(r.Client)}
	}
	return s.WriteRows(ctx, mergeDevices, out)
}

// MergeTargets merges lookup targets (one transaction).
func (s *Store) MergeTargets(ctx context.Context, rows []TargetRow) error {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{"key": r.Key, "masked": r.Masked, "kind": r.Kind, "region": nilIfEmpty(r.Region), "block": r.Block, "offset": int64(r.Offset), "invalid": trueOrNil(r.Invalid)}
	}
	return s.WriteRows(ctx, mergeTargets, out)
}

// MergeMatched merges MATCHED relationships (one transaction); both ends
// must exist (rows whose ends do not are skipped).
func (s *Store) MergeMatched(ctx context.Context, rows []MatchRow) error {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{"target": r.Target, "account": r.Account}
	}
	return s.WriteRows(ctx, mergeMatched, out)
}

// WriteEdges adds one batch of aggregated edges of type rel (RelUsedIP,
// RelUsedDevice, RelLookedUp) in one transaction with the marker
// (:IngestBatch {id: batch}). It returns ErrBatchDone, having changed
// nothing, if that marker exists. Accounts, IPs and devices must exist
// (rows whose ends do not are skipped); LOOKED_UP merges its Target from
// the row's Target.
func (s *Store) WriteEdges(ctx context.Context, batch, rel string, rows []EdgeRow) (err error) {
	cypher, ok := edgeCypher[rel]
	if !ok {
		return fmt.Errorf("%w: relationship type %q", ErrInvalidArgument, rel)
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"from": r.From, "to": r.To, "first": r.First.In(zulu), "last": r.Last.In(zulu), "count": r.Count}
		if rel == RelLookedUp {
			m["hits"] = r.Hits
			if t := r.Target; t != nil {
				m["masked"], m["kind"], m["region"], m["block"], m["offset"] = t.Masked, t.Kind, nilIfEmpty(t.Region), t.Block, int64(t.Offset)
				m["invalid"] = trueOrNil(t.Invalid)
			} else {
				return fmt.Errorf("%w: LOOKED_UP row without its target's properties", ErrInvalidArgument)
			}
		}
		out[i] = m
	}
	err = s.Write(ctx, cypher, map[string]any{"batch": batch, "rows": out})
	var ne *neo4j.Neo4jError
	if errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.ConstraintValidationFailed" {
		return ErrBatchDone
	}
	if err != nil {
		return fmt.Errorf("Store.WriteEdges(%s, %s, %d rows): %w", batch, rel, len(rows), err)
	}
	return nil
}

// IngestBatches returns the ids of the committed batch markers whose id
// starts with prefix (those of one chunk, when resuming it).
func (s *Store) IngestBatches(ctx context.Context, prefix string) (map[string]bool, error) {
	recs, err := s.Query(ctx, "MATCH (b:IngestBatch) WHERE b.id STARTS WITH $prefix RETURN b.id AS id", map[string]any{"prefix": prefix})
	if err != nil {
		return nil, fmt.Errorf("Store.IngestBatches(%s): %w", prefix, err)
	}
	done := make(map[string]bool, len(recs))
	for _, rec := range recs {
		id, err := Get[string](rec, "id")
		if err != nil {
			return nil, err
		}
		done[id] = true
	}
	return done, nil
}

// MarkIngestBatch records that a whole chunk is committed (its edges carry
// their own markers; this one lets a re-load skip the chunk's node writes
// too). Idempotent.
func (s *Store) MarkIngestBatch(ctx context.Context, id string, props map[string]any) error {
	err := s.Write(ctx, "MERGE (b:IngestBatch {id: $id}) SET b += $props, b.at = datetime()", map[string]any{"id": id, "props": props})
	if err != nil {
		return fmt.Errorf("Store.MarkIngestBatch(%s): %w", id, err)
	}
	return nil
}

// DeleteChunkMarkers deletes the markers of whole chunks (those
// MarkIngestBatch writes), keeping the edge sub-batch markers, so that a
// re-load merges every chunk's nodes again: how a test shows that the
// sub-batch markers alone keep edges from counting twice.
func (s *Store) DeleteChunkMarkers(ctx context.Context) error {
	if err := s.Write(ctx, "MATCH (b:IngestBatch) WHERE NOT b.id CONTAINS '/' DELETE b", nil); err != nil {
		return fmt.Errorf("Store.DeleteChunkMarkers: %w", err)
	}
	return nil
}

// zulu is UTC as a fixed offset: the driver sends a time in a zone named
// "Offset" as a DateTime with offset +00:00 ("2024-03-01T10:00:00Z") rather
// than with the zone id "UTC" ("...Z[UTC]").
var zulu = time.FixedZone("Offset", 0)

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// trueOrNil stores a flag only where it holds, as the bulk load does.
func trueOrNil(b bool) any {
	if b {
		return true
	}
	return nil
}

// RunAutoCommit runs one statement in an auto-commit transaction, which
// `CALL { ... } IN TRANSACTIONS` requires (the LOAD CSV baseline of the
// ingest benchmark). Not retried: use it only for statements that may run
// twice.
func (s *Store) RunAutoCommit(ctx context.Context, cypher string, params map[string]any) error {
	sess := s.session(ctx, neo4j.AccessModeWrite, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	res, err := sess.Run(ctx, cypher, params)
	if err != nil {
		return classifyIn(ctx, err)
	}
	_, err = res.Consume(ctx)
	return classifyIn(ctx, err)
}
