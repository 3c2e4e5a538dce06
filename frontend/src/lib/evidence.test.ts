import { describe, expect, it } from 'vitest';
import { evidenceSentences, signalBars } from './evidence';

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
  it('uses detail.contribution when present and scales to the largest', () => {
    const bars = signalBars([
      { name: 'hit_ratio', value: 0.9, detail: { contribution: 0.1 } },
      { name: 'sweep_coverage', value: 0.5, detail: { contribution: 0.4, consecutive: 812 } },
      { name: 'lookup_velocity', value: 0.2 },
    ]);
    expect(bars.map((b) => b.name)).toEqual(['sweep_coverage', 'lookup_velocity', 'hit_ratio']);
    expect(bars[0].width).toBe(1);
    expect(bars[1].width).toBeCloseTo(0.5);
    expect(bars[0].note).toBe('Consecutive: 812');
    expect(bars[0].label).toBe('Sweep coverage');
  });

  it('derives contribution from weight and never goes negative', () => {
    const bars = signalBars([
      { name: 'a', value: 0.5, detail: { weight: 2 } },
      { name: 'b', value: -3 },
    ]);
    expect(bars[0].contribution).toBe(1);
    expect(bars[1].contribution).toBe(0);
    expect(bars[1].width).toBe(0);
  });

  it('takes the sentence detection wrote in detail.detail', () => {
    const [b] = signalBars([{ name: 'sweep', value: 1, detail: { contribution: 0.405, detail: '270 of 270 looked-up numbers lie in runs of 5+ consecutive numbers', measured: 1, name: 'sweep', value: 1, weight: 0.85 } }]);
    expect(b.note).toBe('270 of 270 looked-up numbers lie in runs of 5+ consecutive numbers');
    expect(b.contribution).toBe(0.405);
  });

  it('handles all-zero signals', () => {
    expect(signalBars([{ name: 'a', value: 0 }])[0].width).toBe(0);
  });
});
