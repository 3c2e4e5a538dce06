import { describe, expect, it } from 'vitest';
import { describeCriteria, splitIds, toCriteria } from './criteria';

const base = { runId: 'r1', minScore: '', networkIds: '', confirmedOnly: false, excludeVerified: true };

describe('toCriteria', () => {
  it('sends only what was set, allowlisted always excluded', () => {
    expect(toCriteria(base)).toEqual({ runId: 'r1', confirmedOnly: false, excludeVerified: true, excludeAllowlisted: true });
  });
  it('parses score and network ids', () => {
    expect(toCriteria({ ...base, minScore: '0.75', networkIds: 'n1, n2\nn1 ;n3', confirmedOnly: true })).toEqual({
      runId: 'r1', minScore: 0.75, networkIds: ['n1', 'n2', 'n3'], confirmedOnly: true, excludeVerified: true, excludeAllowlisted: true,
    });
  });
  it.each([
    [{ ...base, runId: ' ' }, /run/],
    [{ ...base, minScore: '2' }, /0 to 1/],
    [{ ...base, minScore: 'x' }, /0 to 1/],
  ])('rejects %j', (f, re) => {
    expect(() => toCriteria(f)).toThrow(re);
  });
});

describe('splitIds', () => {
  it('drops blanks and repeats, keeps order', () => {
    expect(splitIds(' a,,b  a\n c ')).toEqual(['a', 'b', 'c']);
    expect(splitIds('')).toEqual([]);
  });
});

describe('describeCriteria', () => {
  it('summarises', () => {
    expect(describeCriteria({ runId: 'r1', minScore: 0.8, networkIds: ['a'], confirmedOnly: true, excludeVerified: true })).toBe('run r1, score ≥ 0.8, 1 network, confirmed only, no verified');
    expect(describeCriteria(null)).toBe('—');
  });
});
