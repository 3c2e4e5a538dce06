import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MemberTable, type MemberRow } from './MemberTable';
import { HashRouter } from '../lib/hashLocation';

const member = (id: string, inStateRing: boolean): MemberRow => ({
  score: 0.9,
  role: 'core',
  inStateRing,
  account: { id, handle: `h-${id}`, country: 'RU', verified: false, status: 'active', createdAt: '2019-10-01T00:00:00Z', allowlisted: false, lookupCount: 12 },
});

describe('MemberTable', () => {
  it('marks the members of the ring a state-linked indicator rests on, and only them', () => {
    const html = renderToStaticMarkup(
      <HashRouter>
        <MemberTable networkId="n1" members={[member('a1', true), member('a2', false)]} total={2} loading={false} />
      </HashRouter>,
    );
    const rows = html.split('<tr').filter((r) => r.includes('h-a'));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.includes('h-a1'))).toContain('state ring');
    expect(rows.find((r) => r.includes('h-a2'))).not.toContain('state ring');
  });
});
