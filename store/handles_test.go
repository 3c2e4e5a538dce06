package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestHandlesConcurrentRuns: runs writing their networks at the same time
// get distinct handles, numbered without gaps; a network naming a
// predecessor gets the predecessor's handle.
func TestHandlesConcurrentRuns(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const runs, per = 6, 5
	got := make([][]store.NetworkRow, runs)
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	for r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]store.NetworkRow, per)
			for i := range rows {
				id := fmt.Sprintf("run-%d-n%d", r, i)
				rows[i] = store.NetworkRow{ID: id, Key: id, Size: 3, Score: 0.9, Signals: "[]"}
			}
			errs <- s.WriteNetworks(ctx, fmt.Sprintf("run-%d", r), rows, nil)
			got[r] = rows
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]string{}
	for _, rows := range got {
		for _, n := range rows {
			if other, dup := seen[n.Handle]; dup {
				t.Errorf("%s and %s both have handle %s", other, n.ID, n.Handle)
			}
			seen[n.Handle] = n.ID
		}
	}
	for i := 1; i <= runs*per; i++ {
		if _, ok := seen[store.FormatHandle(int64(i))]; !ok {
			t.Errorf("handle %s not handed out; handed out %v", store.FormatHandle(int64(i)), seen)
		}
	}

	next := []store.NetworkRow{
		{ID: "run-9-n0", Key: "run-0-n3", PredecessorID: "run-0-n3", Size: 3, Score: 0.9, Signals: "[]"},
		{ID: "run-9-n1", Key: "run-9-n1", Size: 3, Score: 0.8, Signals: "[]"},
	}
	if err := s.WriteNetworks(ctx, "run-9", next, nil); err != nil {
		t.Fatal(err)
	}
	if next[0].Handle != got[0][3].Handle || next[1].Handle != store.FormatHandle(runs*per+1) {
		t.Errorf("continuing network has %s (predecessor %s), new one %s (want %s)", next[0].Handle, got[0][3].Handle, next[1].Handle, store.FormatHandle(runs*per+1))
	}
}
