package detect

import (
	"context"

	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/store"
)

// ReadVia reads the whole projection from st by the chosen path
// (store.ProjectionCypher, ProjectionPacked or ProjectionAuto) into the
// builder Run uses, and returns the bipartite graph. Benchmarks use it to
// hold Run's read against the plain Cypher read of the same data; it
// costs what Run's read stage costs.
func ReadVia(ctx context.Context, st *store.Store, via string) (*projection.Bipartite, error) {
	bl := &builder{Builder: projection.NewBuilder(0), allowlisted: map[string]bool{}}
	if err := st.ReadProjectionVia(ctx, via, bl, nil); err != nil {
		return nil, err
	}
	return bl.Finish(), nil
}
