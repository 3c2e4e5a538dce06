// Package projection turns the bipartite graph of accounts and the
// resources they touch (IP addresses, devices, looked-up targets) into a
// weighted account-similarity graph in csr form, the input of community
// detection.
//
// Accounts are linked by:
//   - shared IPs and devices, each weighted by its rarity: a resource
//     shared by k accounts adds 1/ln(1+k) to every pair of them, and one
//     shared by more than a configurable k (a carrier NAT, a campus proxy)
//     is dropped as a hub and reported;
//   - overlapping lookup targets, weighted the same way, so a celebrity
//     looked up by thousands of organic users links none of them;
//   - lockstep timing: a shared target that both accounts first looked up
//     within a short window counts again (SynchroTrap, CopyCatch);
//   - sweeping the same number block: accounts that each looked up many
//     numbers of one block are linked even when they split the block
//     between them and never touch the same number;
//   - touching the same blocks thinly: accounts whose lookups almost all
//     miss, each with a few unmatched numbers in each of several rare
//     blocks they share, are linked though no block is swept.
//
// Pairs are accumulated one account row at a time in a dense scratch
// array, as in a sparse matrix product, and only pairs whose weight
// reaches a threshold are kept, so memory stays linear in the input edges
// plus the edges kept. Results are deterministic.
package projection

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// Kind is the kind of resource an account touches.
type Kind uint8

// Resource kinds.
const (
	IP Kind = iota
	Device
	Target
	NumKinds
)

func (k Kind) String() string {
	switch k {
	case IP:
		return "ip"
	case Device:
		return "device"
	case Target:
		return "target"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Edge is one aggregated account-to-resource relationship: USED_IP,
// USED_DEVICE or LOOKED_UP with its first and last time (Unix seconds),
// its count and, for lookups, how many of them matched an account.
type Edge struct {
	Account  int32
	Resource int32
	First    int64
	Last     int64
	Count    int32
	Hits     int32
}

// Bipartite is the accounts-to-resources graph with the attributes that
// scoring needs, all indexed by dense ids. Build it with a Builder.
type Bipartite struct {
	// Accounts maps account ids to dense ids and back: the one place
	// where that mapping lives.
	Accounts *Index
	// Keys[k][r] names resource r of kind k for people: the IP address,
	// the device id; empty for targets, which are only known by hash.
	Keys   [NumKinds][]string
	Refs   [NumKinds][]int64 // the caller's reference of each resource (a store node id)
	Blocks *Index            // number blocks of phone targets

	AccountCreated []int64 // Unix seconds; 0 when unknown
	AccountCountry []string

	IPASN     []uint32
	IPASOrg   []string
	IPCountry []string
	IPKind    []string

	TargetBlock  []int32 // dense block id, -1 for e-mail targets
	TargetOffset []int32 // position in the block

	// matchOff[t]..matchOff[t+1] delimit in matchAcc the accounts that
	// target t matched (victims), increasing: Matched(t).
	matchOff, matchAcc []int32

	// Edges per kind, sorted by (Account, Resource) after Finish.
	Edges [NumKinds][]Edge

	// byRes[k] is a permutation of Edges[k] grouped by resource; resOff[k]
	// holds the group offsets.
	byRes  [NumKinds][]int32
	resOff [NumKinds][]int32
	accOff [NumKinds][]int32

	accountIDs []string   // while building
	matches    [][2]int32 // while building: (target, account)
}

// NumResources returns how many resources of kind k there are.
func (b *Bipartite) NumResources(k Kind) int { return len(b.Refs[k]) }

// Builder accumulates a Bipartite from streamed rows in any order. Rows
// name accounts and resources by a reference: an int64 the caller chooses
// (the store passes Neo4j node ids, which are dense, so they index a
// slice instead of a map), or by string key through the String methods.
type Builder struct {
	b *Bipartite
	// dense[ref] is 1 + the dense id of the node with that reference
	// (accounts and resources share one reference space, as node ids do).
	dense   []int32
	far     map[int64]int32 // references too large for the slice
	strRefs map[string]int64
	nextRef int64
	// pending edges, their resources not yet looked up (see EdgeRef).
	pending []pendingEdge
	looked  []int32
}

// pendingEdge is an edge as EdgeRef receives it, its resource a reference.
type pendingEdge struct {
	account     int32
	kind        Kind
	count, hits int32
	resource    int64
	first, last int64
}

// pendingEdges is how many edges EdgeRef holds before looking up their
// resources together.
const pendingEdges = 512

// maxSliceRef bounds the references kept in a slice (1 GiB of int32).
const maxSliceRef = 1 << 28

// NewBuilder returns an empty builder; accounts is a capacity hint.
func NewBuilder(accounts int) *Builder {
	b := &Bipartite{Blocks: NewIndex(1024)}
	return &Builder{b: b, far: map[int64]int32{}, strRefs: map[string]int64{}}
}

// Grow makes room for about accounts accounts, resources[k] resources and
// edges[k] edges of kind k, and matches matches, so that a builder told
// the sizes up front never copies a grown array. The sizes are hints:
// more rows still fit, at the cost of growing.
func (bl *Builder) Grow(accounts int, resources, edges [NumKinds]int, matches int) {
	b := bl.b
	nodes := accounts
	b.AccountCreated = slices.Grow(b.AccountCreated, accounts)
	b.AccountCountry = slices.Grow(b.AccountCountry, accounts)
	b.accountIDs = slices.Grow(b.accountIDs, accounts)
	for k := range NumKinds {
		nodes += resources[k]
		b.Refs[k] = slices.Grow(b.Refs[k], resources[k])
		b.Keys[k] = slices.Grow(b.Keys[k], resources[k])
		b.Edges[k] = slices.Grow(b.Edges[k], edges[k])
	}
	b.IPASN = slices.Grow(b.IPASN, resources[IP])
	b.IPASOrg = slices.Grow(b.IPASOrg, resources[IP])
	b.IPCountry = slices.Grow(b.IPCountry, resources[IP])
	b.IPKind = slices.Grow(b.IPKind, resources[IP])
	b.TargetBlock = slices.Grow(b.TargetBlock, resources[Target])
	b.TargetOffset = slices.Grow(b.TargetOffset, resources[Target])
	b.matches = slices.Grow(b.matches, matches)
	// Store references are node ids, about as many as the nodes.
	if n := min(nodes, maxSliceRef); n > len(bl.dense) {
		bl.dense = append(bl.dense, make([]int32, n-len(bl.dense))...)
	}
}

func (bl *Builder) lookup(ref int64) (int32, bool) {
	if ref >= 0 && ref < int64(len(bl.dense)) {
		d := bl.dense[ref]
		return d - 1, d > 0
	}
	d, ok := bl.far[ref]
	return d, ok
}

func (bl *Builder) assign(ref int64, d int32) {
	if ref >= 0 && ref < maxSliceRef {
		if ref >= int64(len(bl.dense)) {
			n := max(2*len(bl.dense), int(ref)+1, 1024)
			bl.dense = append(bl.dense, make([]int32, n-len(bl.dense))...)
		}
		bl.dense[ref] = d + 1
		return
	}
	bl.far[ref] = d
}

// AccountRef records the account with reference ref, its id and
// attributes, and returns its dense id.
func (bl *Builder) AccountRef(ref int64, id string, createdAt int64, country string) int32 {
	b := bl.b
	a, ok := bl.lookup(ref)
	if !ok {
		a = int32(len(b.AccountCreated))
		bl.assign(ref, a)
		b.AccountCreated = append(b.AccountCreated, 0)
		b.AccountCountry = append(b.AccountCountry, "")
		b.accountIDs = append(b.accountIDs, id)
	}
	if id != "" {
		b.accountIDs[a] = id
	}
	if createdAt != 0 {
		b.AccountCreated[a] = createdAt
	}
	if country != "" {
		b.AccountCountry[a] = country
	}
	return a
}

// resourceRef returns the dense id of the resource with reference ref,
// assigning one if it is new, after the pending edges' new resources, so
// that dense ids follow the order rows arrived in.
func (bl *Builder) resourceRef(k Kind, ref int64, key string) int32 {
	if _, ok := bl.lookup(ref); !ok {
		bl.flush()
	}
	return bl.resource(k, ref, key)
}

func (bl *Builder) resource(k Kind, ref int64, key string) int32 {
	b := bl.b
	r, ok := bl.lookup(ref)
	if ok {
		if key != "" {
			b.Keys[k][r] = key
		}
		return r
	}
	r = int32(len(b.Refs[k]))
	bl.assign(ref, r)
	b.Refs[k] = append(b.Refs[k], ref)
	b.Keys[k] = append(b.Keys[k], key)
	switch k {
	case IP:
		b.IPASN = append(b.IPASN, 0)
		b.IPASOrg = append(b.IPASOrg, "")
		b.IPCountry = append(b.IPCountry, "")
		b.IPKind = append(b.IPKind, "")
	case Target:
		b.TargetBlock = append(b.TargetBlock, -1)
		b.TargetOffset = append(b.TargetOffset, 0)
	}
	return r
}

// IPRef records an IP address's attributes.
func (bl *Builder) IPRef(ref int64, addr string, asn uint32, asOrg, country, kind string) int32 {
	r := bl.resourceRef(IP, ref, addr)
	b := bl.b
	b.IPASN[r], b.IPASOrg[r], b.IPCountry[r], b.IPKind[r] = asn, asOrg, country, kind
	return r
}

// DeviceRef records a device.
func (bl *Builder) DeviceRef(ref int64, id string) int32 { return bl.resourceRef(Device, ref, id) }

// TargetRef records a target's number block, its offset in the block (-1
// for e-mail targets, whose domain is no block to sweep).
func (bl *Builder) TargetRef(ref int64, block string, offset int64) int32 {
	r := bl.resourceRef(Target, ref, "")
	b := bl.b
	if block != "" && offset >= 0 {
		b.TargetBlock[r] = b.Blocks.Add(block)
		b.TargetOffset[r] = int32(offset)
	}
	return r
}

// EdgeRef records one account-to-resource edge. Accounts and resources
// not seen before are added without attributes.
//
// Edges are held and their resources looked up a batch at a time: edges
// name resources in no particular order, so each lookup is a cache miss,
// and a loop doing only lookups keeps many of them in flight where the
// decoding between two edges left one (a quarter of the read's Go CPU).
func (bl *Builder) EdgeRef(k Kind, account, resource int64, first, last int64, count, hits int64) {
	a := bl.AccountRef(account, "", 0, "")
	bl.pending = append(bl.pending, pendingEdge{account: a, kind: k, resource: resource, first: first, last: last, count: int32(count), hits: int32(hits)})
	if len(bl.pending) == pendingEdges {
		bl.flush()
	}
}

// flush adds the pending edges.
func (bl *Builder) flush() {
	if len(bl.pending) == 0 {
		return
	}
	looked := bl.looked[:0]
	for _, p := range bl.pending {
		r, ok := bl.lookup(p.resource)
		if !ok {
			r = -1
		}
		looked = append(looked, r)
	}
	b := bl.b
	for i, p := range bl.pending {
		r := looked[i]
		if r < 0 {
			// New (perhaps named by an edge earlier in this batch).
			r = bl.resource(p.kind, p.resource, "")
		}
		b.Edges[p.kind] = append(b.Edges[p.kind], Edge{Account: p.account, Resource: r, First: p.first, Last: p.last, Count: p.count, Hits: p.hits})
	}
	bl.looked, bl.pending = looked, bl.pending[:0]
}

// MatchRef records that a lookup of target returned account (a victim).
func (bl *Builder) MatchRef(target, account int64) {
	t := bl.resourceRef(Target, target, "")
	a := bl.AccountRef(account, "", 0, "")
	bl.b.matches = append(bl.b.matches, [2]int32{t, a})
}

// ref returns the reference of a string key of kind k (NumKinds for
// accounts), assigning one on first use. Targets are keyed by their hash.
func (bl *Builder) ref(k Kind, key string) int64 {
	sk := string(rune('0'+k)) + key
	if r, ok := bl.strRefs[sk]; ok {
		return r
	}
	r := bl.nextRef
	bl.nextRef++
	bl.strRefs[sk] = r
	return r
}

// Account records an account by id.
func (bl *Builder) Account(id string, createdAt int64, country string) int32 {
	return bl.AccountRef(bl.ref(NumKinds, id), id, createdAt, country)
}

// IP records an IP address by address.
func (bl *Builder) IP(addr string, asn uint32, asOrg, country, kind string) int32 {
	return bl.IPRef(bl.ref(IP, addr), addr, asn, asOrg, country, kind)
}

// Target records a target by key.
func (bl *Builder) Target(key, block string, offset int64) int32 {
	return bl.TargetRef(bl.ref(Target, key), block, offset)
}

// Edge records an edge by account id and resource key.
func (bl *Builder) Edge(k Kind, account, resource string, first, last int64, count, hits int) {
	if _, ok := bl.strRefs[string(rune('0'+NumKinds))+account]; !ok {
		bl.Account(account, 0, "")
	}
	rk := string(rune('0'+k)) + resource
	if _, ok := bl.strRefs[rk]; !ok {
		key := resource
		if k == Target {
			key = ""
		}
		bl.resourceRef(k, bl.ref(k, resource), key)
	}
	bl.EdgeRef(k, bl.ref(NumKinds, account), bl.ref(k, resource), first, last, int64(count), int64(hits))
}

// Match records a match by target key and account id.
func (bl *Builder) Match(target, account string) {
	if _, ok := bl.strRefs[string(rune('0'+NumKinds))+account]; !ok {
		bl.Account(account, 0, "")
	}
	bl.MatchRef(bl.ref(Target, target), bl.ref(NumKinds, account))
}

// Finish sorts the edges, builds the adjacency in both directions and
// returns the graph; the builder must not be used afterwards.
func (bl *Builder) Finish() *Bipartite {
	bl.flush()
	b := bl.b
	bl.b, bl.dense, bl.far, bl.strRefs = nil, nil, nil, nil
	n := int32(len(b.accountIDs))
	// The account index, each kind's adjacency and the matches are
	// independent: built side by side, the 1M world's take 1.27 s where
	// one after another took 1.52 s.
	var wg sync.WaitGroup
	wg.Go(func() {
		b.Accounts = &Index{keys: b.accountIDs, pos: make(map[string]int32, len(b.accountIDs))}
		for i, id := range b.accountIDs {
			if _, dup := b.Accounts.pos[id]; !dup {
				b.Accounts.pos[id] = int32(i)
			}
		}
	})
	wg.Go(func() {
		b.matchOff, b.matchAcc = matchIndex(b.matches, b.NumResources(Target))
	})
	for k := range NumKinds {
		wg.Go(func() { b.adjacency(k, n) })
	}
	wg.Wait()
	b.accountIDs, b.matches = nil, nil
	return b
}

// adjacency sorts and merges the edges of kind k and indexes them by
// account and by resource.
func (b *Bipartite) adjacency(k Kind, n int32) {
	es := b.Edges[k]
	sortEdges(es, int(n))
	// Merge duplicate (account, resource) rows, which a store may
	// deliver when an edge was written in more than one batch.
	out := 0
	for i, e := range es {
		if i > 0 && e.Account == es[out-1].Account && e.Resource == es[out-1].Resource {
			p := &es[out-1]
			p.First, p.Last = min(p.First, e.First), max(p.Last, e.Last)
			p.Count += e.Count
			p.Hits += e.Hits
			continue
		}
		es[out] = e
		out++
	}
	es = slices.Clip(es[:out])
	b.Edges[k] = es
	b.accOff[k] = offsets(len(es), int(n), func(i int) int32 { return es[i].Account })
	// Edges by resource, placed by a counting sort: walking es in
	// account order keeps accounts increasing within a resource's
	// group, which Project relies on. (A comparison sort of the
	// permutation was most of the 1M world's Go read time.)
	b.resOff[k] = offsets(len(es), b.NumResources(k), func(i int) int32 { return es[i].Resource })
	next := slices.Clone(b.resOff[k][:len(b.resOff[k])-1])
	perm := make([]int32, len(es))
	for i, e := range es {
		perm[next[e.Resource]] = int32(i)
		next[e.Resource]++
	}
	b.byRes[k] = perm
}

// matchIndex groups (target, account) pairs by target, each target's
// accounts increasing and distinct, as offsets into one array.
func matchIndex(ms [][2]int32, targets int) (off, acc []int32) {
	off = offsets(len(ms), targets, func(i int) int32 { return ms[i][0] })
	next := slices.Clone(off[:targets])
	acc = make([]int32, len(ms))
	for _, m := range ms {
		acc[next[m[0]]] = m[1]
		next[m[0]]++
	}
	// Sort and deduplicate each group, moving it down over the
	// duplicates removed before it.
	out := int32(0)
	for t := range targets {
		g := acc[off[t]:off[t+1]]
		slices.Sort(g)
		g = slices.Compact(g)
		off[t] = out
		out += int32(copy(acc[out:], g))
	}
	off[targets] = out
	return off, slices.Clip(acc[:out])
}

// Matched returns the accounts that lookups of target t returned
// (victims), in increasing order; the slice must not be modified.
func (b *Bipartite) Matched(t int32) []int32 {
	return b.matchAcc[b.matchOff[t]:b.matchOff[t+1]]
}

// sortEdges sorts es by (Account, Resource) for n accounts: an in-place
// counting sort by account (American flag sort), then each account's
// few edges by resource. Stores deliver an account's edges together, so
// the first pass mostly finds every edge in place; a comparison sort of
// all edges was most of the 1M world's Go read time after the
// resource-side sort went.
func sortEdges(es []Edge, n int) {
	off := offsets(len(es), n, func(i int) int32 { return es[i].Account })
	next := slices.Clone(off[:n])
	for a := range int32(n) {
		for next[a] < off[a+1] {
			e := es[next[a]]
			for e.Account != a {
				// Swap e into the next free place of its own account.
				j := next[e.Account]
				next[e.Account]++
				es[j], e = e, es[j]
			}
			es[next[a]] = e
			next[a]++
		}
	}
	for a := range n {
		g := es[off[a]:off[a+1]]
		if len(g) > 1 {
			slices.SortFunc(g, func(x, y Edge) int { return cmp.Compare(x.Resource, y.Resource) })
		}
	}
}

// offsets returns group offsets (length groups+1) of a sequence of m items
// sorted by key(i) in [0, groups).
func offsets(m, groups int, key func(i int) int32) []int32 {
	off := make([]int32, groups+1)
	for i := range m {
		off[key(i)+1]++
	}
	for g := 1; g <= groups; g++ {
		off[g] += off[g-1]
	}
	return off
}

// AccountEdges returns account a's edges of kind k, sorted by resource.
func (b *Bipartite) AccountEdges(k Kind, a int32) []Edge {
	return b.Edges[k][b.accOff[k][a]:b.accOff[k][a+1]]
}

// ResourceDegree returns how many accounts touched resource r of kind k.
func (b *Bipartite) ResourceDegree(k Kind, r int32) int {
	return int(b.resOff[k][r+1] - b.resOff[k][r])
}

// ResourceEdges calls f with each edge of resource r of kind k by an
// account after account after (-1 for all), in increasing account order.
// Projection asks for the accounts after the one whose row it builds,
// each pair once; a search skips the rest without reading their edges.
func (b *Bipartite) ResourceEdges(k Kind, r int32, after int32, f func(e *Edge)) {
	es := b.Edges[k]
	idx := b.byRes[k][b.resOff[k][r]:b.resOff[k][r+1]]
	from, _ := slices.BinarySearchFunc(idx, after, func(i, a int32) int { return cmp.Compare(es[i].Account, a+1) })
	for _, i := range idx[from:] {
		f(&es[i])
	}
}

// NumAccounts returns the number of accounts.
func (b *Bipartite) NumAccounts() int { return len(b.AccountCreated) }
