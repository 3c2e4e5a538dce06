import { describe, expect, it } from 'vitest';
import { binSweep, fromApi, longestConsecutiveRun, sweepCaption } from './sweep';

describe('longestConsecutiveRun', () => {
  it.each([
    { name: 'empty', in: [], want: { start: 0, length: 0 } },
    { name: 'single', in: [42], want: { start: 42, length: 1 } },
    { name: 'shuffled walk', in: [5, 3, 4, 9, 6, 2], want: { start: 2, length: 5 } },
    { name: 'duplicates do not break a run', in: [1, 2, 2, 3, 3, 3], want: { start: 1, length: 3 } },
    { name: 'first of equal runs wins', in: [10, 11, 20, 21], want: { start: 10, length: 2 } },
    { name: 'no neighbours', in: [0, 2, 4], want: { start: 0, length: 1 } },
  ])('$name', ({ in: input, want }) => {
    expect(longestConsecutiveRun(input)).toEqual(want);
  });
});

describe('binSweep', () => {
  it('bins distinct offsets of each block over 0..9999', () => {
    const pts = [
      { block: '+1 415 555', offset: 0 },
      { block: '+1 415 555', offset: 99 },
      { block: '+1 415 555', offset: 100 },
      { block: '+1 415 555', offset: 100, count: 3 }, // same number again: one distinct offset
      { block: '+1 415 555', offset: 9999 },
    ];
    const [s] = binSweep(pts, 100);
    expect(s.binWidth).toBe(100);
    expect(s.bins[0]).toBe(2);
    expect(s.bins[1]).toBe(1);
    expect(s.bins[99]).toBe(1);
    expect(s.bins.reduce((a, b) => a + b, 0)).toBe(4);
    expect(s.distinct).toBe(4);
    expect(s.lookups).toBe(7);
    expect(s.minOffset).toBe(0);
    expect(s.maxOffset).toBe(9999);
  });

  it('shows a shuffled sweep as a dense band with a long run', () => {
    const offsets = Array.from({ length: 500 }, (_, i) => 2000 + i);
    // Shuffle deterministically: the order lookups happened in must not matter.
    offsets.sort((a, b) => ((a * 7919) % 500) - ((b * 7919) % 500));
    const [s] = binSweep(offsets.map((o) => ({ block: 'B', offset: o })), 10);
    expect(s.density).toBe(1);
    expect(s.longestRun).toEqual({ start: 2000, length: 500 });
    expect(s.bins[2]).toBe(500);
    expect(sweepCaption(s)).toContain('500 consecutive numbers (offsets 2000–2499)');
  });

  it('rejects offsets outside the block and non-integers', () => {
    const [s] = binSweep([
      { block: 'B', offset: -1 },
      { block: 'B', offset: 10000 },
      { block: 'B', offset: 1.5 },
      { block: 'B', offset: Number.NaN },
      { block: 'B', offset: 7 },
    ]);
    expect(s.rejected).toBe(4);
    expect(s.distinct).toBe(1);
  });

  it('orders blocks by distinct offsets, then label', () => {
    const out = binSweep([
      { block: 'b', offset: 1 },
      { block: 'a', offset: 1 },
      { block: 'c', offset: 1 },
      { block: 'c', offset: 2 },
    ]);
    expect(out.map((s) => s.block)).toEqual(['c', 'a', 'b']);
  });

  it('puts the last offset in the last bin when bins do not divide the block', () => {
    const [s] = binSweep([{ block: 'B', offset: 9999 }], 3);
    expect(s.binWidth).toBe(3334);
    expect(s.bins).toEqual([0, 0, 1]);
  });

  it('refuses a non-positive bin count', () => {
    expect(() => binSweep([], 0)).toThrow(/binCount/);
  });
});

describe('fromApi', () => {
  it('agrees with binSweep on counts, span and density', () => {
    const offsets = Array.from({ length: 300 }, (_, i) => 1200 + i);
    const [local] = binSweep(offsets.map((o) => ({ block: 'B', offset: o })), 100);
    const [api] = fromApi([{ block: 'B', distinct: 300, lookups: 300, longestRun: 300, bins: local.bins }]);
    expect(api.bins).toEqual(local.bins);
    expect(api.binWidth).toBe(100);
    expect(api.minOffset).toBe(1200);
    expect(api.maxOffset).toBe(1499);
    expect(api.density).toBe(1);
    expect(sweepCaption(api)).toContain('fully looked-up groups covers 300 consecutive numbers.');
  });

  it('drops blocks without bins and orders by distinct numbers', () => {
    const out = fromApi([
      { block: 'x', distinct: 1, lookups: 1, longestRun: 1, bins: [1, 0] },
      { block: 'y', distinct: 0, lookups: 0, longestRun: 0, bins: [] },
      { block: 'z', distinct: 5, lookups: 9, longestRun: 5, bins: [0, 5] },
    ]);
    expect(out.map((b) => b.block)).toEqual(['z', 'x']);
    expect(out[0].minOffset).toBe(5000);
  });
});
