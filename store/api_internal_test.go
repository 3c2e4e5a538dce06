package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/signals"
)

func TestParseSignals(t *testing.T) {
	for _, c := range []struct {
		name string
		in   any
		want string
	}{
		// By contribution, not by strength: a strong signal can add
		// nothing when its weight is small or its group is capped.
		{"by contribution", `[{"name":"countrySpread","value":1,"contribution":0},{"name":"sweep","value":0.4,"contribution":0.3,"detail":"x"},{"name":"lockstep","value":0.2,"contribution":0.3}]`,
			"sweep=0.3/0.4 lockstep=0.3/0.2 countrySpread=0/1"},
		{"unknown names left out", `[{"name":"shared_infrastructure","value":0.9},{"name":"hitRatio","value":0.5,"contribution":0.1}]`, "hitRatio=0.1/0.5"},
		{"native list", []any{map[string]any{"name": "volume", "value": 0.5, "contribution": 0.2}}, "volume=0.2/0.5"},
		{"garbage", `not json`, ""},
		{"nil", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var parts []string
			for _, s := range parseSignals(c.in) {
				parts = append(parts, fmt.Sprintf("%s=%g/%g", s.Name, s.Contribution, s.Strength))
			}
			if got := strings.Join(parts, " "); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestContributionProps(t *testing.T) {
	p := contributionProps(`[{"name":"sweep","value":1,"contribution":0.42}]`)
	if len(p) != len(signals.All) || p["contribution_sweep"] != 0.42 || p["contribution_datacenter"] != 0.0 {
		t.Errorf("contributionProps = %v, want every signal, sweep 0.42, the rest 0", p)
	}
}

func TestNetworkCursorRoundTrip(t *testing.T) {
	n := Network{ID: "net_1", Score: 0.75, Size: 12}
	for _, f := range []NetworkOrderField{OrderScore, OrderSize, OrderID} {
		c, err := decodeNetworkCursor(EncodeNetworkCursor(n, f))
		if err != nil || c.ID != "net_1" {
			t.Fatalf("%s: %+v, %v", f, c, err)
		}
	}
}

func FuzzDecodeNetworkCursor(f *testing.F) {
	f.Add(EncodeNetworkCursor(Network{ID: "x", Score: 1}, OrderScore))
	f.Add("")
	f.Add("eyJ2IjoxfQ")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeNetworkCursor(s)
		if err == nil && c.ID == "" {
			t.Fatalf("accepted a cursor without id: %q", s)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %v", err)
		}
	})
}
