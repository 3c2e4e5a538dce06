import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { NotFound } from './common';

describe('NotFound', () => {
  it('names the kind and the id, escaped, and links back', () => {
    const html = renderToStaticMarkup(<NotFound kind="network" id="<run_9-n1>" back="#/networks" backLabel="Back to the list" />);
    expect(html).toContain('<h1>Network not found</h1>');
    expect(html).toContain('There is no network <code>&lt;run_9-n1&gt;</code>');
    expect(html).toContain('<a href="#/networks">Back to the list</a>');
  });
});
