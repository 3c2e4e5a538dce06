package detect

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
)

// splitWorld generates a world and returns its records with the instant
// of each (an account's creation, an event's time; 0 when it has none).
func splitWorld(t testing.TB, cfg generate.Config) ([]events.Record, []int64) {
	t.Helper()
	var recs []events.Record
	var at []int64
	if _, err := generate.Stream(cfg, func(r *events.Record) error {
		recs = append(recs, *r)
		switch {
		case r.Time != nil:
			at = append(at, r.Time.Unix())
		case r.CreatedAt != nil:
			at = append(at, r.CreatedAt.Unix())
		default:
			at = append(at, 0)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs, at
}

// quantile returns the instant before which share of the records lie.
func quantile(at []int64, share float64) int64 {
	s := slices.Clone(at)
	slices.Sort(s)
	return s[int(share*float64(len(s)-1))]
}

// stateAt builds the bipartite graph of the records up to cut, fed in
// the order of the cuts before it (each earlier state's records first, as
// an ingest that appended them would have left them), so that dense ids
// of an earlier state stay those of a later one.
func stateAt(t testing.TB, recs []events.Record, at []int64, cuts []int64) *projection.Bipartite {
	t.Helper()
	mb := NewMemoryBuilder(testKey)
	from := int64(-1 << 62)
	for _, cut := range cuts {
		for i := range recs {
			if at[i] > from && at[i] <= cut {
				if err := mb.Add(&recs[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
		from = cut
	}
	return mb.Finish()
}

// sameAnalysis fails t unless got (an incremental run) found what want (a
// full run on the same state) found: the similarity graph edge for edge,
// the partition, and the networks, members, scores and evidence.
func sameAnalysis(t *testing.T, label string, got, want *Analysis) {
	t.Helper()
	if !reflect.DeepEqual(got.Graph.Graph, want.Graph.Graph) {
		t.Errorf("%s: similarity graphs differ: %d edges incremental, %d full", label, got.Graph.Graph.Edges(), want.Graph.Graph.Edges())
	}
	if !slices.Equal(got.Partition.Labels, want.Partition.Labels) || got.Partition.Modularity != want.Partition.Modularity {
		t.Errorf("%s: partitions differ (%d and %d communities)", label, got.Partition.Count, want.Partition.Count)
	}
	if len(got.Networks) != len(want.Networks) {
		t.Errorf("%s: %d networks incremental, %d full", label, len(got.Networks), len(want.Networks))
	}
	for i := range min(len(got.Networks), len(want.Networks)) {
		if g, w := got.Networks[i], want.Networks[i]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: network %d differs:\nincremental %d members, score %v, %v\nfull        %d members, score %v, %v", label, i, g.Size, g.Score, g.Evidence, w.Size, w.Score, w.Evidence)
			break
		}
	}
	if got.Stats.Flagged != want.Stats.Flagged || got.Stats.StateLinked != want.Stats.StateLinked {
		t.Errorf("%s: flagged %d, state-linked %d incremental; %d, %d full", label, got.Stats.Flagged, got.Stats.StateLinked, want.Stats.Flagged, want.Stats.StateLinked)
	}
}

// TestUpdateEqualsAnalyze splits a generated world by time into a base
// (90% of its records), a 9% and a 1% increment, and checks that each
// incremental run, chained from the one before or straight from the base,
// finds exactly what a full run on the same state finds, with and without
// confirmed seeds, while projecting and scoring less than all of it.
func TestUpdateEqualsAnalyze(t *testing.T) {
	for _, adversary := range []bool{false, true} {
		t.Run(fmt.Sprintf("adversary=%v", adversary), func(t *testing.T) {
			t.Parallel()
			cfg := generate.DefaultConfig(4000, 7)
			cfg.Adversary = adversary
			recs, at := splitWorld(t, cfg)
			cuts := []int64{quantile(at, 0.90), quantile(at, 0.99), slices.Max(at)}
			p := DefaultParams()
			ctx := context.Background()
			full := func(b *projection.Bipartite, seeds []int32) *Analysis {
				an, err := Analyze(ctx, b, p, seeds, nil)
				if err != nil {
					t.Fatal(err)
				}
				return an
			}
			b90 := stateAt(t, recs, at, cuts[:1])
			base := full(b90, nil)
			if len(base.Networks) < 2 {
				t.Fatalf("the base state has %d networks; the test needs a world with some", len(base.Networks))
			}
			// Confirmed seeds from the second state on: the members of
			// the base's best network, then also of its second.
			seedsOf := func(nets int) []int32 {
				var s []int32
				for _, n := range base.Networks[:nets] {
					for _, m := range n.Members {
						s = append(s, m.Account)
					}
				}
				slices.Sort(s)
				return slices.Compact(s)
			}
			b99 := stateAt(t, recs, at, cuts[:2])
			b100 := stateAt(t, recs, at, cuts)
			steps := []struct {
				label string
				prev  func() *Analysis
				b     *projection.Bipartite
				seeds []int32
			}{
				{"90% to 99%", func() *Analysis { return base }, b99, nil},
				{"90% to 100%", func() *Analysis { return base }, b100, seedsOf(1)},
			}
			var chained *Analysis
			for _, s := range steps {
				got, err := Update(ctx, s.prev(), s.b, p, s.seeds, nil)
				if err != nil {
					t.Fatal(err)
				}
				sameAnalysis(t, s.label, got, full(s.b, s.seeds))
				if s.label == "90% to 99%" {
					chained = got
				}
				logWork(t, s.label, got)
			}
			// 1% more, chained from an incremental run, with the seeds
			// changing on the way.
			got, err := Update(ctx, chained, b100, p, seedsOf(2), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := full(b100, seedsOf(2))
			sameAnalysis(t, "99% to 100%, chained", got, want)
			logWork(t, "99% to 100%, chained", got)
			if got.Stats.Projection.PairsSeen >= want.Stats.Projection.PairsSeen || got.Stats.Scored >= len(want.Networks) {
				t.Errorf("a 1%% increment re-projected %d of %d pairs and scored %d networks of %d: nothing was carried over",
					got.Stats.Projection.PairsSeen, want.Stats.Projection.PairsSeen, got.Stats.Scored, len(want.Networks))
			}
		})
	}
}

func logWork(t *testing.T, label string, an *Analysis) {
	t.Logf("%s: %d accounts, pairs seen %d, networks %d (%d scored again, %d carried over), %d flagged",
		label, an.Stats.Accounts, an.Stats.Projection.PairsSeen, len(an.Networks), an.Stats.Scored, len(an.Networks)-an.Stats.Scored, an.Stats.Flagged)
}

// TestUpdateRefusesAnotherWorld: a state that does not extend the earlier
// one (ids renumbered) is an error, not a wrong answer.
func TestUpdateRefusesAnotherWorld(t *testing.T) {
	recs, at := splitWorld(t, generate.DefaultConfig(1000, 3))
	cut := quantile(at, 0.9)
	base, err := Analyze(context.Background(), stateAt(t, recs, at, []int64{cut}), DefaultParams(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := splitWorld(t, generate.DefaultConfig(1000, 4))
	mb := NewMemoryBuilder(testKey)
	for i := range other {
		if err := mb.Add(&other[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Update(context.Background(), base, mb.Finish(), DefaultParams(), nil, nil); err == nil {
		t.Fatal("Update accepted a state of another world")
	}
	p := DefaultParams()
	p.Resolution = 2
	if _, err := Update(context.Background(), base, stateAt(t, recs, at, []int64{cut, slices.Max(at)}), p, nil, nil); err == nil {
		t.Fatal("Update accepted other parameters than the earlier run's")
	}
}
