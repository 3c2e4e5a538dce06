package server

import (
	"context"
	"fmt"

	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/resolvers"
	"github.com/lockstep-dev/lockstep/store"
)

// Detector wires the runDetection mutation to detect.Run over st: the
// input's fields override detect.DefaultParams, and parameters detection
// would refuse are refused before anything starts.
func Detector(st *store.Store) resolvers.DetectFunc {
	return func(in model.RunDetectionInput) (string, resolvers.DetectRun, error) {
		p := detect.DefaultParams()
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
			_, err := detect.RunAs(ctx, st, runID, p, progress)
			return err
		}, nil
	}
}
