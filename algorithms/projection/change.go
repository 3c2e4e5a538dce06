package projection

import (
	"fmt"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/internal/parallel"
)

// Change is what differs between two states of one world, as Reproject
// found it, per dense account id of the newer state.
type Change struct {
	// Accounts: the account is new, or its attributes or any of its
	// edges (resources, first and last times, counts, hits) differ.
	Accounts []bool
	// Touched: the account has an edge, in either state, to a resource
	// whose edges or attributes differ, or to a target whose matched
	// accounts differ. Scoring reads resources' degrees and targets'
	// victims, so a community with such a member is scored again.
	Touched []bool
	// Rows: the account's similarity row was projected again; every
	// other row was carried over from the earlier graph unchanged.
	Rows []bool
	// Adjacency: the account's neighbours or edge weights in the new
	// similarity graph differ from the earlier graph's.
	Adjacency []bool
	// RowsProjected counts the true entries of Rows.
	RowsProjected int
}

// Reproject is Project(b, p) for a caller holding prev = Project(old, p),
// where b is a later state of old's world: every account and resource of
// old keeps its dense id in b, new ones come after them, and blocks keep
// theirs. Only the rows that a difference can reach are projected again:
// an account's own edges, an edge of a resource that links anybody (in
// either state), a block whose sweepers or thin touchers changed. The
// graph equals Project's edge for edge and weight for weight (the
// projection test checks it); Stats.PairsSeen counts the pairs of the
// rows projected again only. It returns an error, and nothing else, when
// b does not extend old.
func Reproject(old *Bipartite, prev Result, b *Bipartite, p Params) (Result, *Change, error) {
	if err := extends(old, b); err != nil {
		return Result{}, nil, err
	}
	n := b.NumAccounts()
	ch := &Change{Accounts: make([]bool, n), Touched: make([]bool, n), Rows: make([]bool, n), Adjacency: make([]bool, n)}
	changed := changedResources(old, b, ch.Accounts)
	sw, thin := sweeps(b, p)
	for a, c := range ch.Accounts {
		ch.Rows[a] = c
		ch.Touched[a] = c
	}
	links := func(k Kind, d int) bool { return d >= 2 && d <= p.HubCap[k] }
	for k := range NumKinds {
		for _, r := range changed[k] {
			oldD, newD := 0, b.ResourceDegree(k, r)
			if int(r) < old.NumResources(k) {
				oldD = old.ResourceDegree(k, r)
			}
			rows := links(k, oldD) || links(k, newD)
			mark := func(e *Edge) {
				ch.Touched[e.Account] = true
				if rows {
					ch.Rows[e.Account] = true
				}
			}
			if oldD > 0 {
				old.ResourceEdges(k, r, -1, mark)
			}
			b.ResourceEdges(k, r, -1, mark)
		}
	}
	for t := range int32(b.NumResources(Target)) {
		if int(t) >= old.NumResources(Target) || !slices.Equal(old.Matched(t), b.Matched(t)) {
			b.ResourceEdges(Target, t, -1, func(e *Edge) { ch.Touched[e.Account] = true })
		}
	}
	blockLinks := func(d int) bool { return d >= 2 && d <= p.BlockHubCap }
	for _, pair := range [][2]*sweepIndex{{&prev.swept, &sw}, {&prev.thin, &thin}} {
		was, now := pair[0], pair[1]
		for blk := range int32(len(now.blockOff) - 1) {
			var before []int32
			if int(blk) < len(was.blockOff)-1 {
				before = was.blockAcc[was.blockOff[blk]:was.blockOff[blk+1]]
			}
			after := now.blockAcc[now.blockOff[blk]:now.blockOff[blk+1]]
			if slices.Equal(before, after) || !(blockLinks(len(before)) || blockLinks(len(after))) {
				continue
			}
			for _, a := range before {
				ch.Rows[a] = true
			}
			for _, a := range after {
				ch.Rows[a] = true
			}
		}
	}
	for _, r := range ch.Rows {
		if r {
			ch.RowsProjected++
		}
	}
	res := project(b, p, sw, thin, prev.Graph, ch.Rows)
	g, og := res.Graph, prev.Graph
	for u := range int32(n) {
		if int(u) >= og.Nodes() {
			ch.Adjacency[u] = true
			continue
		}
		nb, wb := og.Row(u)
		na, wa := g.Row(u)
		ch.Adjacency[u] = !slices.Equal(nb, na) || !slices.Equal(wb, wa)
	}
	return res, ch, nil
}

// extends reports, as an error, how b fails to keep old's dense ids.
func extends(old, b *Bipartite) error {
	if old.NumAccounts() > b.NumAccounts() {
		return fmt.Errorf("projection: the newer state has %d accounts, fewer than the earlier %d", b.NumAccounts(), old.NumAccounts())
	}
	for a := range int32(old.NumAccounts()) {
		if old.Accounts.Key(a) != b.Accounts.Key(a) {
			return fmt.Errorf("projection: account %d is %q in the earlier state and %q in the newer", a, old.Accounts.Key(a), b.Accounts.Key(a))
		}
	}
	for k := range NumKinds {
		if old.NumResources(k) > b.NumResources(k) || !slices.Equal(old.Refs[k], b.Refs[k][:old.NumResources(k)]) {
			return fmt.Errorf("projection: the %s resources of the earlier state are not the first of the newer", k)
		}
	}
	nt := old.NumResources(Target)
	if !slices.Equal(old.TargetBlock, b.TargetBlock[:nt]) || !slices.Equal(old.TargetOffset, b.TargetOffset[:nt]) {
		return fmt.Errorf("projection: targets of the earlier state lie in other blocks in the newer")
	}
	for blk := range int32(old.Blocks.Len()) {
		if blk >= int32(b.Blocks.Len()) || old.Blocks.Key(blk) != b.Blocks.Key(blk) {
			return fmt.Errorf("projection: block %d of the earlier state is not the newer's", blk)
		}
	}
	return nil
}

// changedResources marks in accounts every account of b that is new or
// whose attributes or edges differ from old's, and returns per kind the
// resources whose attributes differ or whose edges differ as others see
// them (diffEdges), increasing.
func changedResources(old, b *Bipartite, accounts []bool) [NumKinds][]int32 {
	n, on := b.NumAccounts(), old.NumAccounts()
	const chunk = 8192
	chunks := (n + chunk - 1) / chunk
	found := make([][NumKinds][]int32, chunks)
	parallel.ForEach(chunks, 0, func() func(c int) {
		return func(c int) {
			for a := int32(c * chunk); a < int32(min(n, (c+1)*chunk)); a++ {
				if int(a) >= on {
					accounts[a] = true
					for k := range NumKinds {
						for _, e := range b.AccountEdges(k, a) {
							found[c][k] = append(found[c][k], e.Resource)
						}
					}
					continue
				}
				if old.AccountCreated[a] != b.AccountCreated[a] || old.AccountCountry[a] != b.AccountCountry[a] {
					accounts[a] = true
				}
				for k := range NumKinds {
					var differ bool
					found[c][k], differ = diffEdges(old.AccountEdges(k, a), b.AccountEdges(k, a), found[c][k])
					if differ {
						accounts[a] = true
					}
				}
			}
		}
	})
	var out [NumKinds][]int32
	for k := range NumKinds {
		mark := make([]bool, b.NumResources(k))
		for c := range found {
			for _, r := range found[c][k] {
				mark[r] = true
			}
		}
		if k == IP {
			for r := range old.NumResources(IP) {
				if old.IPASN[r] != b.IPASN[r] || old.IPASOrg[r] != b.IPASOrg[r] || old.IPCountry[r] != b.IPCountry[r] || old.IPKind[r] != b.IPKind[r] {
					mark[r] = true
				}
			}
		}
		for r, m := range mark {
			if m {
				out[k] = append(out[k], int32(r))
			}
		}
	}
	return out
}

// diffEdges appends to out the resources on which one account's edges
// before and after (each sorted by resource) differ in a way that others'
// rows or scores can see, and reports whether they differ at all. Others
// see which accounts share a resource (its degree) and, for a target, when
// each first looked it up and whether it matched (lockstep timing); the
// last time and the count only reach the account's own row and score.
func diffEdges(before, after []Edge, out []int32) ([]int32, bool) {
	i, j := 0, 0
	differ := false
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || (i < len(before) && before[i].Resource < after[j].Resource):
			out = append(out, before[i].Resource)
			differ = true
			i++
		case i == len(before) || after[j].Resource < before[i].Resource:
			out = append(out, after[j].Resource)
			differ = true
			j++
		default:
			x, y := before[i], after[j]
			if x.First != y.First || x.Hits != y.Hits {
				out = append(out, y.Resource)
			}
			differ = differ || x != y
			i++
			j++
		}
	}
	return out, differ
}

// carryRow appends account a's row of the earlier graph g (its
// neighbours after it, with their weights) to es.
func carryRow(g *csr.Graph, a int32, es []csr.Edge) []csr.Edge {
	nbr, wt := g.Row(a)
	from, _ := slices.BinarySearch(nbr, a+1)
	for i := from; i < len(nbr); i++ {
		es = append(es, csr.Edge{U: a, V: nbr[i], W: wt[i]})
	}
	return es
}
