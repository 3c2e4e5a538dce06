import { describe, expect, it } from 'vitest';
import { durationBetween, formatBytes, formatCount, formatDate, formatDuration, formatPercent, formatScore, formatTime, humanise, targetLabel } from './format';

describe('format', () => {
  it.each([
    [0, '0'],
    [1234567, '1,234,567'],
    [12.6, '13'],
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
  ])('formatCount(%s) = %s', (n, want) => expect(formatCount(n as number)).toBe(want));

  it.each([
    [0.873, '0.87'],
    [1, '1.00'],
    [1.4, '1.00'],
    [-0.1, '0.00'],
    [null, '—'],
  ])('formatScore(%s) = %s', (n, want) => expect(formatScore(n as number)).toBe(want));

  it('formatPercent', () => {
    expect(formatPercent(0.0085, 2)).toBe('0.85%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe('—');
  });

  it('formatTime and formatDate use UTC', () => {
    expect(formatTime('2026-11-25T13:05:09+01:00')).toBe('2026-11-25 12:05 UTC');
    expect(formatDate('2026-11-25T23:30:00-02:00')).toBe('2026-11-26');
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTime(null)).toBe('—');
  });

  it.each([
    [850, '850 ms'],
    [12_345, '12.3 s'],
    [245_000, '4 min 05 s'],
    [7_380_000, '2 h 03 min'],
    [-1, '—'],
  ])('formatDuration(%s) = %s', (ms, want) => expect(formatDuration(ms)).toBe(want));

  it('durationBetween', () => {
    expect(durationBetween('2026-01-01T00:00:00Z', '2026-01-01T00:00:02Z')).toBe(2000);
    expect(durationBetween('2026-01-01T00:00:00Z', null)).toBeNull();
    expect(durationBetween('x', '2026-01-01T00:00:00Z')).toBeNull();
  });

  it.each([
    ['SWEEP_COVERAGE', 'Sweep coverage'],
    ['sweep_coverage', 'Sweep coverage'],
    ['lookupVelocity', 'Lookup velocity'],
    ['hit-ratio', 'Hit ratio'],
  ])('humanise(%s) = %s', (id, want) => expect(humanise(id)).toBe(want));

  it('formatBytes', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(123_456)).toBe('123.5 kB');
    expect(formatBytes(2_500_000)).toBe('2.50 MB');
  });
});

describe('targetLabel', () => {
  it('tells two targets of one group apart by their key, not their number', () => {
    const a = targetLabel({ key: '3fa9e0', masked: '+1 415-555-01xx' });
    const b = targetLabel({ key: '77c1d2', masked: '+1 415-555-01xx' });
    expect(a).toBe('+1 415-555-01xx #3fa9');
    expect(a).not.toBe(b);
  });
});
