package resolvers

import (
	"context"
	"sync"

	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/store"
)

// DetectFunc prepares one detection run: it checks the input (an error is
// the client's, shown as BAD_USER_INPUT) and returns the new run's id and
// a function that runs it to the end under that id, recording the run and
// its results in the store and calling progress as it goes. runDetection
// answers with the id at once and runs detection in the background.
type DetectFunc func(in model.RunDetectionInput) (runID string, run DetectRun, err error)

// DetectRun runs a prepared detection (see DetectFunc).
type DetectRun = func(ctx context.Context, progress func(stage string, done, total int)) error

// Hub fans progress events of running detections out to subscribers.
type Hub struct {
	mu   sync.Mutex
	runs map[string]*runState
}

type runState struct {
	last store.DetectionProgress
	subs map[chan store.DetectionProgress]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{runs: map[string]*runState{}} }

// Start registers a run so subscribers can attach before its first event.
func (h *Hub) Start(runID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runs[runID] = &runState{last: store.DetectionProgress{RunID: runID, Stage: "queued", Status: store.RunRunning},
		subs: map[chan store.DetectionProgress]struct{}{}}
}

// Publish sends an event to the run's subscribers; a subscriber too slow
// to take it misses it (progress is a gauge: the next event supersedes
// it), except the final one, which every subscriber gets before its
// channel closes. After a final event the run is forgotten.
func (h *Hub) Publish(ev store.DetectionProgress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.runs[ev.RunID]
	if !ok {
		return
	}
	st.last = ev
	final := ev.Status != store.RunRunning
	for ch := range st.subs {
		if final {
			// Buffered with room for one: drop a stale event if needed.
			select {
			case <-ch:
			default:
			}
			ch <- ev
			close(ch)
			continue
		}
		select {
		case ch <- ev:
		default:
		}
	}
	if final {
		delete(h.runs, ev.RunID)
	}
}

// Subscribe returns a channel of the run's events, starting with the
// latest, and whether the run is running in this process.
func (h *Hub) Subscribe(ctx context.Context, runID string) (<-chan store.DetectionProgress, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.runs[runID]
	if !ok {
		return nil, false
	}
	ch := make(chan store.DetectionProgress, 1)
	ch <- st.last
	st.subs[ch] = struct{}{}
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		defer h.mu.Unlock()
		if st, ok := h.runs[runID]; ok {
			if _, live := st.subs[ch]; live {
				delete(st.subs, ch)
				close(ch)
			}
		}
	}()
	return ch, true
}
