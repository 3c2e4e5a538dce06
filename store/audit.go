package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The audit log: (:Audit {id, at, actor, actorKeyId, role, action, subject,
// rows, detail}). Ids are time-ordered (NewID), so the log pages by id.
// Detail is JSON text; callers never put a raw phone number in it.

// RecordAudit stores one audit event and returns it with its id and time.
func (s *Store) RecordAudit(ctx context.Context, ev AuditEvent) (_ AuditEvent, err error) {
	defer wrap(&err, "Store.RecordAudit(%s)", ev.Action)
	cypher, params, err := auditStatement(&ev)
	if err != nil {
		return AuditEvent{}, err
	}
	rows, err := s.apiWrite(ctx, cypher, params)
	if err != nil {
		return AuditEvent{}, err
	}
	return auditFromRow(rows[0].sub("e"))
}

// auditStatement is the write of one audit event (its id filled in when
// empty): a MERGE on the id, so a retried transaction stores it once.
func auditStatement(ev *AuditEvent) (string, map[string]any, error) {
	if ev.Action == "" || ev.Actor == "" {
		return "", nil, fmt.Errorf("%w: an audit event needs an action and an actor", ErrInvalidArgument)
	}
	detail := ""
	if ev.Detail != nil {
		b, err := json.Marshal(ev.Detail)
		if err != nil {
			return "", nil, fmt.Errorf("%w: detail: %w", ErrInvalidArgument, err)
		}
		detail = string(b)
	}
	if ev.ID == "" {
		ev.ID = NewID("aud")
	}
	var subject any
	if ev.Subject != nil {
		subject = *ev.Subject
	}
	return `MERGE (e:Audit {id: $id})
ON CREATE SET e.at = datetime(), e.actor = $actor, e.actorKeyId = $keyId, e.role = $role,
  e.action = $action, e.subject = $subject, e.rows = $rows, e.detail = $detail
RETURN e {.*} AS e`, map[string]any{"id": ev.ID, "actor": ev.Actor, "keyId": ev.ActorKeyID, "role": string(ev.Role),
			"action": ev.Action, "subject": subject, "rows": ev.Rows, "detail": detail}, nil
}

// writeAudited runs an action's write and its audit event in one
// transaction, so both are stored or neither is. audit, called with the
// action's rows, completes the event (subject, rows, ids the action made)
// or returns false when there is nothing to audit (the action matched
// nothing). The transaction is the driver's managed one: retried whole.
func (s *Store) writeAudited(ctx context.Context, cypher string, params map[string]any, audit func([]row) (AuditEvent, bool)) (_ []row, err error) {
	countQuery(ctx)
	localTimes(params)
	ctx, end := s.watch(ctx)
	sess := s.session(ctx, neo4j.AccessModeWrite, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	out, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil {
			return nil, err
		}
		rows := toRows(recs)
		ev, ok := audit(rows)
		if !ok {
			return rows, nil
		}
		acy, ap, err := auditStatement(&ev)
		if err != nil {
			return nil, &callbackError{err}
		}
		if _, err := tx.Run(ctx, acy, ap); err != nil {
			return nil, err
		}
		return rows, nil
	})
	if err != nil {
		return nil, end(classifyIn(ctx, err))
	}
	return out.([]row), end(nil)
}

func auditFromRow(r row) (AuditEvent, error) {
	var c cols
	ev := AuditEvent{ID: field[string](&c, r, "id"), Actor: field[string](&c, r, "actor"), ActorKeyID: field[string](&c, r, "actorKeyId"),
		Role: Role(field[string](&c, r, "role")), Action: field[string](&c, r, "action"), Rows: int(field[int64](&c, r, "rows"))}
	if r["subject"] != nil {
		subject := field[string](&c, r, "subject")
		ev.Subject = &subject
	}
	if t := timeField(&c, r, "at"); t != nil {
		ev.At = *t
	}
	if d := field[string](&c, r, "detail"); d != "" {
		ev.Detail = jsonValue(d)
	}
	if c.err != nil {
		return AuditEvent{}, fmt.Errorf("audit event %q: %w", ev.ID, c.err)
	}
	return ev, nil
}

// AuditEvents returns events newest first, optionally of one action and
// older than the event id before.
func (s *Store) AuditEvents(ctx context.Context, action string, first int, before string) (_ []AuditEvent, err error) {
	defer wrap(&err, "Store.AuditEvents(%q, %d)", action, first)
	if err := checkFirst(first, MaxPage); err != nil {
		return nil, err
	}
	rows, err := s.apiRead(ctx, `MATCH (e:Audit)
WHERE ($action = '' OR e.action = $action) AND ($before = '' OR e.id < $before)
RETURN e {.*} AS e ORDER BY e.id DESC LIMIT $first`, map[string]any{"action": action, "before": before, "first": first})
	if err != nil {
		return nil, err
	}
	out := make([]AuditEvent, 0, len(rows))
	for _, r := range rows {
		ev, err := auditFromRow(r.sub("e"))
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
