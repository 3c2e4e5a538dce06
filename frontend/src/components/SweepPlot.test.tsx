import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { SweepPlot } from './SweepPlot';
import { binSweep, fromApi } from '../lib/sweep';

describe('SweepPlot', () => {
  it('draws one dot per looked-up number and shades the longest walk', () => {
    const pts = Array.from({ length: 50 }, (_, i) => ({ block: '+1 415 555', offset: 4000 + i, time: `2026-10-01T00:${String(i).padStart(2, '0')}:00Z` }));
    const html = renderToStaticMarkup(<SweepPlot points={pts} />);
    expect(html.match(/<circle/g)).toHaveLength(50);
    expect(html).toContain('fill="#fde2e1"');
    expect(html).toContain('50 consecutive numbers (offsets 4000–4049)');
  });

  it('draws per-bin bars from summaries, with no individual numbers', () => {
    const local = binSweep(Array.from({ length: 250 }, (_, i) => ({ block: 'B', offset: 100 + i })), 100);
    const html = renderToStaticMarkup(<SweepPlot summaries={fromApi([{ block: 'B', distinct: 250, lookups: 250, longestRun: 200, bins: local[0].bins }])} />);
    expect(html).not.toContain('<circle');
    // bins 1, 2 (full) and 3 (half): three bars in the plot above the strip
    expect(html.match(/fill="#b2182b"/g)).toHaveLength(3);
    expect(html).toContain('fully looked-up groups covers 200 consecutive numbers.');
  });

  it('says when there is nothing to draw', () => {
    expect(renderToStaticMarkup(<SweepPlot points={[]} />)).toContain('No looked-up phone numbers');
  });
});
