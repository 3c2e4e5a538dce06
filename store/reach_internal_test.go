package store

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// TestUnreachableFailsFast points a store at a port where nothing listens
// (a real driver, a real refused connection, no Neo4j needed): reads and
// writes end with ErrUnavailable when the probe finds nothing there, long
// before their deadline (the driver alone would sleep and retry until
// then), and once it is known, at once. The fault tests in server and
// detect show the same against a killed Neo4j, and the recovery.
func TestUnreachableFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port that refuses connections
	d, err := neo4j.NewDriverWithContext("bolt://"+addr, neo4j.BasicAuth("neo4j", "x", ""))
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{driver: d, uri: "bolt://" + addr, reach: newReach(d.VerifyConnectivity)}
	defer s.Close(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ops := []struct {
		name string
		run  func() error
	}{
		{"Query", func() error { _, err := s.Query(ctx, "RETURN 1", nil); return err }},
		{"Write", func() error { return s.Write(ctx, "CREATE (:X)", nil) }},
		{"Stream", func() error {
			return s.Stream(ctx, "RETURN 1", nil, 0, func(*Record) error { return nil })
		}},
		{"Ping", func() error { return s.Ping(ctx) }},
	}
	for i, op := range ops {
		start := time.Now()
		err := op.run()
		took := time.Since(start)
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: %v, want ErrUnavailable", op.name, err)
		}
		t.Logf("%s: ErrUnavailable after %v", op.name, took.Round(10*time.Microsecond))
		// Generous for a busy machine: the point is not waiting out
		// the deadline (20 s) or the driver's retries.
		if i == 0 && took > 5*time.Second {
			t.Errorf("%s took %v to fail", op.name, took)
		}
		if i > 0 && took > time.Second {
			t.Errorf("%s took %v to fail though Neo4j was known unreachable", op.name, took)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 600*time.Millisecond)
	defer wcancel()
	if err := s.WaitReachable(wctx); err == nil {
		t.Error("WaitReachable returned though nothing listens")
	}
}
