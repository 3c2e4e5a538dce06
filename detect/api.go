package detect

import (
	"context"
	"fmt"

	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/store"
)

// Runner runs detection for the API's runDetection mutation over Store
// (it is the server's Detector), starting from Params: the deployment's
// configuration (watch lists, weights), which a request may override only
// in the input's few fields.
type Runner struct {
	Store  *store.Store
	Params Params
}

// Prepare turns the mutation's input into Params (r.Params, overridden
// by the input's fields), refuses parameters detection would refuse before
// anything starts, and returns the new run's id and a function that runs
// detection to the end under that id.
func (r Runner) Prepare(in model.RunDetectionInput) (string, func(ctx context.Context, progress func(stage string, done, total int)) error, error) {
	p := r.Params
	if in.Algorithm != nil {
		p.Algorithm = *in.Algorithm
	}
	if in.Resolution != nil {
		p.Resolution = *in.Resolution
	}
	if in.Seed != nil {
		if *in.Seed < 0 {
			return "", nil, fmt.Errorf("seed %d, want 0 or more", *in.Seed)
		}
		p.Seed = uint64(*in.Seed)
	}
	if in.MinSize != nil {
		p.Scoring.MinSize = *in.MinSize
	}
	if in.MinScore != nil {
		p.MinWriteScore = *in.MinScore
	}
	if err := p.Validate(); err != nil {
		return "", nil, err
	}
	runID := store.NewID("run")
	return runID, func(ctx context.Context, progress func(string, int, int)) error {
		_, err := RunAs(ctx, r.Store, runID, p, progress)
		return err
	}, nil
}
