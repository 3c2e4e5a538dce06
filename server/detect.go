package server

import (
	"context"

	"github.com/lockstep-dev/lockstep/graph/model"
)

// Detector is all the server knows of detection: one run over the store
// with the runDetection mutation's overrides, reporting progress as it
// goes. The command wires in detect.Runner; tests fake it. (The server
// does not import package detect, so the API builds without it.)
type Detector interface {
	Detect(ctx context.Context, in model.RunDetectionInput, progress func(stage string, done, total int)) (runID string, err error)
}

// DetectorFunc is a function used as a Detector.
type DetectorFunc func(ctx context.Context, in model.RunDetectionInput, progress func(stage string, done, total int)) (string, error)

// Detect calls f.
func (f DetectorFunc) Detect(ctx context.Context, in model.RunDetectionInput, progress func(string, int, int)) (string, error) {
	return f(ctx, in, progress)
}
