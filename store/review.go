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

func reviewFromRow(r row) (Review, error) {
	var c cols
	rv := Review{ID: field[string](&c, r, "id"), NetworkID: field[string](&c, r, "networkId"), Verdict: Verdict(field[string](&c, r, "verdict")),
		Note: field[string](&c, r, "note"), By: field[string](&c, r, "by")}
	if t := timeField(&c, r, "at"); t != nil {
		rv.At = *t
	}
	if c.err != nil {
		return Review{}, fmt.Errorf("Review %q: %w", rv.ID, c.err)
	}
	return rv, nil
}

// ReviewNetwork records a verdict on a network and sets its review status.
// It returns ErrNotFound when the network does not exist.
func (s *Store) ReviewNetwork(ctx context.Context, networkID string, v Verdict, note, by string) (_ Review, err error) {
	defer wrap(&err, "Store.ReviewNetwork(%q, %s)", networkID, v)
	if v.Status() == ReviewUnreviewed {
		return Review{}, fmt.Errorf("%w: unknown verdict %q", ErrInvalidArgument, v)
	}
	// MERGE on a fresh id keeps a driver retry from adding a second review.
	rows, err := s.apiWrite(ctx, `MATCH (n:Network {id: $nid})
MERGE (r:Review {id: $id})
ON CREATE SET r.networkId = $nid, r.verdict = $verdict, r.note = $note, r.by = $by, r.at = datetime()
MERGE (r)-[:REVIEWS]->(n)
SET n.reviewStatus = $status
RETURN r {.*} AS r`, map[string]any{"nid": networkID, "id": NewID("rev"), "verdict": string(v), "note": note,
		"by": by, "status": string(v.Status())})
	if err != nil {
		return Review{}, err
	}
	if len(rows) == 0 {
		return Review{}, ErrNotFound
	}
	return reviewFromRow(rows[0].sub("r"))
}

// ReviewsByNetworks returns the reviews of each network, newest first.
func (s *Store) ReviewsByNetworks(ctx context.Context, ids []string) (_ map[string][]Review, err error) {
	defer wrap(&err, "Store.ReviewsByNetworks(%d ids)", len(ids))
	rows, err := s.apiRead(ctx, `UNWIND $ids AS id MATCH (r:Review {networkId: id})
RETURN r {.*} AS r ORDER BY r.at DESC, r.id DESC`, map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	out := map[string][]Review{}
	for _, r := range rows {
		rv, err := reviewFromRow(r.sub("r"))
		if err != nil {
			return nil, err
		}
		out[rv.NetworkID] = append(out[rv.NetworkID], rv)
	}
	return out, nil
}

// SetAllowlisted puts an account on the allowlist (on) or takes it off.
// It returns ErrNotFound when the account does not exist.
func (s *Store) SetAllowlisted(ctx context.Context, accountID string, on bool, by, reason string) (_ Account, err error) {
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
	rows, err := s.apiWrite(ctx, cypher, map[string]any{"id": accountID, "by": by, "reason": reason})
	if err != nil {
		return Account{}, err
	}
	if len(rows) == 0 {
		return Account{}, ErrNotFound
	}
	return accountFromRow(rows[0].sub("a")), nil
}
