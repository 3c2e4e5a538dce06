package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// Suspension lists: (:SuspensionList {id, criteria, createdBy, createdAt,
// accountCount})-[:INCLUDES {reason, reasons, networkId, score, runId}]->(:Account).
// An account in several selected networks is listed once, for its
// highest-scoring network. Allowlisted accounts are never listed; victims
// are not members (they are EXPOSED by a network, results.go), so never
// listed either.

// suspensionSelect matches the accounts criteria select, one row per
// account (a, n, m = its best network and membership). Every value is a
// parameter from suspensionParams.
const suspensionSelect = `MATCH (n:Network {runId: $runId})
WHERE n.score >= $minScore
  AND ($networkIds IS NULL OR n.id IN $networkIds)
  AND (NOT $confirmedOnly OR n.reviewStatus = 'CONFIRMED')
MATCH (n)<-[m:MEMBER_OF]-(a:Account)
WHERE NOT coalesce(a.allowlisted, false)
  AND (NOT $excludeVerified OR NOT coalesce(a.verified, false))
WITH a, n, m ORDER BY n.score DESC, n.id
WITH a, head(collect({n: n, m: m})) AS best
WITH a, best.n AS n, best.m AS m
`

// suspensionReasons is the Cypher expression of an entry's reason codes.
const suspensionReasons = `['NETWORK_MEMBER']
  + CASE WHEN m.role IS NULL THEN [] ELSE ['ROLE_' + toUpper(m.role)] END
  + CASE WHEN n.reviewStatus = 'CONFIRMED' THEN ['REVIEW_CONFIRMED'] ELSE [] END
  + CASE WHEN $minScore > 0 THEN ['SCORE_AT_LEAST_' + toString($minScore)] ELSE [] END`

func suspensionParams(c SuspensionCriteria) (map[string]any, error) {
	if c.RunID == "" {
		return nil, fmt.Errorf("%w: criteria.runId is required", ErrInvalidArgument)
	}
	p := map[string]any{"runId": c.RunID, "minScore": 0.0, "networkIds": nil, "confirmedOnly": false, "excludeVerified": true}
	if c.MinScore != nil {
		p["minScore"] = *c.MinScore
	}
	if c.NetworkIds != nil {
		p["networkIds"] = c.NetworkIds
	}
	if c.ConfirmedOnly != nil {
		p["confirmedOnly"] = *c.ConfirmedOnly
	}
	if c.ExcludeVerified != nil {
		p["excludeVerified"] = *c.ExcludeVerified
	}
	return p, nil
}

func entryFromRow(r row) (SuspensionEntry, error) {
	var c cols
	e := SuspensionEntry{AccountID: field[string](&c, r, "accountId"), NetworkID: field[string](&c, r, "networkId"),
		Score: field[float64](&c, r, "score"), RunID: field[string](&c, r, "runId"), Reasons: stringsField(&c, r, "reasons")}
	if c.err != nil {
		return SuspensionEntry{}, fmt.Errorf("suspension entry of account %q: %w", e.AccountID, c.err)
	}
	return e, nil
}

// PreviewSuspension counts the accounts criteria select and returns the
// first sample of them by account id, saving nothing.
func (s *Store) PreviewSuspension(ctx context.Context, c SuspensionCriteria, sample int) (count int, entries []SuspensionEntry, err error) {
	defer wrap(&err, "Store.PreviewSuspension(run %q)", c.RunID)
	p, err := suspensionParams(c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.checkRun(ctx, c.RunID); err != nil {
		return 0, nil, err
	}
	p["sample"] = sample
	recs, err := s.apiRecords(ctx, suspensionSelect+`
WITH a, n, m ORDER BY a.id
WITH collect({accountId: a.id, networkId: n.id, score: n.score, runId: n.runId, reasons: `+suspensionReasons+`}) AS entries
RETURN size(entries) AS count, entries[..$sample] AS sample`, p)
	if err != nil {
		return 0, nil, err
	}
	entries = []SuspensionEntry{}
	var cc cols
	for _, v := range get[[]any](&cc, recs[0], "sample") {
		r, err := elem[map[string]any](v, "sample entry")
		if err != nil {
			return 0, nil, err
		}
		e, err := entryFromRow(r)
		if err != nil {
			return 0, nil, err
		}
		entries = append(entries, e)
	}
	count = int(get[int64](&cc, recs[0], "count"))
	return count, entries, cc.err
}

func (s *Store) checkRun(ctx context.Context, runID string) error {
	recs, err := s.apiRecords(ctx, `MATCH (r:DetectionRun {id: $id}) RETURN r.id AS id`, map[string]any{"id": runID})
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("detection run %q: %w", runID, ErrNotFound)
	}
	return nil
}

// CreateSuspensionList saves the accounts criteria select as a new list,
// in one transaction with its audit event (audit.Actor is the list's
// creator; the event gets the list's id and size).
func (s *Store) CreateSuspensionList(ctx context.Context, c SuspensionCriteria, audit AuditEvent) (_ SuspensionList, err error) {
	defer wrap(&err, "Store.CreateSuspensionList(run %q)", c.RunID)
	p, err := suspensionParams(c)
	if err != nil {
		return SuspensionList{}, err
	}
	if err := s.checkRun(ctx, c.RunID); err != nil {
		return SuspensionList{}, err
	}
	crit, err := json.Marshal(c)
	if err != nil {
		return SuspensionList{}, err
	}
	p["id"], p["by"], p["criteria"] = NewID("sus"), audit.Actor, string(crit)
	// One transaction: a list is all there or not at all. MERGE on the
	// fresh id and the account keeps a retry from duplicating it.
	rows, err := s.writeAudited(ctx, `MERGE (s:SuspensionList {id: $id})
ON CREATE SET s.criteria = $criteria, s.createdBy = $by, s.createdAt = datetime()
WITH s
CALL (s) {
  `+suspensionSelect+`
  MERGE (s)-[i:INCLUDES]->(a)
  SET i.networkId = n.id, i.score = n.score, i.runId = n.runId, i.reasons = `+suspensionReasons+`,
      i.reason = reduce(t = '', x IN `+suspensionReasons+` | t + CASE WHEN t = '' THEN '' ELSE ';' END + x)
  RETURN count(*) AS c
}
SET s.accountCount = c
RETURN s {.*} AS s`, p, func(rows []row) (AuditEvent, bool) {
		l, _ := suspensionFromRow(rows[0].sub("s")) // a decoding error is returned below, from the same row
		audit.Subject, audit.Rows = &l.ID, l.AccountCount
		return audit, true
	})
	if err != nil {
		return SuspensionList{}, err
	}
	return suspensionFromRow(rows[0].sub("s"))
}

func suspensionFromRow(r row) (SuspensionList, error) {
	var c cols
	l := SuspensionList{ID: field[string](&c, r, "id"), Criteria: jsonValue(field[string](&c, r, "criteria")),
		CreatedBy: field[string](&c, r, "createdBy"), AccountCount: int(field[int64](&c, r, "accountCount"))}
	if t := timeField(&c, r, "createdAt"); t != nil {
		l.CreatedAt = *t
	}
	if c.err != nil {
		return SuspensionList{}, fmt.Errorf("SuspensionList %q: %w", l.ID, c.err)
	}
	return l, nil
}

// SuspensionLists returns the newest lists first.
func (s *Store) SuspensionLists(ctx context.Context, first int) (_ []SuspensionList, err error) {
	defer wrap(&err, "Store.SuspensionLists(%d)", first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, err
	}
	recs, err := s.apiRecords(ctx, `MATCH (s:SuspensionList) RETURN s {.*} AS s ORDER BY s.createdAt DESC, s.id DESC LIMIT $first`,
		map[string]any{"first": first})
	if err != nil {
		return nil, err
	}
	return rowsOf(recs, "s", suspensionFromRow)
}

// SuspensionList returns one list, or ErrNotFound.
func (s *Store) SuspensionList(ctx context.Context, id string) (_ SuspensionList, err error) {
	defer wrap(&err, "Store.SuspensionList(%q)", id)
	recs, err := s.apiRecords(ctx, `MATCH (s:SuspensionList {id: $id}) RETURN s {.*} AS s`, map[string]any{"id": id})
	if err != nil {
		return SuspensionList{}, err
	}
	return firstOf(recs, "s", suspensionFromRow)
}

// SuspensionEntries returns up to first entries of a list with account id
// greater than after ("" for the start), in account id order.
func (s *Store) SuspensionEntries(ctx context.Context, listID string, first int, after string) (_ []SuspensionEntry, err error) {
	defer wrap(&err, "Store.SuspensionEntries(%q, %d)", listID, first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, err
	}
	recs, err := s.apiRecords(ctx, `MATCH (:SuspensionList {id: $id})-[i:INCLUDES]->(a:Account) WHERE a.id > $after
RETURN a.id AS accountId, i.networkId AS networkId, i.score AS score, i.runId AS runId, i.reasons AS reasons
ORDER BY a.id LIMIT $first`, map[string]any{"id": listID, "after": after, "first": first})
	if err != nil {
		return nil, err
	}
	return rowsOf(recs, "", entryFromRow)
}

// StreamSuspensionList calls each for every entry of a list in account id
// order, as Neo4j returns them (constant memory however long the list),
// and returns how many entries it withheld: accounts allowlisted since
// the list was saved, checked as each row is read, so an export never
// sends an account an analyst has cleared.
// It returns ErrNotFound, before calling each, when the list does not
// exist. It is not retried: a failure part way is returned to the caller,
// who has already sent part of the list.
func (s *Store) StreamSuspensionList(ctx context.Context, listID string, each func(SuspensionEntry) error) (withheld int, err error) {
	defer wrap(&err, "Store.StreamSuspensionList(%q)", listID)
	if _, err := s.SuspensionList(ctx, listID); err != nil {
		return 0, err
	}
	countQuery(ctx)
	// Ordered by the Account.id uniqueness index, so Neo4j streams rows
	// without sorting the whole list first.
	err = s.Stream(ctx, `MATCH (a:Account)<-[i:INCLUDES]-(:SuspensionList {id: $id})
WHERE a.id IS NOT NULL
RETURN a.id AS accountId, i.networkId AS networkId, i.score AS score, i.runId AS runId, i.reasons AS reasons,
  coalesce(a.allowlisted, false) AS allowlisted
ORDER BY a.id`, map[string]any{"id": listID}, 2000, func(rec *Record) error {
		allowlisted, err := Get[bool](rec, "allowlisted")
		if err != nil {
			return err
		}
		if allowlisted {
			withheld++
			return nil
		}
		e, err := entryFromRow(rec.AsMap())
		if err != nil {
			return err
		}
		return each(e)
	})
	return withheld, err
}

// SuspensionExports returns the completed downloads of a list, newest
// first, read from the audit log: the export writes its digest there, so
// the hash a case report names is the one enforcement received, not one
// computed again later (an allowlisting since would change it). Exports a
// client cut short carry no digest and are left out.
func (s *Store) SuspensionExports(ctx context.Context, listID string, first int) (_ []SuspensionExport, err error) {
	defer wrap(&err, "Store.SuspensionExports(%q, %d)", listID, first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, err
	}
	recs, err := s.apiRecords(ctx, `MATCH (e:Audit {subject: $id}) WHERE e.action = 'export' AND e.detail CONTAINS '"sha256"'
RETURN e {.*} AS e ORDER BY e.id DESC LIMIT $first`, map[string]any{"id": listID, "first": first})
	if err != nil {
		return nil, err
	}
	events, err := rowsOf(recs, "e", auditFromRow)
	if err != nil {
		return nil, err
	}
	var out []SuspensionExport
	for _, ev := range events {
		d, _ := ev.Detail.(map[string]any)
		digest, _ := d["sha256"].(string)
		if digest == "" {
			continue
		}
		format, _ := d["format"].(string)
		withheld, _ := d["withheld"].(float64)
		out = append(out, SuspensionExport{At: ev.At, By: ev.Actor, Format: format, SHA256: digest, Rows: ev.Rows, Withheld: int(withheld)})
	}
	return out, nil
}
