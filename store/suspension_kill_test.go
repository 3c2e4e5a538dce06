package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// killHelperEnv makes the test binary a helper process that creates one
// suspension list (the standard re-exec pattern), so the test can kill a
// real process with SIGKILL in the middle of the creation.
const killHelperEnv = "LOCKSTEP_TEST_SUSPENSION_HELPER"

// TestSuspensionListCreationKilled kills (SIGKILL) a process while its
// CreateSuspensionList transaction is running in Neo4j: no list, entry or
// audit record of it is ever visible, during or after, and the same
// creation then succeeds with every selected account.
func TestSuspensionListCreationKilled(t *testing.T) {
	if os.Getenv(killHelperEnv) != "" {
		suspensionHelper()
		return
	}
	if testing.Short() {
		t.Skip("kills a helper process mid-transaction")
	}
	s := storetest.New(t)
	c, cancel := context.WithTimeout(context.Background(), 8*time.Minute) // a busy machine
	defer cancel()
	const accounts, perNetwork = 20000, 400
	runID := writeRun(t, c, s, accounts, perNetwork)
	crit := store.SuspensionCriteria{RunID: runID}
	want, _, err := s.PreviewSuspension(c, crit, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want != accounts {
		t.Fatalf("the criteria select %d accounts, want %d", want, accounts)
	}

	uri, user, password := storetest.Server(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuspensionListCreationKilled$")
	cmd.Env = append(os.Environ(), killHelperEnv+"=1", "HELPER_NEO4J_URI="+uri, "HELPER_NEO4J_USER="+user,
		"HELPER_NEO4J_PASSWORD="+password, "HELPER_RUN="+runID)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	for lines.Scan() && lines.Text() != "creating" {
	}

	// Kill the helper once its transaction is running in Neo4j. (The
	// text sought is a parameter, so this query does not find itself.)
	running := func(text string) int64 {
		return count(t, s, `SHOW TRANSACTIONS YIELD currentQuery WHERE currentQuery CONTAINS $text RETURN count(*) AS n`,
			map[string]any{"text": text})
	}
	deadline := time.Now().Add(time.Minute)
	for running("MERGE (s:SuspensionList") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the helper's creation never showed in SHOW TRANSACTIONS")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // well inside the transaction: part of the list is written
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if lines.Scan() {
		t.Fatalf("the helper said %q: it finished before the kill; make the list bigger", lines.Text())
	}

	// Neo4j rolls the transaction back when it sees the connection gone;
	// until and after then, nothing of it may be visible. (The helper's
	// transaction may be between statements, with no query text: every
	// transaction but this test's SHOW counts.)
	others := func() int64 {
		return count(t, s, `SHOW TRANSACTIONS YIELD currentQuery WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS'
RETURN count(*) AS n`, nil)
	}
	visible := func() {
		t.Helper()
		if n := count(t, s, "MATCH (l:SuspensionList) RETURN count(l) AS n", nil); n != 0 {
			t.Fatalf("%d suspension list(s) visible after the creating process was killed", n)
		}
		if n := count(t, s, "MATCH ()-[i:INCLUDES]->() RETURN count(i) AS n", nil); n != 0 {
			t.Fatalf("%d list entries visible after the creating process was killed", n)
		}
		evs, err := s.AuditEvents(c, "createSuspensionList", 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 0 {
			t.Fatalf("an audit record of the killed creation is visible: %+v", evs[0])
		}
	}
	killed := time.Now()
	for others() > 0 {
		visible()
		if time.Since(killed) > time.Minute {
			t.Fatal("the killed process's transaction still runs a minute later")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("Neo4j ended the killed process's transaction %v after the kill", time.Since(killed).Round(time.Millisecond))
	visible()

	began := time.Now()
	l, err := s.CreateSuspensionList(c, crit, store.AuditEvent{Actor: "test", Role: store.RoleAnalyst, Action: "createSuspensionList"})
	if err != nil {
		t.Fatalf("creating the list again: %v", err)
	}
	t.Logf("the repeated creation of %d entries took %v", l.AccountCount, time.Since(began).Round(time.Millisecond))
	if l.AccountCount != accounts {
		t.Errorf("the repeated creation lists %d accounts, want %d", l.AccountCount, accounts)
	}
	if n := count(t, s, "MATCH (:SuspensionList {id: $id})-[i:INCLUDES]->() RETURN count(i) AS n", map[string]any{"id": l.ID}); n != accounts {
		t.Errorf("the repeated list has %d entries, want %d", n, accounts)
	}
	if n := count(t, s, "MATCH (l:SuspensionList) RETURN count(l) AS n", nil); n != 1 {
		t.Errorf("%d lists after the repeat, want 1", n)
	}
}

// suspensionHelper is the helper process: it creates one list over the
// run named in its environment, saying "creating" just before, and
// "created" if it lives to see the end.
func suspensionHelper() {
	ctx := context.Background()
	s, err := store.Open(ctx, os.Getenv("HELPER_NEO4J_URI"), os.Getenv("HELPER_NEO4J_USER"), os.Getenv("HELPER_NEO4J_PASSWORD"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	fmt.Println("creating")
	_, err = s.CreateSuspensionList(ctx, store.SuspensionCriteria{RunID: os.Getenv("HELPER_RUN")},
		store.AuditEvent{Actor: "helper", Role: store.RoleAnalyst, Action: "createSuspensionList"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	fmt.Println("created")
	os.Exit(0)
}

// writeRun writes a finished detection run whose networks have accounts
// members, perNetwork each, and returns its id.
func writeRun(t *testing.T, c context.Context, s *store.Store, accounts, perNetwork int) string {
	t.Helper()
	rows := make([]map[string]any, accounts)
	for i := range rows {
		rows[i] = map[string]any{"id": fmt.Sprintf("acct-%06d", i)}
	}
	if err := s.WriteRows(c, "UNWIND $rows AS row MERGE (:Account {id: row.id})", rows); err != nil {
		t.Fatal(err)
	}
	runID := store.NewID("run")
	if err := s.StartRun(c, runID, time.Now(), "{}"); err != nil {
		t.Fatal(err)
	}
	var nets []store.NetworkRow
	for i := 0; i < accounts; i += perNetwork {
		n := store.NetworkRow{ID: fmt.Sprintf("%s-n%04d", runID, len(nets)+1), Size: perNetwork, Score: 0.9, Signals: "[]"}
		n.Key = n.ID
		for j := i; j < i+perNetwork && j < accounts; j++ {
			n.Members = append(n.Members, store.MemberRow{AccountID: fmt.Sprintf("acct-%06d", j), Score: 0.9, Role: "core"})
		}
		nets = append(nets, n)
	}
	if err := s.WriteNetworks(c, runID, nets, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(c, runID, time.Now(), "{}"); err != nil {
		t.Fatal(err)
	}
	return runID
}
