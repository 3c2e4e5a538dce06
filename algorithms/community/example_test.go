package community_test

import (
	"fmt"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
)

// Two triangles joined by a light edge split into two communities.
func ExampleRun() {
	g := csr.FromEdges(6, []csr.Edge{
		{U: 0, V: 1, W: 1}, {U: 1, V: 2, W: 1}, {U: 2, V: 0, W: 1},
		{U: 3, V: 4, W: 1}, {U: 4, V: 5, W: 1}, {U: 5, V: 3, W: 1},
		{U: 2, V: 3, W: 0.5},
	})
	p, err := community.Run(g, "leiden", 1, 42)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Count, p.Labels)
	fmt.Printf("Q = %.4f\n", p.Modularity)
	// Output:
	// 2 [0 0 0 1 1 1]
	// Q = 0.4231
}
