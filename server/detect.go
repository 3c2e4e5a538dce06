package server

import (
	"context"

	"github.com/lockstep-dev/lockstep/graph/model"
)

// Detector is all the server knows of detection. Prepare checks the
// runDetection mutation's input (an error is the client's) and returns the
// id the run will have and the run itself, which the resolver starts in the
// background once the request is audited under that id. The command wires
// in detect.Runner; tests fake it. (The server does not import package
// detect, so the API builds without it.)
type Detector interface {
	Prepare(in model.RunDetectionInput) (runID string, run func(ctx context.Context, progress func(stage string, done, total int)) error, err error)
}

// DetectorFunc is a function used as a Detector.
type DetectorFunc func(in model.RunDetectionInput) (string, func(ctx context.Context, progress func(stage string, done, total int)) error, error)

// Prepare calls f.
func (f DetectorFunc) Prepare(in model.RunDetectionInput) (string, func(ctx context.Context, progress func(stage string, done, total int)) error, error) {
	return f(in)
}
