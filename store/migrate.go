package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// schema is every constraint and index Lockstep needs, each created only if
// missing, so Migrate can run at every start. Names are fixed so a changed
// definition shows up as a second index rather than silently replacing one.
// Append new statements at the end; never edit one that has shipped (drop
// it with a new statement instead).
var schema = []string{
	// Uniqueness (each also gives a range index for lookups by that key).
	"CREATE CONSTRAINT account_id IF NOT EXISTS FOR (n:Account) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT ip_addr IF NOT EXISTS FOR (n:IP) REQUIRE n.addr IS UNIQUE",
	"CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT target_key IF NOT EXISTS FOR (n:Target) REQUIRE n.key IS UNIQUE",
	"CREATE CONSTRAINT detection_run_id IF NOT EXISTS FOR (n:DetectionRun) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT network_id IF NOT EXISTS FOR (n:Network) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT suspension_list_id IF NOT EXISTS FOR (n:SuspensionList) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT review_id IF NOT EXISTS FOR (n:Review) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (n:Audit) REQUIRE n.id IS UNIQUE",
	"CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE",
	// What the API and detection filter and sort on.
	"CREATE INDEX api_key_hash IF NOT EXISTS FOR (n:ApiKey) ON (n.hash)",
	"CREATE INDEX network_run_id IF NOT EXISTS FOR (n:Network) ON (n.runId)",
	"CREATE INDEX network_score IF NOT EXISTS FOR (n:Network) ON (n.score)",
	"CREATE INDEX network_run_score IF NOT EXISTS FOR (n:Network) ON (n.runId, n.score)",
	"CREATE INDEX account_status IF NOT EXISTS FOR (n:Account) ON (n.status)",
	"CREATE INDEX account_country IF NOT EXISTS FOR (n:Account) ON (n.country)",
	"CREATE INDEX ip_kind IF NOT EXISTS FOR (n:IP) ON (n.kind)",
	"CREATE INDEX target_block IF NOT EXISTS FOR (n:Target) ON (n.block)",
	"CREATE INDEX detection_run_started IF NOT EXISTS FOR (n:DetectionRun) ON (n.startedAt)",
	"CREATE INDEX audit_at IF NOT EXISTS FOR (n:Audit) ON (n.at)",
}

// Migrate creates the constraints and indexes that are missing and waits
// until all are online, so the writes and reads that follow use them. It is
// safe to run any number of times and concurrently with other Migrates.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer wrap(&err, "Store.Migrate")
	for _, stmt := range schema {
		// Schema commands cannot share a transaction with other
		// statements; each runs alone, retried like any write.
		if err := s.write(ctx, stmt, nil); err != nil && !raceLost(err) {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	// Indexes populate in the background; wait so callers never scan.
	if err := s.write(ctx, "CALL db.awaitIndexes($seconds)", map[string]any{"seconds": int64(300)}); err != nil {
		return fmt.Errorf("waiting for indexes to come online: %w", err)
	}
	return nil
}

// raceLost reports the error of a CREATE ... IF NOT EXISTS that ran at the
// same time as an identical one elsewhere: the check passed in both, one
// created the rule, the other found it there. The schema is as wanted.
func raceLost(err error) bool {
	var ne *neo4j.Neo4jError
	return errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"
}
