// Sweep plot: an enumeration ring walks a number block (the last four digits,
// offsets 0..9999) in order, however it shuffles the numbers between members
// and over time. Plotting every looked-up offset along the block makes such a
// walk a solid band, while organic lookups are a few scattered dots.

export const BLOCK_SIZE = 10000;

/** SweepPoint is one looked-up target: its (masked) block label and offset in the block. */
export interface SweepPoint {
  block: string;
  offset: number;
  /** lookups of that target (default 1) */
  count?: number;
  /** first lookup time, RFC 3339 */
  time?: string | null;
}

export interface Run {
  start: number;
  length: number;
}

/** BlockSweep summarises one block's lookups for the plot and its caption. */
export interface BlockSweep {
  block: string;
  /** distinct offsets looked up */
  distinct: number;
  /** total lookups (sum of counts) */
  lookups: number;
  /** distinct offsets per bin: bins[i] counts offsets in [i*binWidth, (i+1)*binWidth) */
  bins: number[];
  binWidth: number;
  minOffset: number;
  maxOffset: number;
  /** longest run of consecutive offsets (the sweep's signature) */
  longestRun: Run;
  /** distinct / (maxOffset - minOffset + 1): 1 means every number in the span was tried */
  density: number;
  /** points ignored because their offset was not an integer in 0..BLOCK_SIZE-1 */
  rejected: number;
}

/** longestConsecutiveRun finds the longest run of consecutive integers among offsets (duplicates allowed, any order). */
export function longestConsecutiveRun(offsets: Iterable<number>): Run {
  const sorted = Array.from(new Set(offsets)).sort((a, b) => a - b);
  if (sorted.length === 0) return { start: 0, length: 0 };
  let best: Run = { start: sorted[0], length: 1 };
  let cur: Run = { start: sorted[0], length: 1 };
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1] + 1) {
      cur.length++;
    } else {
      cur = { start: sorted[i], length: 1 };
    }
    if (cur.length > best.length) best = { ...cur };
  }
  return best;
}

function validOffset(o: number, blockSize: number): boolean {
  return Number.isInteger(o) && o >= 0 && o < blockSize;
}

/**
 * binSweep groups points by block and bins each block's distinct offsets into
 * binCount equal bins over 0..blockSize-1. Blocks come back most distinct
 * offsets first (ties by block label), so the sweep, if any, is on top.
 */
export function binSweep(points: SweepPoint[], binCount = 100, blockSize = BLOCK_SIZE): BlockSweep[] {
  if (binCount < 1 || !Number.isInteger(binCount)) throw new Error(`binSweep: binCount must be a positive integer, got ${binCount}`);
  const binWidth = Math.ceil(blockSize / binCount);
  const byBlock = new Map<string, { offsets: Set<number>; lookups: number; rejected: number }>();
  for (const p of points) {
    let b = byBlock.get(p.block);
    if (!b) {
      b = { offsets: new Set(), lookups: 0, rejected: 0 };
      byBlock.set(p.block, b);
    }
    if (!validOffset(p.offset, blockSize)) {
      b.rejected++;
      continue;
    }
    b.offsets.add(p.offset);
    b.lookups += p.count ?? 1;
  }
  const out: BlockSweep[] = [];
  for (const [block, b] of byBlock) {
    const bins = new Array<number>(binCount).fill(0);
    let min = Infinity;
    let max = -Infinity;
    for (const o of b.offsets) {
      bins[Math.min(binCount - 1, Math.floor(o / binWidth))]++;
      if (o < min) min = o;
      if (o > max) max = o;
    }
    const distinct = b.offsets.size;
    out.push({
      block,
      distinct,
      lookups: b.lookups,
      bins,
      binWidth,
      minOffset: distinct ? min : 0,
      maxOffset: distinct ? max : 0,
      longestRun: longestConsecutiveRun(b.offsets),
      density: distinct ? distinct / (max - min + 1) : 0,
      rejected: b.rejected,
    });
  }
  out.sort((a, b) => b.distinct - a.distinct || a.block.localeCompare(b.block));
  return out;
}

/** sweepCaption says in one sentence what the plot shows, with the numbers. */
export function sweepCaption(s: BlockSweep): string {
  if (s.distinct === 0) return `No valid lookups in block ${s.block}.`;
  const where = s.longestRun.start >= 0 ? ` (offsets ${s.longestRun.start}–${s.longestRun.start + s.longestRun.length - 1})` : '';
  // From the API (start -1) the run counts whole groups of 100 only: the
  // API never says which numbers of a partly looked-up group were tried.
  const run =
    s.longestRun.start < 0
      ? s.longestRun.length > 0
        ? ` The longest stretch of fully looked-up groups covers ${s.longestRun.length} consecutive numbers.`
        : ' No group of 100 numbers was looked up in full.'
      : s.longestRun.length > 1
        ? ` The longest walk covers ${s.longestRun.length} consecutive numbers${where}.`
        : ' No two looked-up numbers are consecutive.';
  return `${s.distinct} distinct numbers looked up in block ${s.block}, offsets ${s.minOffset}–${s.maxOffset} (${Math.round(s.density * 100)}% of that span).${run}`;
}

/**
 * ApiSweepBlock is the privacy-preserving sweep summary the UI asks the API
 * for (`Account.sweep`, proposed; see docs/UI.md): per number block, a masked
 * label and distinct-number counts per bin, never an individual offset (block
 * and offset together are the number).
 */
export interface ApiSweepBlock {
  block: string;
  distinct: number;
  lookups: number;
  /** numbers in the longest stretch of full bins (whole groups of 100) */
  longestRun: number;
  bins: number[];
}

/** fromApi turns the API's per-block summaries into what SweepPlot draws. */
export function fromApi(blocks: ApiSweepBlock[], blockSize = BLOCK_SIZE): BlockSweep[] {
  return blocks
    .filter((b) => b.bins.length > 0)
    .map((b) => {
      const binWidth = Math.ceil(blockSize / b.bins.length);
      const used = b.bins.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
      const minOffset = used.length ? used[0] * binWidth : 0;
      const maxOffset = used.length ? Math.min(blockSize - 1, (used[used.length - 1] + 1) * binWidth - 1) : 0;
      return {
        block: b.block,
        distinct: b.distinct,
        lookups: b.lookups,
        bins: b.bins,
        binWidth,
        minOffset,
        maxOffset,
        longestRun: { start: -1, length: b.longestRun },
        density: b.distinct && used.length ? b.distinct / (maxOffset - minOffset + 1) : 0,
        rejected: 0,
      };
    })
    .sort((a, b) => b.distinct - a.distinct || a.block.localeCompare(b.block));
}
