package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"
)

// Detection write-back. A run is (:DetectionRun {id, startedAt, finishedAt,
// status, params, stats, error, readPath}); each network it found is
// (:Network {id, key, runId, size, score, signals, contribution_<signal>,
// countries, stateLinked, stateConfidence, stateReasons, stateReasonSources, evidence,
// predecessorId}) (signals.go) with
// (:Account)-[:MEMBER_OF {score, role}]->(:Network) for members and
// (:Network)-[:EXPOSED {rank, score}]->(:Account) for the accounts its
// lookups matched (the people it targeted: never members, so no consumer
// of MEMBER_OF has to filter them out; rank 1 is the highest score).
// Members also get Account.score and Account.scoreRunId of the latest run
// that flagged them. Earlier runs are never touched: a new run adds nodes under
// its own id, and a failed run deletes only what it wrote itself.
//
// status is "running" while detection works, "finished" with finishedAt
// when it is done, and "failed" with the error when it failed; a failed
// run has no finishedAt, so "the latest finished run" never picks it.

// Run statuses as stored.
const (
	RunStatusRunning  = "running"
	RunStatusFinished = "finished"
	RunStatusFailed   = "failed"
)

// StartRun records a run as running, owned by this process (Owner) with a
// first heartbeat. params is a JSON document.
func (s *Store) StartRun(ctx context.Context, id string, startedAt time.Time, params string) (err error) {
	defer wrap(&err, "Store.StartRun(%q)", id)
	o := Self()
	return s.Write(ctx, `MERGE (r:DetectionRun {id: $id})
SET r.startedAt = $at, r.status = $status, r.params = $params,
  r.ownerHost = $host, r.ownerPid = $pid, r.ownerToken = $token, r.heartbeatAt = datetime()`,
		map[string]any{"id": id, "at": startedAt.UTC(), "status": RunStatusRunning, "params": params,
			"host": o.Host, "pid": int64(o.PID), "token": o.Token})
}

// SetReadPath records how run id's projection read reached the data, so
// the API can say whether a run took the procedure or the Cypher fallback.
func (s *Store) SetReadPath(ctx context.Context, id string, path ReadPath) (err error) {
	defer wrap(&err, "Store.SetReadPath(%q)", id)
	return s.Write(ctx, `MATCH (r:DetectionRun {id: $id}) SET r.readPath = $path`,
		map[string]any{"id": id, "path": string(path)})
}

// RunOwner is the process running a detection run: its host, process id
// and a token drawn at its start (process ids are reused, the token is
// not), and when it last said the run was alive.
type RunOwner struct {
	Host      string
	PID       int
	Token     string
	Heartbeat time.Time // zero for runs recorded before owners were
}

var self = func() RunOwner {
	host, _ := os.Hostname()
	return RunOwner{Host: host, PID: os.Getpid(), Token: NewID("proc")}
}()

// Self is this process as a run owner.
func Self() RunOwner { return self }

// Heartbeat records that run id is still alive.
func (s *Store) Heartbeat(ctx context.Context, id string) (err error) {
	defer wrap(&err, "Store.Heartbeat(%q)", id)
	return s.Write(ctx, `MATCH (r:DetectionRun {id: $id, status: $status}) SET r.heartbeatAt = datetime()`,
		map[string]any{"id": id, "status": RunStatusRunning})
}

// RunningRuns returns the runs recorded as running, with their owners and
// start times.
func (s *Store) RunningRuns(ctx context.Context) (_ map[string]RunOwner, started map[string]time.Time, err error) {
	defer wrap(&err, "Store.RunningRuns")
	recs, err := s.Query(ctx, `MATCH (r:DetectionRun {status: $status})
RETURN r.id AS id, coalesce(r.ownerHost, '') AS host, coalesce(r.ownerPid, -1) AS pid, coalesce(r.ownerToken, '') AS token,
  r.heartbeatAt AS heartbeat, r.startedAt AS startedAt`,
		map[string]any{"status": RunStatusRunning})
	if err != nil {
		return nil, nil, err
	}
	out, started := map[string]RunOwner{}, map[string]time.Time{}
	for _, rec := range recs {
		r := row(rec.AsMap())
		var c cols
		id := field[string](&c, r, "id")
		o := RunOwner{Host: field[string](&c, r, "host"), PID: int(field[int64](&c, r, "pid")), Token: field[string](&c, r, "token")}
		if t := timeField(&c, r, "heartbeat"); t != nil {
			o.Heartbeat = *t
		}
		if t := timeField(&c, r, "startedAt"); t != nil {
			started[id] = *t
		}
		if c.err != nil {
			return nil, nil, fmt.Errorf("run %q: %w", id, c.err)
		}
		out[id] = o
	}
	return out, started, nil
}

// FinishRun marks a run finished with its statistics (a JSON document).
func (s *Store) FinishRun(ctx context.Context, id string, finishedAt time.Time, stats string) (err error) {
	defer wrap(&err, "Store.FinishRun(%q)", id)
	return s.Write(ctx, `MATCH (r:DetectionRun {id: $id})
SET r.finishedAt = $at, r.status = $status, r.stats = $stats`,
		map[string]any{"id": id, "at": finishedAt.UTC(), "status": RunStatusFinished, "stats": stats})
}

// FailRun marks a run failed with its error and deletes the networks it
// had written, in batches, so a half-written run never shows partial
// results; earlier runs stay as they were.
func (s *Store) FailRun(ctx context.Context, id string, at time.Time, cause error) (err error) {
	defer wrap(&err, "Store.FailRun(%q)", id)
	for {
		n, err := s.writeCount(ctx, `MATCH (n:Network {runId: $id}) WITH n LIMIT 500 DETACH DELETE n RETURN count(*) AS n`,
			map[string]any{"id": id})
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	return s.Write(ctx, `MERGE (r:DetectionRun {id: $id})
SET r.status = $status, r.error = $error, r.failedAt = $at`,
		map[string]any{"id": id, "status": RunStatusFailed, "error": msg, "at": at.UTC()})
}

// NetworkRow is a network to write.
type NetworkRow struct {
	ID              string
	Key             string // stable across runs: inherited from the predecessor
	Size            int
	Score           float64
	Signals         string // JSON: [{name, value, contribution, weight, measured, detail}]
	StateLinked     bool
	StateConfidence float64
	StateReasons    []string
	// StateReasonSources[i] is where StateReasons[i] came from:
	// "configuration" or "behaviour".
	StateReasonSources []string
	Evidence           []string
	PredecessorID      string // "" when the network is new
	// Members by registered country and logins by IP country, most first.
	MemberCountries []CountryCount
	LoginCountries  []CountryCount
	// Handle ("N-0042") is normally left "": WriteNetworks gives the
	// network its predecessor's, or the next free one (handles.go).
	Handle  string
	Label   string // one line from the strongest signals
	Members []MemberRow
}

// MemberRow is one MEMBER_OF relationship.
type MemberRow struct {
	AccountID string
	Score     float64
	Role      string
	// StateRing: the network's state-linked indicator rests on a ring
	// inside it that holds this member (scoring.Network.StateMembers);
	// stored as MEMBER_OF.stateRing, absent otherwise.
	StateRing bool
}

// Batch sizes of the write-back: network nodes carry evidence and signals
// (a few KiB each), memberships are small.
const (
	networkBatch    = 500
	membershipBatch = 10000
)

const writeNetworks = `
UNWIND $rows AS row
MERGE (n:Network {id: row.id})
SET n += row.props`

const writeMemberships = `
UNWIND $rows AS row
MATCH (n:Network {id: row.network})
MATCH (a:Account {id: row.account})
FOREACH (_ IN CASE WHEN row.rank IS NULL THEN [1] ELSE [] END |
  MERGE (a)-[m:MEMBER_OF]->(n)
  SET m.score = row.score, m.role = row.role, m.stateRing = row.stateRing, a.score = row.score, a.scoreRunId = row.run)
FOREACH (_ IN CASE WHEN row.rank IS NULL THEN [] ELSE [1] END |
  MERGE (n)-[e:EXPOSED]->(a)
  SET e.rank = row.rank, e.score = row.score)`

// WriteNetworks writes networks and their memberships under runID, in
// batches, each its own retried (idempotent) transaction. progress, if
// not nil, is called with the memberships written so far and their total.
func (s *Store) WriteNetworks(ctx context.Context, runID string, nets []NetworkRow, progress func(done, total int)) (err error) {
	defer wrap(&err, "Store.WriteNetworks(run %q, %d networks)", runID, len(nets))
	if err := s.fillHandles(ctx, nets); err != nil {
		return err
	}
	rows := make([]map[string]any, 0, networkBatch)
	total := 0
	for _, n := range nets {
		total += len(n.Members)
		props := map[string]any{
			"runId": runID, "key": n.Key, "size": int64(n.Size), "score": n.Score, "signals": n.Signals,
			"stateLinked": n.StateLinked, "stateConfidence": n.StateConfidence,
			"stateReasons": nonNil(n.StateReasons), "stateReasonSources": nonNil(n.StateReasonSources), "evidence": nonNil(n.Evidence),
			"countries": countriesJSON(n.MemberCountries, n.LoginCountries),
			"handle":    n.Handle, "label": n.Label,
		}
		maps.Copy(props, contributionProps(n.Signals))
		if n.PredecessorID != "" {
			props["predecessorId"] = n.PredecessorID
		}
		rows = append(rows, map[string]any{"id": n.ID, "props": props})
		if len(rows) == networkBatch {
			if err := s.WriteRows(ctx, writeNetworks, rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	if err := s.WriteRows(ctx, writeNetworks, rows); err != nil {
		return err
	}
	rows = make([]map[string]any, 0, membershipBatch)
	done := 0
	flush := func() error {
		if err := s.WriteRows(ctx, writeMemberships, rows); err != nil {
			return err
		}
		done += len(rows)
		rows = rows[:0]
		if progress != nil {
			progress(done, total)
		}
		return nil
	}
	for _, n := range nets {
		ranks := exposureRanks(n.Members)
		for i, m := range n.Members {
			row := map[string]any{"network": n.ID, "account": m.AccountID, "score": m.Score, "role": m.Role, "run": runID, "rank": nil, "stateRing": nil}
			if m.StateRing {
				row["stateRing"] = true
			}
			if ranks[i] > 0 {
				row["rank"] = ranks[i]
			}
			rows = append(rows, row)
			if len(rows) == membershipBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if len(rows) > 0 {
		return flush()
	}
	return nil
}

// MemberRoleVictim is the MemberRow role of an account the network's lookups
// matched: written as EXPOSED, not MEMBER_OF.
const MemberRoleVictim = "victim"

// exposureRanks gives each victim of members its rank among them (1 for
// the highest score, ties by account id) and 0 to everyone else.
func exposureRanks(members []MemberRow) []int {
	var idx []int
	for i, m := range members {
		if m.Role == MemberRoleVictim {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(members[b].Score, members[a].Score); c != 0 {
			return c
		}
		return cmp.Compare(members[a].AccountID, members[b].AccountID)
	})
	ranks := make([]int, len(members))
	for r, i := range idx {
		ranks[i] = r + 1
	}
	return ranks
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// PreviousNetwork is a network of an earlier run, for matching identities.
type PreviousNetwork struct {
	ID      string
	Key     string
	Members []string // account ids of core and peripheral members
}

// RunNetwork is one network of a run as an evaluation sees it.
type RunNetwork struct {
	ID          string
	Score       float64
	StateLinked bool
	Members     []string // account ids of members (never victims)
	// StateMembers: the members of the ring the indicator rests on
	// (MemberRow.StateRing); empty when it rests on the whole network.
	StateMembers []string
}

// RunNetworks returns every network written by run runID, by id, with its
// score, state-linked indicator (and the ring it rests on) and member ids.
// It costs one read of the
// run's memberships.
func (s *Store) RunNetworks(ctx context.Context, runID string) (_ []RunNetwork, err error) {
	defer wrap(&err, "Store.RunNetworks(%q)", runID)
	var out []RunNetwork
	err = s.Read(ctx, `MATCH (n:Network {runId: $run})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account) WHERE coalesce(m.role, '') <> 'victim'
  RETURN collect(a.id) AS members, collect(CASE WHEN m.stateRing THEN a.id END) AS stateMembers
}
RETURN n.id AS id, n.score AS score, coalesce(n.stateLinked, false) AS stateLinked, members, stateMembers ORDER BY id`, map[string]any{"run": runID},
		func() { out = out[:0] },
		func(rec *Record) error {
			var c cols
			n := RunNetwork{ID: get[string](&c, rec, "id"), Score: get[float64](&c, rec, "score"), StateLinked: get[bool](&c, rec, "stateLinked")}
			n.Members = memberIDs(&c, rec, "members")
			n.StateMembers = memberIDs(&c, rec, "stateMembers")
			if c.err != nil {
				return c.err
			}
			out = append(out, n)
			return nil
		})
	return out, err
}

// memberIDs reads a record's column of account ids.
func memberIDs(c *cols, rec *Record, column string) []string {
	ms := get[[]any](c, rec, column)
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		id, err := elem[string](m, "member id")
		c.fail(err)
		out = append(out, id)
	}
	return out
}

// LatestNetworks returns the id of the most recently finished run other
// than except, and its networks with their (non-victim) members; an empty
// id when there is none.
func (s *Store) LatestNetworks(ctx context.Context, except string) (_ string, _ []PreviousNetwork, err error) {
	defer wrap(&err, "Store.LatestNetworks")
	recs, err := s.Query(ctx, `MATCH (r:DetectionRun) WHERE r.finishedAt IS NOT NULL AND r.id <> $except
RETURN r.id AS id ORDER BY r.finishedAt DESC LIMIT 1`, map[string]any{"except": except})
	if err != nil {
		return "", nil, err
	}
	if len(recs) == 0 {
		return "", nil, nil
	}
	run, err := Get[string](recs[0], "id")
	if err != nil {
		return "", nil, err
	}
	var out []PreviousNetwork
	err = s.Read(ctx, `MATCH (n:Network {runId: $run})
CALL (n) {
  MATCH (n)<-[:MEMBER_OF]-(a:Account)
  RETURN collect(a.id) AS members
}
RETURN n.id AS id, coalesce(n.key, n.id) AS key, members ORDER BY id`, map[string]any{"run": run},
		func() { out = out[:0] },
		func(rec *Record) error {
			var c cols
			p := PreviousNetwork{ID: get[string](&c, rec, "id"), Key: get[string](&c, rec, "key")}
			p.Members = memberIDs(&c, rec, "members")
			if c.err != nil {
				return c.err
			}
			if p.ID == "" {
				return fmt.Errorf("network without id in run %s", run)
			}
			out = append(out, p)
			return nil
		})
	return run, out, err
}
