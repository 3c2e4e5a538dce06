package server_test

import (
	"fmt"
	"runtime/metrics"
	"time"
)

// runtimeSnap is a snapshot of the Go runtime's cumulative counters that
// tell where a phase's tail latency can come from besides the work itself:
// garbage collections, stop-the-world pauses and goroutines left waiting
// for a CPU.
type runtimeSnap struct {
	gcCycles uint64
	pauses   *metrics.Float64Histogram
	sched    *metrics.Float64Histogram
}

var runtimeSamples = []string{"/gc/cycles/total:gc-cycles", "/sched/pauses/total/gc:seconds", "/sched/latencies:seconds"}

func snapRuntime() runtimeSnap {
	s := make([]metrics.Sample, len(runtimeSamples))
	for i, n := range runtimeSamples {
		s[i].Name = n
	}
	metrics.Read(s)
	return runtimeSnap{gcCycles: s[0].Value.Uint64(), pauses: s[1].Value.Float64Histogram(), sched: s[2].Value.Float64Histogram()}
}

// runtimeDelta describes what happened between two snapshots: GC cycles,
// the longest GC pause, and the share of goroutine wake-ups that waited
// longer than 1 ms for a CPU, with the 99.9th percentile of that wait.
func runtimeDelta(a, b runtimeSnap) string {
	pauses := subHist(b.pauses, a.pauses)
	sched := subHist(b.sched, a.sched)
	var total, over1ms uint64
	for i, c := range sched.Counts {
		total += c
		if sched.Buckets[i] >= 1e-3 {
			over1ms += c
		}
	}
	return fmt.Sprintf("GC cycles %d, longest GC pause ≤ %s; goroutine wake-ups %d, %.3f%% waited ≥ 1 ms for a CPU, p99.9 wait ≤ %s",
		b.gcCycles-a.gcCycles, dur(histMax(pauses)), total, 100*float64(over1ms)/float64(max(total, 1)), dur(histQuantile(sched, 0.999)))
}

func subHist(b, a *metrics.Float64Histogram) *metrics.Float64Histogram {
	out := &metrics.Float64Histogram{Buckets: b.Buckets, Counts: make([]uint64, len(b.Counts))}
	for i := range b.Counts {
		out.Counts[i] = b.Counts[i] - a.Counts[i]
	}
	return out
}

// histMax is the upper bound of the highest non-empty bucket.
func histMax(h *metrics.Float64Histogram) float64 {
	for i := len(h.Counts) - 1; i >= 0; i-- {
		if h.Counts[i] > 0 {
			return h.Buckets[i+1]
		}
	}
	return 0
}

// histQuantile is the upper bound of the bucket holding quantile q.
func histQuantile(h *metrics.Float64Histogram, q float64) float64 {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen > want {
			return h.Buckets[i+1]
		}
	}
	return 0
}

func dur(sec float64) time.Duration { return time.Duration(sec * 1e9).Round(time.Microsecond) }
