package planted

import (
	"math"
	"testing"
)

func TestGenerate(t *testing.T) {
	tests := []struct {
		n      int
		avgDeg float64
		mu     float64
	}{
		{2000, 10, 0.1},
		{5000, 20, 0.3},
	}
	for _, tt := range tests {
		g, truth := Generate(Standard(tt.n, tt.avgDeg, tt.mu, 1))
		if g.Nodes() != tt.n || len(truth) != tt.n {
			t.Fatalf("n=%d: got %d nodes, %d labels", tt.n, g.Nodes(), len(truth))
		}
		avg := float64(2*g.Edges()) / float64(tt.n)
		if math.Abs(avg-tt.avgDeg) > 0.15*tt.avgDeg {
			t.Errorf("n=%d: mean degree %.2f, want about %.0f", tt.n, avg, tt.avgDeg)
		}
		var out, all float64
		for u := range int32(tt.n) {
			for v := range g.Adjacent(u) {
				all++
				if truth[u] != truth[v] {
					out++
				}
			}
		}
		if mu := out / all; math.Abs(mu-tt.mu) > 0.05 {
			t.Errorf("n=%d: measured μ %.3f, want about %.2f", tt.n, mu, tt.mu)
		}
		t.Logf("n=%d: %d edges, mean degree %.2f, μ %.3f", tt.n, g.Edges(), avg, out/all)
	}
}
