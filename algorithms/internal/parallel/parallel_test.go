package parallel

import (
	"sync/atomic"
	"testing"
)

// TestForEachRunsEveryPieceOnceWithOneStatePerWorker: every piece runs
// exactly once whatever the worker count, and no more workers start than
// asked for (each builds its state once).
func TestForEachRunsEveryPieceOnceWithOneStatePerWorker(t *testing.T) {
	for _, tc := range []struct{ pieces, workers int }{{0, 2}, {1, 4}, {7, 2}, {1000, 3}, {50, 0}} {
		runs := make([]atomic.Int32, tc.pieces)
		var started atomic.Int32
		ForEach(tc.pieces, tc.workers, func() func(int) {
			started.Add(1)
			return func(i int) { runs[i].Add(1) }
		})
		for i := range runs {
			if n := runs[i].Load(); n != 1 {
				t.Errorf("%d pieces, %d workers: piece %d ran %d times", tc.pieces, tc.workers, i, n)
			}
		}
		if tc.workers > 0 && int(started.Load()) > tc.workers {
			t.Errorf("%d pieces, %d workers: %d workers started", tc.pieces, tc.workers, started.Load())
		}
	}
}
