package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/lockstep-dev/lockstep/target"
)

// The sweep summary behind the account view's sweep plot (Account.sweep).
// An enumeration ring walks a number block (E.164 without its last four
// digits) in order; plotting the account's lookups along the block shows
// such a walk as a solid band. Block and offset together are the raw
// number, so offsets never leave this file: the API gets, per block, a
// masked label and counts per group of 100 numbers only (a bin is a group:
// the numbers that share all but their last two digits). Every value is
// computed from the bins alone, so it does not change when the numbers
// inside a group are swapped for others of the same group: nothing here
// says more about a number than its group (docs/API.md, "Privacy of
// looked-up numbers").

const (
	// SweepBlockSize is the number of offsets in a block (the last four digits).
	SweepBlockSize = 10000
	// SweepBins is the number of equal bins a block is cut into (bin i holds
	// offsets 100i..100i+99).
	SweepBins = 100
	// MaxSweepBlocks bounds the blocks returned per account: a sweep is a
	// few blocks; an organic account's scattered contacts make a long tail
	// that says nothing more.
	MaxSweepBlocks = 20
)

// SweepBlock summarises an account's lookups of the phone numbers of one
// number block. It holds no individual offset.
type SweepBlock struct {
	// Block is the masked block label, e.g. "+1 415-555-xxxx".
	Block string
	// Distinct is the number of distinct numbers of the block looked up.
	Distinct int
	// Lookups is the number of lookups of those numbers (sum of LOOKED_UP.count).
	Lookups int
	// LongestRun is the number of numbers in the longest stretch of
	// consecutive full bins (every number of the group looked up): a run
	// of consecutive numbers made of whole groups, a multiple of 100. A
	// run's ends inside partly looked-up groups are left out, since they
	// would say which numbers of those groups were looked up.
	LongestRun int
	// Bins[i] is the number of distinct numbers looked up with offsets in
	// [i*100, i*100+99].
	Bins []int
}

// SweepsByAccounts returns, for each account id, its phone lookups
// summarised per number block: at most MaxSweepBlocks blocks, most distinct
// numbers first (ties: more lookups, then label), the order the UI draws
// them in. E-mail targets (no offset) and offsets outside 0..9999 are left
// out; an account without phone lookups has no entry.
func (s *Store) SweepsByAccounts(ctx context.Context, ids []string) (_ map[string][]SweepBlock, err error) {
	defer wrap(&err, "Store.SweepsByAccounts(%d ids)", len(ids))
	// Grouping by the raw block in Cypher ships one row per (account,
	// block) with its offsets; the counts and runs are computed here so
	// that the offsets are dropped before anything is returned.
	recs, err := s.apiRecords(ctx, `UNWIND $ids AS id MATCH (a:Account {id: id})
CALL (a) {
  MATCH (a)-[u:LOOKED_UP]->(t:Target)
  WHERE t.kind = 'phone' AND t.block IS NOT NULL AND t.offset >= 0 AND t.offset < $size
  RETURN t.block AS block, collect(t.offset) AS offsets, sum(coalesce(u.count, 1)) AS lookups
}
RETURN id, block, offsets, lookups`, map[string]any{"ids": ids, "size": SweepBlockSize})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]SweepBlock, len(ids))
	for _, rec := range recs {
		var c cols
		offs := get[[]any](&c, rec, "offsets")
		offsets := make([]int, 0, len(offs))
		for _, o := range offs {
			v, err := elem[int64](o, "offset")
			c.fail(err)
			offsets = append(offsets, int(v))
		}
		id := get[string](&c, rec, "id")
		b := summariseSweep(offsets)
		b.Block = target.BlockLabel(get[string](&c, rec, "block"))
		b.Lookups = int(get[int64](&c, rec, "lookups"))
		if c.err != nil {
			return nil, fmt.Errorf("sweep of account %q: %w", id, c.err)
		}
		out[id] = append(out[id], b)
	}
	for id, l := range out {
		slices.SortFunc(l, func(x, y SweepBlock) int {
			return cmp.Or(cmp.Compare(y.Distinct, x.Distinct), cmp.Compare(y.Lookups, x.Lookups), cmp.Compare(x.Block, y.Block))
		})
		out[id] = l[:min(len(l), MaxSweepBlocks)]
	}
	return out, nil
}

// summariseSweep counts distinct offsets (any order, duplicates allowed;
// offsets outside the block are ignored) per bin and finds the longest
// stretch of full bins. It sorts offsets in place.
func summariseSweep(offsets []int) SweepBlock {
	b := SweepBlock{Bins: make([]int, SweepBins)}
	const width = SweepBlockSize / SweepBins
	slices.Sort(offsets)
	for i, o := range offsets {
		if o < 0 || o >= SweepBlockSize || (i > 0 && o == offsets[i-1]) {
			continue
		}
		b.Distinct++
		b.Bins[o/width]++
	}
	run := 0
	for _, n := range b.Bins {
		if n == width {
			run += width
		} else {
			run = 0
		}
		b.LongestRun = max(b.LongestRun, run)
	}
	return b
}
