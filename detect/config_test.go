package detect

import (
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	cases := []struct {
		name, doc, err string
		check          func(Params) bool
	}{
		{"empty keeps defaults", "", "", func(p Params) bool {
			d := DefaultParams()
			return p.Algorithm == d.Algorithm && p.Projection.HubCap == d.Projection.HubCap && p.Scoring.Threshold == d.Scoring.Threshold
		}},
		{"sections override single fields", `
algorithm: louvain
resolution: 0.8
projection:
  lockstepWindowSeconds: 600
  hubCap: [300, 40, 150]
scoring:
  threshold: 0.6
  watchASNs: [65001]
  weights: {sweep: 0.9}
`, "", func(p Params) bool {
			d := DefaultParams()
			return p.Algorithm == "louvain" && p.Resolution == 0.8 && p.Projection.LockstepWindow == 600 &&
				p.Projection.HubCap[0] == 300 && p.Projection.MinWeight == d.Projection.MinWeight &&
				p.Scoring.Threshold == 0.6 && p.Scoring.WatchASNs[0] == 65001 && p.Scoring.Weights["sweep"] == 0.9 &&
				p.Scoring.Weights["lockstep"] == d.Scoring.Weights["lockstep"]
		}},
		{"json", `{"seed": 7, "scoring": {"minSize": 8}}`, "", func(p Params) bool { return p.Seed == 7 && p.Scoring.MinSize == 8 }},
		{"unknown top-level field", "algoritm: leiden\n", "algoritm", nil},
		{"unknown projection field", "projection:\n  hubcap: 3\n", "hubcap", nil},
		{"bad scoring value", "scoring:\n  threshold: 2\n", "threshold", nil},
		{"bad resolution", "resolution: 0\n", "resolution", nil},
		{"unknown algorithm", "algorithm: kmeans\n", "kmeans", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseParams([]byte(c.doc))
			if wantError(t, err, c.err) {
				return
			}
			if !c.check(p) {
				t.Errorf("params = %+v", p)
			}
		})
	}
}

// wantError checks err against want, a part of the message a table case
// expects ("" for no error), and says whether an error was wanted: the
// case has nothing more to check then.
func wantError(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want one mentioning %q", err, want)
	}
	return true
}
