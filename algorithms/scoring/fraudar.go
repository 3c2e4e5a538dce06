package scoring

import (
	"container/heap"
	"math"
)

// denseBlock is the densest block greedy peeling found.
type denseBlock struct {
	Density float64 // f(S)/|S|
	Rows    int     // accounts in the block
	Cols    int     // resources in the block
}

// fraudar runs FRAUDAR's greedy peeling (Hooi et al., KDD 2016) on a
// bipartite block of rows × cols given as edges (row, col) with column
// weights colW: repeatedly remove the row or column whose removal costs
// least weight and keep the densest intermediate set by f(S)/|S|, where
// f(S) sums the weights of the edges inside S. Column weights like
// 1/ln(k+5) for a column touched by k accounts overall make popular
// targets cheap, so camouflage edges to them do not hide a dense block.
// It costs O(E log E).
func fraudar(rows, cols int, edges [][2]int32, colW []float64) denseBlock {
	nodes := rows + cols
	if nodes == 0 || len(edges) == 0 {
		return denseBlock{}
	}
	adjOff := make([]int32, nodes+1)
	for _, e := range edges {
		adjOff[e[0]+1]++
		adjOff[int(e[1])+rows+1]++
	}
	for i := 1; i <= nodes; i++ {
		adjOff[i] += adjOff[i-1]
	}
	adj := make([]int32, 2*len(edges)) // neighbour node ids
	next := make([]int32, nodes)
	copy(next, adjOff[:nodes])
	prio := make([]float64, nodes)
	var f float64
	for _, e := range edges {
		r, c := e[0], e[1]+int32(rows)
		w := colW[e[1]]
		adj[next[r]] = c
		next[r]++
		adj[next[c]] = r
		next[c]++
		prio[r] += w
		prio[c] += w
		f += w
	}
	h := &peelHeap{prio: prio, pos: make([]int, nodes)}
	for i := range nodes {
		h.items = append(h.items, int32(i))
		h.pos[i] = i
	}
	heap.Init(h)
	removed := make([]bool, nodes)
	order := make([]int32, 0, nodes)
	best, bestAt := f/float64(nodes), 0
	left := nodes
	for h.Len() > 0 {
		u := heap.Pop(h).(int32)
		removed[u] = true
		order = append(order, u)
		f -= prio[u]
		left--
		for _, v := range adj[adjOff[u]:adjOff[u+1]] {
			if removed[v] {
				continue
			}
			var w float64
			if int(u) < rows {
				w = colW[int(v)-rows]
			} else {
				w = colW[int(u)-rows]
			}
			prio[v] -= w
			heap.Fix(h, h.pos[v])
		}
		if left > 0 {
			if d := f / float64(left); d > best {
				best, bestAt = d, len(order)
			}
		}
	}
	db := denseBlock{Density: best}
	for _, u := range order[bestAt:] {
		if int(u) < rows {
			db.Rows++
		} else {
			db.Cols++
		}
	}
	if math.IsNaN(db.Density) {
		db.Density = 0
	}
	return db
}

type peelHeap struct {
	items []int32
	prio  []float64
	pos   []int
}

func (h *peelHeap) Len() int { return len(h.items) }
func (h *peelHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if h.prio[a] != h.prio[b] {
		return h.prio[a] < h.prio[b]
	}
	return a < b // deterministic ties
}
func (h *peelHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i]] = i
	h.pos[h.items[j]] = j
}
func (h *peelHeap) Push(x any) {
	h.items = append(h.items, x.(int32))
	h.pos[x.(int32)] = len(h.items) - 1
}
func (h *peelHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
