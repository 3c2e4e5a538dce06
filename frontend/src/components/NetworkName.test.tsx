import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { NetworkName } from './NetworkName';
import { HashRouter } from '../lib/hashLocation';

describe('NetworkName', () => {
  const n = { id: 'run_18edb3c0-n0001', handle: 'N-0042', label: '+7 926 555 xxxx sweep · 10 accounts · GB RU US' };

  it('links the handle, shows the label, keeps the id out of the text', () => {
    const html = renderToStaticMarkup(<HashRouter><NetworkName network={n} /></HashRouter>);
    expect(html).toContain('href="#/networks/run_18edb3c0-n0001"');
    expect(html).toMatch(/<a [^>]*>N-0042<\/a>/);
    expect(html).toContain('+7 926 555 xxxx sweep · 10 accounts · GB RU US');
    expect(html.replace(/"[^"]*"/g, '')).not.toContain('run_18edb3c0');
  });

  it('shows the handle alone when a network has no label yet', () => {
    const html = renderToStaticMarkup(<NetworkName network={{ ...n, label: '' }} link={false} />);
    expect(html).toMatch(/^<span [^>]*>N-0042<\/span>$/);
  });
});
