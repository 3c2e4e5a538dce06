import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CountryTally, NotFound, SignalBadges } from './common';
import { HashRouter } from '../lib/hashLocation';

describe('NotFound', () => {
  it('names the kind and the id, escaped, and links back', () => {
    const html = renderToStaticMarkup(<HashRouter><NotFound kind="network" id="<run_9-n1>" back="/networks" backLabel="Back to the list" /></HashRouter>);
    expect(html).toContain('<h1>Network not found</h1>');
    expect(html).toContain('There is no network <code>&lt;run_9-n1&gt;</code>');
    expect(html).toContain('<a href="#/networks">Back to the list</a>');
  });
});

describe('SignalBadges', () => {
  it('shows the signals that added most, by contribution, never one that added nothing', () => {
    // Country spread measured 9 countries but added nothing: it must not lead the list.
    const html = renderToStaticMarkup(
      <SignalBadges signals={[{ name: 'COUNTRY_SPREAD', contribution: 0 }, { name: 'HIT_RATIO', contribution: 0.05 }, { name: 'SWEEP', contribution: 0.41 }, { name: 'LOCKSTEP', contribution: 0.2 }, { name: 'VOLUME', contribution: 0.01 }]} />,
    );
    const names = [...html.matchAll(/class="badge signal" title="([^:]+):/g)].map((m) => m[1]);
    expect(names).toEqual(['Sweep', 'Lockstep', 'Hit ratio']);
    expect(html).toContain('+0.41');
  });
});

describe('CountryTally', () => {
  it('says it is a top-k of how many countries', () => {
    const html = renderToStaticMarkup(<CountryTally tally={{ count: 9, top: [{ country: 'IR', count: 7 }, { country: 'RU', count: 2 }, { country: 'GB', count: 1 }] }} unit="members" />);
    expect(html).toContain('IR 7 · RU 2 · GB 1');
    expect(html).toContain('(top 3 of 9 countries)');
    expect(html).toContain('aria-label="9 countries; top 3 by members: IR 7 members, RU 2 members, GB 1 members"');
  });
});
