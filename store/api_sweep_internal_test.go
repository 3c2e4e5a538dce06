package store

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The bins mirror frontend/src/lib/sweep.test.ts (binSweep with 100 bins),
// so the API and the UI's reference computation agree; the run counts
// whole groups only.
func TestSummariseSweep(t *testing.T) {
	walk := make([]int, 500)
	for i := range walk {
		walk[i] = 2000 + i
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(walk), func(i, j int) { walk[i], walk[j] = walk[j], walk[i] })
	for _, c := range []struct {
		name     string
		in       []int
		distinct int
		run      int
		bins     map[int]int // non-zero bins
	}{
		{"empty", nil, 0, 0, nil},
		{"single", []int{42}, 1, 0, map[int]int{0: 1}},
		{"shuffled short walk", []int{5, 3, 4, 9, 6, 2}, 6, 0, map[int]int{0: 6}},
		{"duplicates count once", []int{1, 2, 2, 3, 3, 3}, 3, 0, map[int]int{0: 3}},
		{"bin edges", []int{0, 99, 100, 100, 9999}, 4, 0, map[int]int{0: 2, 1: 1, 99: 1}},
		{"outside the block is ignored", []int{-1, 10000, 7}, 1, 0, map[int]int{0: 1}},
		{"run across bins is not a group run", []int{98, 99, 100, 101}, 4, 0, map[int]int{0: 2, 1: 2}},
		{"shuffled sweep of 500", walk, 500, 500, map[int]int{20: 100, 21: 100, 22: 100, 23: 100, 24: 100}},
		{"sweep's partial ends left out", seq(2950, 3949), 1000, 900, map[int]int{29: 50, 30: 100, 31: 100, 32: 100, 33: 100, 34: 100, 35: 100, 36: 100, 37: 100, 38: 100, 39: 50}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := summariseSweep(slices.Clone(c.in))
			want := make([]int, SweepBins)
			for i, n := range c.bins {
				want[i] = n
			}
			if got.Distinct != c.distinct || got.LongestRun != c.run || !slices.Equal(got.Bins, want) {
				t.Errorf("summariseSweep(%v) = distinct %d run %d bins %v; want %d %d %v", c.in, got.Distinct, got.LongestRun, got.Bins, c.distinct, c.run, want)
			}
		})
	}
}

// seq returns the offsets from..to.
func seq(from, to int) []int {
	var out []int
	for o := from; o <= to; o++ {
		out = append(out, o)
	}
	return out
}

// FuzzSummariseSweep checks summariseSweep against the obvious set-based
// computation for any offsets.
func FuzzSummariseSweep(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 200, 201})
	f.Add([]byte{255, 255, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var offsets []int
		for i := 0; i+1 < len(data); i += 2 {
			// Two bytes an offset, spread over -300..12,700 so some fall outside the block.
			offsets = append(offsets, (int(data[i])<<8|int(data[i+1]))/5-300)
		}
		set := map[int]bool{}
		bins := make([]int, SweepBins)
		for _, o := range offsets {
			if o >= 0 && o < SweepBlockSize && !set[o] {
				set[o] = true
				bins[o/100]++
			}
		}
		// The longest run of consecutive numbers that starts and ends on
		// group boundaries and covers whole groups.
		run := 0
		for start := 0; start < SweepBlockSize; start += 100 {
			n := 0
			for start+n < SweepBlockSize && set[start+n] {
				n++
			}
			run = max(run, n/100*100)
		}
		got := summariseSweep(offsets)
		if got.Distinct != len(set) || got.LongestRun != run || !slices.Equal(got.Bins, bins) {
			t.Fatalf("got distinct %d run %d, want %d %d (bins equal: %v)", got.Distinct, got.LongestRun, len(set), run, slices.Equal(got.Bins, bins))
		}
	})
}
