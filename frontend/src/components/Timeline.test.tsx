import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { lookupSpans, Timeline } from './Timeline';

const use = (key: string, masked: string, first: string, count = 3) => ({ first, last: first.replace('T00', 'T05'), count, target: { key, masked } });

describe('lookupSpans', () => {
  // Two different numbers of one group of 100, looked up second-first in the list's order.
  const lookups = [
    use('k-bbbb', '+1 415-555-01xx', '2026-10-02T00:00:00Z', 9),
    use('k-cccc', '+44 20-7946-09xx', '2026-10-01T12:00:00Z'),
    use('k-aaaa', '+1 415-555-01xx', '2026-10-01T00:00:00Z', 4),
  ];
  const spans = lookupSpans(lookups);

  it('numbers numbers of one masked group in order of first lookup', () => {
    expect(spans.map((s) => s.label)).toEqual(['+1 415-555-01xx (#2)', '+44 20-7946-09xx', '+1 415-555-01xx (#1)']);
    expect(spans.every((s) => s.lane === 'Lookup')).toBe(true);
    expect(spans[0].count).toBe(9);
  });

  it('says in the tooltip that they are different numbers of the same group', () => {
    expect(spans[2].note).toMatch(/^#1 of 2 different numbers in the same group of 100 \(\+1 415-555-01xx\)/);
    expect(spans[1].note).toBeUndefined();
    const html = renderToStaticMarkup(<Timeline spans={spans} />);
    expect(html).toContain('+1 415-555-01xx (#1)');
    expect(html).toContain('+1 415-555-01xx (#2)');
    expect(html).toContain('different numbers in the same group of 100');
  });

  it('shows no more of a number than its masked group', () => {
    for (const s of spans) {
      const masked = lookups.find((u) => s.label.startsWith(u.target.masked))!.target.masked;
      expect(s.label.replace(masked, '')).toMatch(/^( \(#\d\))?$/);
      // the key (a hash of the number) is not shown either
      expect(`${s.label} ${s.note ?? ''}`).not.toMatch(/k-[abc]{4}/);
    }
  });

  it('keeps the ordinal when a long label is cut', () => {
    const long = lookupSpans([use('a', 'someone-with-a-long-name@example.org', '2026-10-01T00:00:00Z'), use('b', 'someone-with-a-long-name@example.org', '2026-10-01T01:00:00Z')]);
    const html = renderToStaticMarkup(<Timeline spans={long} />);
    expect(html).toMatch(/…\s*\(#1\)/);
    expect(html).toMatch(/…\s*\(#2\)/);
  });
});
