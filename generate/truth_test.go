package generate

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

func TestEvaluateNetworks(t *testing.T) {
	tr := &Truth{
		Networks: []Network{
			{ID: "enumeration-001", Kind: KindEnumeration, Members: []string{"e1", "e2", "e3", "e4"}},
			{ID: "lockstep-002", Kind: KindLockstep, Members: []string{"l1", "l2"}},
		},
		HardCases: []HardCase{{ID: "campus-1", Kind: HardCampus, Accounts: []string{"c1", "c2"}}},
	}
	type want struct {
		precision, recall    float64
		enumRecall, enumPrec float64
		lockRecall, lockPrec float64
		hard                 int
	}
	for _, tc := range []struct {
		name     string
		networks [][]string
		want     want
	}{
		{"nothing", nil, want{}},
		{"exact", [][]string{{"e1", "e2", "e3", "e4"}, {"l1", "l2"}}, want{1, 1, 1, 1, 1, 1, 0}},
		{"merged with organic", [][]string{{"e1", "e2", "e3", "o1"}}, want{0.75, 0.5, 0.75, 0.75, 0, 0, 0}},
		{"two kinds in one network", [][]string{{"e1", "e2", "l1"}}, want{1, 0.5, 0.5, 2.0 / 3, 0.5, 0, 0}},
		{"campus flagged", [][]string{{"c1", "c2", "o1"}, {"l1", "l2"}}, want{0.4, 1.0 / 3, 0, 0, 1, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tr.EvaluateNetworks(tc.networks)
			got := want{s.Precision, s.Recall, s.ByKind[0].Recall, s.ByKind[0].Precision, s.ByKind[3].Recall, s.ByKind[3].Precision, s.HardCaseHits}
			for i, pair := range [][2]float64{
				{got.precision, tc.want.precision}, {got.recall, tc.want.recall},
				{got.enumRecall, tc.want.enumRecall}, {got.enumPrec, tc.want.enumPrec},
				{got.lockRecall, tc.want.lockRecall}, {got.lockPrec, tc.want.lockPrec},
				{float64(got.hard), float64(tc.want.hard)},
			} {
				if math.Abs(pair[0]-pair[1]) > 1e-9 {
					t.Errorf("value %d: got %+v, want %+v", i, got, tc.want)
					break
				}
			}
		})
	}
}

func TestTruthRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tr, err := ToDir(Config{Accounts: 1000, Seed: 9}, dir)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadTruth(filepath.Join(dir, TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Networks) != len(tr.Networks) || len(back.HardCases) != len(tr.HardCases) || back.Stats.Lookups != tr.Stats.Lookups {
		t.Fatalf("truth.json read back differs: %d/%d networks, %d/%d hard cases", len(back.Networks), len(tr.Networks), len(back.HardCases), len(tr.HardCases))
	}
	if s := back.Evaluate(map[string]bool{}); s.Flagged != 0 || s.Recall != 0 {
		t.Errorf("empty flagged set scored %+v", s)
	}
	if _, err := ReadTruth(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file read without error")
	}
}

// TestEvaluateFalsePositivesAndStateLinked: hard cases hit name the
// networks that hit them; an evasion family is scored after the ordinary
// kinds; the state-linked indicator counts planted state networks mostly
// inside marked networks and marked networks mostly of other accounts.
func TestEvaluateFalsePositivesAndStateLinked(t *testing.T) {
	tr := &Truth{
		Networks: []Network{
			{ID: "merged_state-001", Kind: KindMergedState, StateLinked: true, Members: []string{"s1", "s2", "s3"}, Partner: "merged_state-002"},
			{ID: "merged_state-002", Kind: KindMergedState, Members: []string{"m1", "m2"}, Partner: "merged_state-001"},
		},
		HardCases: []HardCase{
			{ID: "marketing-team-1", Kind: HardMarketingTeam, Accounts: []string{"t1", "t2"}},
			{ID: "support-desk-1", Kind: HardSupportDesk, Accounts: []string{"d1"}},
		},
	}
	nets := [][]string{{"s1", "s2", "m1"}, {"t1", "t2", "o1"}, {"m2", "t2"}}
	s := tr.EvaluateNetworks(nets)
	if n := len(s.ByKind); n != len(plantedKinds)+1 || s.ByKind[n-1].Kind != KindMergedState || s.ByKind[n-1].Found != 4 {
		t.Fatalf("by kind %+v, want the ordinary kinds then merged_state with 4 found", s.ByKind)
	}
	if len(s.FalsePositives) != 1 {
		t.Fatalf("false positives %+v, want the marketing team only", s.FalsePositives)
	}
	if fp := s.FalsePositives[0]; fp.ID != "marketing-team-1" || fp.Accounts != 2 || fmt.Sprint(fp.Networks) != "[1 2]" {
		t.Errorf("false positive %+v, want 2 accounts in networks 1 and 2", fp)
	}
	st := tr.EvaluateStateLinked(nets, []bool{true, true, false})
	if st != (StateScore{Planted: 1, Found: 1, Marked: 2, Wrong: 1}) {
		t.Errorf("state-linked %+v", st)
	}
}
