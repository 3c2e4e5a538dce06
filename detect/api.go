package detect

import (
	"context"

	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/store"
)

// Runner runs detection for the API's runDetection mutation over Store
// (it is the server's Detector).
type Runner struct{ Store *store.Store }

// Detect runs detection to the end with DefaultParams, overridden by the
// input's fields, and returns the run's id.
func (r Runner) Detect(ctx context.Context, in model.RunDetectionInput, progress func(stage string, done, total int)) (string, error) {
	p := DefaultParams()
	if in.Algorithm != nil {
		p.Algorithm = *in.Algorithm
	}
	if in.Resolution != nil {
		p.Resolution = *in.Resolution
	}
	if in.Seed != nil {
		p.Seed = uint64(*in.Seed)
	}
	if in.MinSize != nil {
		p.Scoring.MinSize = *in.MinSize
	}
	if in.MinScore != nil {
		p.MinWriteScore = *in.MinScore
	}
	res, err := Run(ctx, r.Store, p, progress)
	if err != nil {
		return "", err
	}
	return res.RunID, nil
}
