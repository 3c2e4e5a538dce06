package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Reviews and the allowlist: analysts' decisions, stored so detection can
// use them (confirmed networks' members seed the next run) and suspension
// lists respect them.
//
// A review is (:Review {id, networkId, verdict, note, by, at})-[:REVIEWS]->(:Network),
// and the network's reviewStatus property holds the latest verdict's status
// so the networks query can filter on it. Detection reads seeds with
// MATCH (:Review {verdict: 'CONFIRM'})-[:REVIEWS]->(:Network)<-[:MEMBER_OF]-(a:Account)
// or MATCH (n:Network {reviewStatus: 'CONFIRMED'})<-[:MEMBER_OF]-(a).

// NewID returns a time-ordered random id with a prefix, e.g. "rev_0192...":
// ids sort by creation time, so lists can page by id.
func NewID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%016x%s", prefix, time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// ReviewNetwork records a verdict on a network and sets its review status,
// in one transaction with its audit event (audit.Actor is the review's
// author; the event gets the network as subject and the review's id). It
// returns ErrNotFound when the network does not exist.
func (s *Store) ReviewNetwork(ctx context.Context, networkID string, v Verdict, note string, audit AuditEvent) (_ Review, err error) {
	defer wrap(&err, "Store.ReviewNetwork(%q, %s)", networkID, v)
	if v.Status() == ReviewUnreviewed {
		return Review{}, fmt.Errorf("%w: unknown verdict %q", ErrInvalidArgument, v)
	}
	id := NewID("rev")
	// MERGE on a fresh id keeps a driver retry from adding a second review.
	rows, err := s.writeAudited(ctx, `MATCH (n:Network {id: $nid})
MERGE (r:Review {id: $id})
ON CREATE SET r.networkId = $nid, r.verdict = $verdict, r.note = $note, r.by = $by, r.at = datetime()
MERGE (r)-[:REVIEWS]->(n)
SET n.reviewStatus = $status
RETURN r {.id, .networkId, .verdict, .note, .by, .at} AS r`, map[string]any{"nid": networkID, "id": id, "verdict": string(v), "note": note,
		"by": audit.Actor, "status": string(v.Status())}, func(rows []row) (AuditEvent, bool) {
		audit.Subject, audit.Rows = &networkID, 1
		audit.Detail = map[string]any{"verdict": v, "reviewId": id}
		return audit, len(rows) > 0
	})
	if err != nil {
		return Review{}, err
	}
	return decodeFirst[Review](rows, "r")
}

// ReviewsByNetworks returns the reviews of each network, newest first.
func (s *Store) ReviewsByNetworks(ctx context.Context, ids []string) (_ map[string][]Review, err error) {
	defer wrap(&err, "Store.ReviewsByNetworks(%d ids)", len(ids))
	recs, err := s.apiRecords(ctx, `UNWIND $ids AS id MATCH (r:Review {networkId: id})
RETURN r {.id, .networkId, .verdict, .note, .by, .at} AS r ORDER BY r.at DESC, r.id DESC`, map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	rows, err := decodeRecords[struct{ R Review }](recs)
	if err != nil {
		return nil, err
	}
	out := map[string][]Review{}
	for _, r := range rows {
		out[r.R.NetworkID] = append(out[r.R.NetworkID], r.R)
	}
	return out, nil
}

// SetAllowlisted puts an account on the allowlist (on) or takes it off, in
// one transaction with its audit event (audit.Actor is who did it; the
// event gets the account as subject and the reason). It returns
// ErrNotFound when the account does not exist.
func (s *Store) SetAllowlisted(ctx context.Context, accountID string, on bool, reason string, audit AuditEvent) (_ Account, err error) {
	defer wrap(&err, "Store.SetAllowlisted(%q, %t)", accountID, on)
	cypher := `MATCH (a:Account {id: $id})
SET a.allowlisted = true, a.allowlistedBy = $by, a.allowlistReason = $reason,
    a.allowlistedAt = coalesce(a.allowlistedAt, datetime())
RETURN ` + accountProjection + ` AS a`
	if !on {
		cypher = `MATCH (a:Account {id: $id})
SET a.allowlisted = false REMOVE a.allowlistedBy, a.allowlistReason, a.allowlistedAt
RETURN ` + accountProjection + ` AS a`
	}
	rows, err := s.writeAudited(ctx, cypher, map[string]any{"id": accountID, "by": audit.Actor, "reason": reason},
		func(rows []row) (AuditEvent, bool) {
			audit.Subject, audit.Rows = &accountID, 1
			if on {
				audit.Detail = map[string]any{"reason": reason}
			}
			return audit, len(rows) > 0
		})
	if err != nil {
		return Account{}, err
	}
	return decodeFirst[Account](rows, "a")
}
