import { describe, expect, it } from 'vitest';
import { byContribution, countryTally, evidenceSentences, signalBars } from './evidence';

describe('evidenceSentences', () => {
  it.each([
    { name: 'null', in: null, want: [] },
    { name: 'string', in: ' 40 accounts shared 3 IPs. ', want: ['40 accounts shared 3 IPs.'] },
    { name: 'list of strings', in: ['a', '', 'b'], want: ['a', 'b'] },
    { name: 'objects with text', in: [{ kind: 'sweep', text: 'Swept 9,000 numbers.' }, { sentence: 'Hit ratio 0.85%.' }], want: ['Swept 9,000 numbers.', 'Hit ratio 0.85%.'] },
    { name: 'sentences key', in: { sentences: ['x', 'y'], raw: { a: 1 } }, want: ['x', 'y'] },
    { name: 'plain values', in: { sharedIps: 3, hitRatio: 0.0085, datacenter: true }, want: ['Shared ips: 3', 'Hit ratio: 0.0085', 'Datacenter: yes'] },
    { name: 'nested single sentence', in: { sweep: { summary: 'walked block +1 415 555' } }, want: ['Sweep: walked block +1 415 555'] },
  ])('$name', ({ in: input, want }) => {
    expect(evidenceSentences(input)).toEqual(want);
  });

  it('stops at deep nesting instead of recursing forever', () => {
    let o: unknown = 'deep';
    for (let i = 0; i < 20; i++) o = [o];
    expect(evidenceSentences(o)).toEqual([]);
  });
});

describe('signalBars', () => {
  it('orders by contribution, not by measure, and scales to the largest', () => {
    const bars = signalBars([
      { name: 'COUNTRY_SPREAD', contribution: 0, measured: 9 },
      { name: 'HIT_RATIO', contribution: 0.1, measured: 0.004 },
      { name: 'SWEEP', contribution: 0.4, measured: 0.9, detail: '4,000 of 4,000 distinct numbers looked up lie in groups of 100 numbers' },
    ]);
    expect(bars.map((b) => b.name)).toEqual(['SWEEP', 'HIT_RATIO', 'COUNTRY_SPREAD']);
    expect(bars[0].width).toBe(1);
    expect(bars[1].width).toBeCloseTo(0.25);
    expect(bars[2].width).toBe(0);
    expect(bars[0].note).toMatch(/^4,000 of 4,000 distinct numbers/);
    expect(bars[0].label).toBe('Sweep');
    expect(bars[2].measured).toBe(9);
  });

  it('never goes negative and handles all-zero signals', () => {
    const bars = signalBars([{ name: 'A', contribution: -3 }, { name: 'B', contribution: 0 }]);
    expect(bars.map((b) => [b.contribution, b.width, b.measured, b.note])).toEqual([
      [0, 0, null, ''],
      [0, 0, null, ''],
    ]);
  });
});

describe('byContribution', () => {
  it('sorts largest contribution first, ties by name', () => {
    expect(byContribution([{ name: 'B', contribution: 0.1 }, { name: 'C', contribution: 0.3 }, { name: 'A', contribution: 0.1 }]).map((s) => s.name)).toEqual(['C', 'A', 'B']);
  });
});

describe('countryTally', () => {
  it('says when it shows a top-k and how many countries there are', () => {
    const t = countryTally({ count: 9, top: [{ country: 'IR', count: 1204 }, { country: 'NL', count: 310 }, { country: 'US', count: 55 }] }, 'logins');
    expect(t.text).toBe('IR 1,204 · NL 310 · US 55');
    expect(t.note).toBe('top 3 of 9 countries');
    expect(t.label).toBe('9 countries; top 3 by logins: IR 1204 logins, NL 310 logins, US 55 logins');
  });

  it('says "all" when nothing is left out, and copes with none', () => {
    expect(countryTally({ count: 2, top: [{ country: 'IR', count: 5 }, { country: 'RU', count: 2 }] }, 'members').note).toBe('all 2 countries');
    expect(countryTally({ count: 0, top: [] }, 'members').text).toBe('—');
    expect(countryTally(null, 'members').label).toBe('no countries');
  });
});
