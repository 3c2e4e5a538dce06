package projection

import (
	"cmp"
	"math"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/internal/parallel"
)

// Params tunes the similarity projection. The zero value is not useful;
// start from DefaultParams.
type Params struct {
	// HubCap[k]: a resource of kind k touched by more accounts than this
	// is a hub (carrier NAT, campus proxy, celebrity) and links nobody.
	HubCap [NumKinds]int `json:"hubCap"`
	// KindWeight[k] multiplies the rarity weight of a shared resource.
	KindWeight [NumKinds]float64 `json:"kindWeight"`
	// MinSharedTargets is how many targets two accounts must have looked
	// up in lockstep before targets link them at all: two friends looking
	// up a common friend or two is organic life.
	MinSharedTargets int `json:"minSharedTargets"`
	// LockstepWindow (seconds): a shared target that both accounts first
	// looked up within this window adds LockstepWeight times its rarity
	// weight; KindWeight[Target] weighs every shared target whatever the
	// timing. It is 0 by default: organic friends share contacts, and a
	// sweep walks through numbers that organic users also look up, so
	// untimed overlap links the wrong accounts (SynchroTrap, too, only
	// counts actions that fall in the same time window).
	LockstepWindow int64   `json:"lockstepWindowSeconds"`
	LockstepWeight float64 `json:"lockstepWeight"`
	// BlockMinLookups: an account sweeps a number block when it looked up
	// at least this many distinct numbers of it, clustered in groups of
	// 100 as a sweep clusters them (concentrated). Accounts sweeping the
	// same block are linked with BlockWeight times the block's rarity
	// weight; blocks swept by more than BlockHubCap accounts are hubs.
	BlockMinLookups int `json:"blockMinLookups"`
	// BlockMinRun and BlockRunShare: an account with fewer lookups in a
	// block still sweeps it when at least BlockMinRun of them, and at
	// least BlockRunShare of all its lookups there, are next to a number
	// someone looked up: it took part in walking a run of consecutive
	// numbers, as members of a ring that split a sweep do. Contacts are
	// scattered over a block and rarely have looked-up neighbours; an
	// account walks runs only when BlockRunShare of its misses over all
	// its blocks have neighbours, so an address book with a few contacts
	// inside a block someone else swept is not taken for a walker.
	BlockMinRun   int     `json:"blockMinRun"`
	BlockRunShare float64 `json:"blockRunShare"`
	// BlockMaxHitRatio: in both cases, at most this share of the lookups
	// matched an account. Contact lists are mostly people who use the
	// platform; a walk through a number block finds few (0.85% in the 2019
	// incident), so this keeps heavy organic contact syncs out. Both counts
	// above are of misses (numbers that matched nobody), so hits mixed in
	// as camouflage neither make a sweep nor hide one: up to this share
	// they only cost the adversary lookups.
	BlockMaxHitRatio float64 `json:"blockMaxHitRatio"`
	BlockWeight      float64 `json:"blockWeight"`
	BlockHubCap      int     `json:"blockHubCap"`
	// ThinMinMisses, ThinMinShared, ThinWeight: an account touches a
	// block thinly when it looked up at least ThinMinMisses numbers of it
	// that matched nobody (and misses are most of its lookups there).
	// Accounts that thinly touch at least ThinMinShared of the same blocks
	// are linked with ThinWeight times the sum of those blocks' rarity
	// weights (k = accounts touching the block thinly; more than
	// BlockHubCap makes a hub). A ring spreading a few numbers per member
	// over many shared blocks stays under every per-block bar, but its
	// members' block sets overlap far more than chance: contacts missing
	// from the platform scatter over a country's whole numbering plan.
	// Only accounts whose lookups almost all find nobody (at most
	// ThinMaxHitRatio of them matched an account: ten times what random
	// numbers of a block find, 0.85% in the 2019 incident; and Blind)
	// touch blocks thinly. Address books find people at 30-60%, and a support desk
	// checking callers finds customers; the unmatched numbers of their
	// heavy users would otherwise link them through a country's blocks.
	// ThinMaxMedian: an account touches no block thinly when the median
	// of its unmatched numbers per block it does not sweep is this or
	// more (thinSpread); 0 turns the bound off.
	ThinMaxMedian   int     `json:"thinMaxMedian"`
	ThinMinMisses   int     `json:"thinMinMisses"`
	ThinMinShared   int     `json:"thinMinShared"`
	ThinMaxHitRatio float64 `json:"thinMaxHitRatio"`
	ThinWeight      float64 `json:"thinWeight"`
	// MinWeight: pairs lighter than this are not kept.
	MinWeight float64 `json:"minWeight"`
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int `json:"-"`
}

// DefaultParams returns the defaults documented in docs/DETECTION.md.
func DefaultParams() Params {
	return Params{
		HubCap:           [NumKinds]int{IP: 200, Device: 50, Target: 200},
		KindWeight:       [NumKinds]float64{IP: 1, Device: 1.5, Target: 0},
		MinSharedTargets: 3,
		LockstepWindow:   30 * 60,
		LockstepWeight:   1,
		BlockMinLookups:  25,
		BlockMaxHitRatio: 0.5,
		BlockMinRun:      5,
		BlockRunShare:    0.8,
		BlockWeight:      6,
		BlockHubCap:      1000,
		ThinMinMisses:    2,
		ThinMaxMedian:    12,
		ThinMinShared:    2,
		ThinMaxHitRatio:  0.1,
		ThinWeight:       1,
		MinWeight:        1,
	}
}

// Rarity is the weight a resource shared by k accounts gives each pair of
// them: 1/ln(1+k), so 0.91 for two accounts, 0.25 for fifty.
func Rarity(k int) float64 { return 1 / math.Log1p(float64(k)) }

// Hub is a resource dropped because too many accounts touched it.
type Hub struct {
	Kind     string `json:"kind"`          // ip, device, target, block
	Key      string `json:"key,omitempty"` // address, device id or block; empty for targets
	Ref      int64  `json:"ref"`           // the builder's reference (store node id); -1 for blocks
	Accounts int    `json:"accounts"`
}

// Stats describes a projection.
type Stats struct {
	Accounts    int            `json:"accounts"`
	InputEdges  int            `json:"inputEdges"`
	EdgesKept   int            `json:"edgesKept"`
	PairsSeen   int64          `json:"pairsSeen"`
	HubsDropped map[string]int `json:"hubsDropped"`
	LargestHubs []Hub          `json:"largestHubs"` // up to 10, largest first
	SweptBlocks int            `json:"sweptBlocks"`
}

// Result is the similarity graph and what it took to build it.
type Result struct {
	Graph *csr.Graph
	Stats Stats
	// swept and thin are the block indices the rows were built from:
	// Reproject compares a later state's with them.
	swept, thin sweepIndex
}

// Project builds the account-similarity graph of b. Node u of the graph is
// dense account u of b. It costs O(sum over kept resources of k^2) time
// and O(edges + n·workers) memory.
func Project(b *Bipartite, p Params) Result {
	sw, thin := sweeps(b, p)
	return project(b, p, sw, thin, nil, nil)
}

// project builds the graph from b's block indices sw and thin, building
// every row, or, given an earlier graph, only the rows marked in rebuild
// and carrying the others over from it (Reproject).
func project(b *Bipartite, p Params, sw, thin sweepIndex, earlier *csr.Graph, rebuild []bool) Result {
	n := b.NumAccounts()
	st := Stats{Accounts: n, HubsDropped: map[string]int{}}
	var hubs []Hub
	for k := range NumKinds {
		st.InputEdges += len(b.Edges[k])
		for r := range int32(b.NumResources(k)) {
			if d := b.ResourceDegree(k, r); d > p.HubCap[k] {
				st.HubsDropped[k.String()]++
				hubs = append(hubs, Hub{Kind: k.String(), Key: b.Keys[k][r], Ref: b.Refs[k][r], Accounts: d})
			}
		}
	}
	st.SweptBlocks = len(sw.blockOff) - 1
	for blk := range int32(len(sw.blockOff) - 1) {
		if d := int(sw.blockOff[blk+1] - sw.blockOff[blk]); d > p.BlockHubCap {
			st.HubsDropped["block"]++
			hubs = append(hubs, Hub{Kind: "block", Key: b.Blocks.Key(blk), Ref: -1, Accounts: d})
		}
		if d := int(thin.blockOff[blk+1] - thin.blockOff[blk]); d > p.BlockHubCap {
			st.HubsDropped["thinBlock"]++
			hubs = append(hubs, Hub{Kind: "thinBlock", Key: b.Blocks.Key(blk), Ref: -1, Accounts: d})
		}
	}
	slices.SortFunc(hubs, func(x, y Hub) int {
		if c := cmp.Compare(y.Accounts, x.Accounts); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Kind, y.Kind); c != 0 {
			return c
		}
		return cmp.Compare(x.Ref, y.Ref)
	})
	st.LargestHubs = hubs[:min(10, len(hubs))]

	const chunk = 2048
	chunks := (n + chunk - 1) / chunk
	out := make([][]csr.Edge, chunks)
	pairs := make([]int64, chunks)
	parallel.ForEach(chunks, p.Workers, func() func(c int) {
		s := newScratch(n)
		return func(c int) {
			var es []csr.Edge
			for a := int32(c * chunk); a < int32(min(n, (c+1)*chunk)); a++ {
				if earlier != nil && !rebuild[a] {
					es = carryRow(earlier, a, es)
				} else {
					es = s.row(b, &sw, &thin, p, a, es)
				}
			}
			out[c] = es
			pairs[c] = s.pairs
			s.pairs = 0
		}
	})
	total := 0
	for c := range out {
		total += len(out[c])
		st.PairsSeen += pairs[c]
	}
	edges := make([]csr.Edge, 0, total)
	for c := range out {
		edges = append(edges, out[c]...)
		out[c] = nil
	}
	st.EdgesKept = len(edges)
	return Result{Graph: csr.FromEdges(n, edges), Stats: st, swept: sw, thin: thin}
}

// sweepIndex lists, for each account, the blocks it swept (or touched
// thinly), and for each block the accounts that did (increasing).
type sweepIndex struct {
	accOff   []int32
	accBlk   []int32
	blockOff []int32
	blockAcc []int32
}

// sweeps returns the index of swept blocks and the index of thinly
// touched ones (Params.ThinMinMisses), read in one pass over the lookups,
// accounts split into chunks across workers. Each chunk lists its pairs
// in account order and the chunks are joined in order, so the index is
// the same whatever the number of workers.
func sweeps(b *Bipartite, p Params) (swept, thin sweepIndex) {
	n := b.NumAccounts()
	nb := b.Blocks.Len()
	if nb == 0 || (p.BlockMinLookups <= 0 && p.ThinMinMisses <= 0) {
		empty := sweepIndex{accOff: make([]int32, n+1), blockOff: make([]int32, nb+1)}
		return empty, empty
	}
	beside := besideLooked(b)
	const chunk = 4096
	chunks := (n + chunk - 1) / chunk
	sws, ths := make([]blockPairs, chunks), make([]blockPairs, chunks)
	parallel.ForEach(chunks, p.Workers, func() func(c int) {
		bs := newBlockScratch(nb)
		return func(c int) {
			for a := int32(c * chunk); a < int32(min(n, (c+1)*chunk)); a++ {
				bs.account(b, p, beside, a, &sws[c], &ths[c])
			}
		}
	})
	return joinPairs(sws).index(n, nb), joinPairs(ths).index(n, nb)
}

// blockScratch holds one worker's per-block counts of the account being
// read, dense over blocks, with the blocks it touched to reset them.
type blockScratch struct {
	cnt, hits, inRun []int32
	touched          []int32
	thinBlocks       []int32
	spread           []int32 // misses per block the account does not sweep
}

func newBlockScratch(nb int) *blockScratch {
	return &blockScratch{cnt: make([]int32, nb), hits: make([]int32, nb), inRun: make([]int32, nb)}
}

// account adds account a's swept blocks to sw and its thinly touched
// ones to th.
func (bs *blockScratch) account(b *Bipartite, p Params, beside []bool, a int32, sw, th *blockPairs) {
	var all, allHits int
	for _, e := range b.AccountEdges(Target, a) {
		all++
		if e.Hits > 0 {
			allHits++
		}
		blk := b.TargetBlock[e.Resource]
		if blk < 0 {
			continue
		}
		if bs.cnt[blk] == 0 {
			bs.touched = append(bs.touched, blk)
		}
		bs.cnt[blk]++
		if e.Hits > 0 {
			bs.hits[blk]++
			continue
		}
		if beside[e.Resource] {
			bs.inRun[blk]++
		}
	}
	thinner := float64(allHits) <= p.ThinMaxHitRatio*float64(all) && Blind(int64(all), int64(allHits))
	// An account walks runs when most of its misses, over all its
	// blocks, lie beside numbers someone looked up; an address book
	// with a few contacts inside a block a sweep covered has runs
	// there by the sweep's doing, not its own.
	var runs, misses int32
	for _, blk := range bs.touched {
		runs += bs.inRun[blk]
		misses += bs.cnt[blk] - bs.hits[blk]
	}
	walks := float64(runs) >= p.BlockRunShare*float64(misses)
	bs.thinBlocks = bs.thinBlocks[:0]
	bs.spread = bs.spread[:0]
	for _, blk := range bs.touched {
		c, h, r := bs.cnt[blk], bs.hits[blk], bs.inRun[blk]
		bs.cnt[blk], bs.hits[blk], bs.inRun[blk] = 0, 0, 0
		if float64(h) > p.BlockMaxHitRatio*float64(c) {
			continue
		}
		miss := c - h
		switch {
		case p.BlockMinLookups > 0 && ((int(miss) >= p.BlockMinLookups && concentrated(int(miss), missGroups(b, a, blk))) || (walks && int(r) >= p.BlockMinRun && float64(r) >= p.BlockRunShare*float64(miss))):
			sw.add(a, blk)
		case miss > 0:
			bs.spread = append(bs.spread, miss)
			if thinner && p.ThinMinMisses > 0 && int(miss) >= p.ThinMinMisses {
				bs.thinBlocks = append(bs.thinBlocks, blk)
			}
		}
	}
	bs.touched = bs.touched[:0]
	if thinSpread(bs.spread, p) {
		for _, blk := range bs.thinBlocks {
			th.add(a, blk)
		}
	}
	sw.endAccount()
	th.endAccount()
}

// Blind reports whether an account that made n lookups, hits of which
// matched an account, looks numbers up blindly rather than from an address
// book: the odds of its hits under a blind enumerator's hit rate
// (blindRate, the 2019 incident's 0.85% rounded up) against the lowest
// rate of an address book (bookRate, 30%; Hagen et al.) are at least
// blindOdds. A point estimate calls 2 hits in 21 lookups (9.5%) blind;
// with so few lookups both readings are about as likely, and an account
// that has made a handful of lookups cannot be shown to be either. No
// hits in 7 lookups, 1 in 18 or 2 in 29 are blind; any share above about
// 9% is never.
func Blind(n, hits int64) bool {
	if n <= 0 {
		return false
	}
	llr := float64(n-hits)*math.Log((1-blindRate)/(1-bookRate)) - float64(hits)*math.Log(bookRate/blindRate)
	return llr >= math.Log(blindOdds)
}

const (
	blindRate = 0.01
	bookRate  = 0.3
	blindOdds = 10
)

// thinSpread reports whether an account whose unswept blocks hold spread
// misses each spreads them thinly: the median block holds fewer than
// Params.ThinMaxMedian. A ring spreading thin puts a few numbers in each
// block; an account with dozens in each (a support desk's callers, a
// heavy address book, in a country of few blocks: a small world or a
// small country) covers its blocks alone and shares no work, so none of
// its blocks is a thin touch.
func thinSpread(spread []int32, p Params) bool {
	if len(spread) == 0 || p.ThinMaxMedian <= 0 {
		return len(spread) > 0
	}
	slices.Sort(spread)
	return int(spread[len(spread)/2]) < p.ThinMaxMedian
}

// missGroups counts the groups of 100 of block blk holding a number
// account a looked up that matched nobody. It walks a's lookups again,
// which only accounts with BlockMinLookups misses in a block pay.
func missGroups(b *Bipartite, a, blk int32) int {
	var seen [blockSize / groupSize]bool
	n := 0
	for _, e := range b.AccountEdges(Target, a) {
		if b.TargetBlock[e.Resource] != blk || e.Hits > 0 {
			continue
		}
		// Offsets are a block's last four digits; anything else
		// counts as a group of its own (never a panic on odd input).
		g := b.TargetOffset[e.Resource] / groupSize
		if g < 0 || int(g) >= len(seen) {
			n++
		} else if !seen[g] {
			seen[g] = true
			n++
		}
	}
	return n
}

// groupSize is how many numbers share a group: all digits but the last
// two, so a block of 10,000 holds 100 groups.
const groupSize = 100

// blockSize is how many numbers share a block: all digits but the last
// four.
const blockSize = 10000

// concentrated reports whether miss numbers of one block, falling in
// groups distinct groups of 100, cluster the way a sweep does: in at most
// half the groups that as many numbers drawn at random from the whole
// block would fall in (100·(1-(99/100)^miss)). A sweep, in order or
// shuffled, fills a few groups at a time; customers' or contacts'
// numbers scatter over the block. Without this, anyone who looks up
// enough numbers of a country with few blocks (a small world, a small
// country, a support desk's callers) "sweeps" its blocks and links to
// everyone else who does. Sweeps split so thin that each member's share
// scatters are still found by their runs (BlockMinRun).
func concentrated(miss, groups int) bool {
	scatter := 100 * (1 - math.Pow(1-1.0/groupSize, float64(miss)))
	return float64(groups) <= 0.5*scatter
}

// blockPairs collects (account, block) pairs account by account.
type blockPairs struct {
	pairs [][2]int32
	start int
}

func (bp *blockPairs) add(a, blk int32) { bp.pairs = append(bp.pairs, [2]int32{a, blk}) }

// endAccount sorts the current account's blocks: map order must not
// reach the graph.
func (bp *blockPairs) endAccount() {
	slices.SortFunc(bp.pairs[bp.start:], func(x, y [2]int32) int { return cmp.Compare(x[1], y[1]) })
	bp.start = len(bp.pairs)
}

// joinPairs concatenates chunks' pairs in chunk order.
func joinPairs(chunks []blockPairs) *blockPairs {
	total := 0
	for _, c := range chunks {
		total += len(c.pairs)
	}
	out := &blockPairs{pairs: make([][2]int32, 0, total)}
	for _, c := range chunks {
		out.pairs = append(out.pairs, c.pairs...)
	}
	return out
}

func (bp *blockPairs) index(n, nb int) sweepIndex {
	pairs := bp.pairs
	si := sweepIndex{accOff: offsets(len(pairs), n, func(i int) int32 { return pairs[i][0] })}
	si.accBlk = make([]int32, len(pairs))
	for i, pr := range pairs {
		si.accBlk[i] = pr[1]
	}
	si.blockOff = offsets(len(pairs), nb, func(i int) int32 { return pairs[i][1] })
	si.blockAcc = make([]int32, len(pairs))
	next := slices.Clone(si.blockOff[:nb])
	for _, pr := range pairs { // pairs are in account order, so groups stay sorted
		si.blockAcc[next[pr[1]]] = pr[0]
		next[pr[1]]++
	}
	return si
}

// besideLooked marks each target whose number has a looked-up neighbour,
// the number one above or below it in the same block: the trace of a walk
// through consecutive numbers. It sorts each block's looked-up numbers
// once, so the lookups' pass asks a slice, not a search per lookup.
func besideLooked(b *Bipartite) []bool {
	nb := b.Blocks.Len()
	var looked []int32 // targets in a block that someone looked up
	for t, blk := range b.TargetBlock {
		if blk >= 0 && b.ResourceDegree(Target, int32(t)) > 0 {
			looked = append(looked, int32(t))
		}
	}
	start := offsets(len(looked), nb, func(i int) int32 { return b.TargetBlock[looked[i]] })
	// A key orders by offset (sign bit flipped so negative offsets from
	// odd input sort first) and carries the target.
	keys := make([]uint64, len(looked))
	next := slices.Clone(start[:nb])
	for _, t := range looked {
		blk := b.TargetBlock[t]
		keys[next[blk]] = uint64(uint32(b.TargetOffset[t])^1<<31)<<32 | uint64(uint32(t))
		next[blk]++
	}
	offset := func(k uint64) int64 { return int64(int32(uint32(k>>32) ^ 1<<31)) }
	beside := make([]bool, len(b.TargetBlock))
	for blk := range nb {
		ks := keys[start[blk]:start[blk+1]]
		slices.Sort(ks)
		// Equal offsets (one number under two targets) form a run of
		// keys; each run looks at the runs just before and after it.
		for lo := 0; lo < len(ks); {
			off := offset(ks[lo])
			hi := lo + 1
			for hi < len(ks) && offset(ks[hi]) == off {
				hi++
			}
			has := (lo > 0 && offset(ks[lo-1]) == off-1) || (hi < len(ks) && offset(ks[hi]) == off+1)
			for _, k := range ks[lo:hi] {
				beside[uint32(k)] = has
			}
			lo = hi
		}
	}
	return beside
}

// scratch holds one worker's dense accumulators for the row being built.
type scratch struct {
	infra, tgt, lock, blk, thin []float64
	shared, thinShared          []int32
	seen                        []bool
	touched                     []int32
	pairs                       int64
}

func newScratch(n int) *scratch {
	return &scratch{
		infra: make([]float64, n), tgt: make([]float64, n), lock: make([]float64, n), blk: make([]float64, n), thin: make([]float64, n),
		shared: make([]int32, n), thinShared: make([]int32, n), seen: make([]bool, n),
	}
}

func (s *scratch) touch(v int32) {
	if !s.seen[v] {
		s.seen[v] = true
		s.touched = append(s.touched, v)
	}
}

// row accumulates the similarity of account a to every account v > a and
// appends the kept edges to es.
func (s *scratch) row(b *Bipartite, sw, thin *sweepIndex, p Params, a int32, es []csr.Edge) []csr.Edge {
	for _, k := range []Kind{IP, Device} {
		for _, e := range b.AccountEdges(k, a) {
			d := b.ResourceDegree(k, e.Resource)
			if d < 2 || d > p.HubCap[k] {
				continue
			}
			w := p.KindWeight[k] * Rarity(d)
			b.ResourceEdges(k, e.Resource, a, func(o *Edge) {
				s.touch(o.Account)
				s.infra[o.Account] += w
			})
		}
	}
	for _, e := range b.AccountEdges(Target, a) {
		d := b.ResourceDegree(Target, e.Resource)
		if d < 2 || d > p.HubCap[Target] {
			continue
		}
		w := Rarity(d)
		first := e.First
		b.ResourceEdges(Target, e.Resource, a, func(o *Edge) {
			v := o.Account
			s.touch(v)
			s.tgt[v] += w
			// Lockstep counts numbers that matched nobody, as
			// scoring's lockstep does: a number that matched is a
			// person, whom a sweep passing through the block finds
			// in the same half hour as a friend's address book by
			// chance (in a world of few blocks, often).
			if dt := o.First - first; e.Hits == 0 && o.Hits == 0 && dt <= p.LockstepWindow && -dt <= p.LockstepWindow {
				s.lock[v] += w
				s.shared[v]++
			}
		})
	}
	s.blocks(sw, p, a, s.blk, nil)
	s.blocks(thin, p, a, s.thin, s.thinShared)
	// Sorting the touched accounts makes the emitted edge order, and so
	// the float sums in FromEdges, independent of resource order.
	slices.Sort(s.touched)
	s.pairs += int64(len(s.touched))
	for _, v := range s.touched {
		w := s.infra[v] + p.BlockWeight*s.blk[v]
		if int(s.shared[v]) >= p.MinSharedTargets {
			w += p.KindWeight[Target]*s.tgt[v] + p.LockstepWeight*s.lock[v]
		}
		if int(s.thinShared[v]) >= p.ThinMinShared {
			w += p.ThinWeight * s.thin[v]
		}
		if w >= p.MinWeight {
			es = append(es, csr.Edge{U: a, V: v, W: w})
		}
		s.infra[v], s.tgt[v], s.lock[v], s.blk[v], s.thin[v], s.shared[v], s.thinShared[v], s.seen[v] = 0, 0, 0, 0, 0, 0, 0, false
	}
	s.touched = s.touched[:0]
	return es
}

// blocks adds the rarity weight of each block of a's in idx to acc[v] for
// every later account v with the same block, and counts the shared blocks
// in n when n is not nil.
func (s *scratch) blocks(idx *sweepIndex, p Params, a int32, acc []float64, n []int32) {
	for _, blk := range idx.accBlk[idx.accOff[a]:idx.accOff[a+1]] {
		d := int(idx.blockOff[blk+1] - idx.blockOff[blk])
		if d < 2 || d > p.BlockHubCap {
			continue
		}
		w := Rarity(d)
		for _, v := range idx.blockAcc[idx.blockOff[blk]:idx.blockOff[blk+1]] {
			if v > a {
				s.touch(v)
				acc[v] += w
				if n != nil {
					n[v]++
				}
			}
		}
	}
}
