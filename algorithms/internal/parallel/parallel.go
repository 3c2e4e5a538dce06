// Package parallel runs independent pieces of work on a few goroutines,
// each with state of its own that it reuses from piece to piece (dense
// accumulators sized to the graph, which one allocation per piece would
// make dominate). Callers write each piece's result into its own slot, so
// what they build does not depend on scheduling.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ForEach calls, for every piece 0..pieces-1, the function newWorker
// returned for one of workers goroutines (0 means GOMAXPROCS), and
// returns when all pieces are done. Each goroutine calls newWorker once.
func ForEach(pieces, workers int, newWorker func() func(piece int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(pieces, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := newWorker()
			for {
				i := int(next.Add(1) - 1)
				if i >= pieces {
					return
				}
				work(i)
			}
		}()
	}
	wg.Wait()
}
