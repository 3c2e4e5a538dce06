package store_test

import (
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/signals"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

// TestSignalFilter: a network's signals filter by contribution, for
// networks detection writes now and for those an earlier version wrote
// (signals JSON only), which Migrate gives their contribution properties.
func TestSignalFilter(t *testing.T) {
	s := storetest.New(t)
	detail := "x"
	row := func(id string, score float64, sigs ...store.Signal) store.NetworkRow {
		return store.NetworkRow{ID: id, Key: id, Size: 2, Score: score, Signals: store.SignalsJSON(sigs)}
	}
	if err := s.WriteNetworks(ctx(t), "run-s", []store.NetworkRow{
		row("sweeper", 0.6, store.Signal{Name: signals.Sweep, Contribution: 0.4, Strength: 0.6, Detail: &detail}, store.Signal{Name: signals.Datacenter, Strength: 1}),
		row("quiet", 0.5, store.Signal{Name: signals.Sweep, Contribution: 0.01, Strength: 0.02}, store.Signal{Name: signals.Datacenter, Contribution: 0.03, Strength: 0.1}),
	}, nil); err != nil {
		t.Fatal(err)
	}
	// As an earlier version wrote it: no contribution properties.
	if err := s.WriteRows(ctx(t), `UNWIND $rows AS r CREATE (:Network {id: r.id, key: r.id, runId: 'run-s', size: 2, score: 0.3, signals: r.signals})`,
		[]map[string]any{{"id": "old", "signals": `[{"name":"sweep","value":0.5,"contribution":0.25}]`}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name signals.Name
		min  float64
		want []string
	}{
		{signals.Sweep, 0.02, []string{"sweeper", "old"}},
		{signals.Sweep, 0.3, []string{"sweeper"}},
		{signals.Datacenter, 0.02, []string{"quiet"}}, // strength 1 but no contribution: not kept
		{signals.Lockstep, 0.02, nil},
		{signals.Lockstep, 0, []string{"sweeper", "quiet", "old"}},
	} {
		q := store.NetworkQuery{RunID: "run-s", OrderField: store.OrderScore, Direction: store.Desc, Signal: &store.SignalFilter{Name: c.name, MinContribution: c.min}}
		conn, err := s.Networks(ctx(t), q, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range conn.Edges {
			got = append(got, e.Node.ID)
		}
		total, err := s.CountNetworks(ctx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") || total != len(c.want) {
			t.Errorf("%s >= %v: got %v (total %d), want %v", c.name, c.min, got, total, c.want)
		}
	}
	nets, err := s.NetworksByIDs(ctx(t), []string{"sweeper"})
	if err != nil {
		t.Fatal(err)
	}
	if sg := nets["sweeper"].Signals; len(sg) != 2 || sg[0].Name != signals.Sweep || sg[0].Contribution != 0.4 || sg[0].Detail == nil || *sg[0].Detail != "x" {
		t.Errorf("signals read back = %+v", sg)
	}
}
