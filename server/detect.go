package server

import (
	"context"

	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/resolvers"
	"github.com/lockstep-dev/lockstep/store"
)

// Detector wires the runDetection mutation to detect.Run over st: the
// input's fields override detect.DefaultParams.
func Detector(st *store.Store) resolvers.DetectFunc {
	return func(ctx context.Context, in model.RunDetectionInput, progress func(string, int, int)) (string, error) {
		p := detect.DefaultParams()
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
		res, err := detect.Run(ctx, st, p, progress)
		if err != nil {
			return "", err
		}
		return res.RunID, nil
	}
}
