package csr

import (
	"gonum.org/v1/gonum/graph/simple"
)

// Gonum returns g as a gonum graph whose node ids are the dense ids, with
// every node present (isolated ones too), for checking our algorithms
// against gonum's. Absent edges weigh 0. It costs far more memory than g.
func (g *Graph) Gonum() *simple.WeightedUndirectedGraph {
	out := simple.NewWeightedUndirectedGraph(0, 0)
	for u := range g.Nodes() {
		out.AddNode(simple.Node(u))
	}
	for _, e := range g.EdgeList() {
		out.SetWeightedEdge(simple.WeightedEdge{F: simple.Node(e.U), T: simple.Node(e.V), W: e.W})
	}
	return out
}
