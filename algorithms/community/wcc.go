package community

import "github.com/lockstep-dev/lockstep/algorithms/csr"

// ConnectedComponents returns the connected components of g, numbered in
// smallest-member order; its Members are the node lists Run clusters one
// by one. Its Modularity is at resolution 1. It costs O(n + m) time and
// O(n) memory.
func ConnectedComponents(g *csr.Graph) Partition {
	labels, count := componentsWithin(g.Offsets, g.Neighbors, nil)
	return Partition{Labels: labels, Count: count, Modularity: Modularity(g, labels, 1)}
}

// componentsWithin labels the connected pieces of the graph whose rows are
// adj[off[u]:off[u+1]], following only edges between nodes of the same
// group (every edge when group is nil), by a search from each unlabelled
// node in id order: labels 0..count-1 in smallest-member order. It costs
// O(n + m).
func componentsWithin(off []int64, adj []int32, group []int32) (labels []int32, count int) {
	n := len(off) - 1
	labels = make([]int32, n)
	for i := range labels {
		labels[i] = -1
	}
	stack := make([]int32, 0, 64)
	var c int32
	for s := range int32(n) {
		if labels[s] >= 0 {
			continue
		}
		labels[s] = c
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, v := range adj[off[u]:off[u+1]] {
				if labels[v] < 0 && (group == nil || group[v] == group[u]) {
					labels[v] = c
					stack = append(stack, v)
				}
			}
		}
		c++
	}
	return labels, int(c)
}
