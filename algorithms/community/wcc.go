package community

import "github.com/lockstep-dev/lockstep/algorithms/csr"

// ConnectedComponents returns the connected components of g, found by
// breadth-first search from each unvisited node in id order, so labels are
// already in smallest-member order. Its Modularity is at resolution 1.
// It costs O(n + m) time and O(n) memory.
func ConnectedComponents(g *csr.Graph) Partition {
	n := g.Nodes()
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = -1
	}
	queue := make([]int32, 0, 64)
	var count int32
	for s := range int32(n) {
		if labels[s] >= 0 {
			continue
		}
		labels[s] = count
		queue = append(queue[:0], s)
		for len(queue) > 0 {
			u := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			nbr, _ := g.Row(u)
			for _, v := range nbr {
				if labels[v] < 0 {
					labels[v] = count
					queue = append(queue, v)
				}
			}
		}
		count++
	}
	return Partition{Labels: labels, Count: int(count), Modularity: Modularity(g, labels, 1)}
}
