import { describe, expect, it } from 'vitest';
import { pageSizeOf } from './NetworksPage';
import { statsSummary } from './RunsPage';
import { whySentences } from '../components/MemberTable';
import { timeBounds } from '../components/Timeline';


describe('statsSummary', () => {
  it('shows numeric stats only, at most six', () => {
    expect(statsSummary({ accounts: 20000, modularity: 0.61234, algorithm: 'leiden' })).toBe('Accounts 20,000 · Modularity 0.612');
    expect(statsSummary(null)).toBe('');
  });
});

describe('whySentences', () => {
  it('explains the strongest links', () => {
    const s = whySentences({
      score: 0.9,
      role: 'core',
      linkedMembers: 12,
      sharedIPs: [{ sharedWith: 11, sampleAccountIds: [], ip: { addr: '203.0.113.7', kind: 'datacenter', country: 'NL', asnOrg: null } }],
      sharedDevices: [{ sharedWith: 1, sampleAccountIds: [], device: { id: 'd1', os: 'android', client: null } }],
      sharedTargets: [{ sharedWith: 4, sampleAccountIds: [], target: { key: 'k3fa9', masked: '+1 415-555-01xx', region: 'US' } }],
    });
    expect(s).toEqual([
      'Linked to 12 other members by shared IPs, devices or lookup targets.',
      'Used IP 203.0.113.7 (datacenter, NL), also used by 11 other members.',
      'Used device d1 (android), also used by 1 other member.',
      'Looked up 1 number that other members also looked up; +1 415-555-01xx #k3fa by 4 others.',
    ]);
  });
});

describe('timeBounds', () => {
  it('spans first to last over all rows, ignoring bad times', () => {
    expect(
      timeBounds([
        { lane: 'IP', label: 'x', first: '2026-01-02T00:00:00Z', last: '2026-01-05T00:00:00Z', count: 1 },
        { lane: 'Lookup', label: 'y', first: 'garbage', last: '2026-01-09T00:00:00Z', count: 1 },
      ]),
    ).toEqual([Date.parse('2026-01-02T00:00:00Z'), Date.parse('2026-01-09T00:00:00Z')]);
    expect(timeBounds([])).toBeNull();
  });
});

describe('pageSizeOf', () => {
  it.each([
    ['', 20],
    ['pageSize=5', 5],
    ['pageSize=500', 100],
    ['pageSize=0', 20],
    ['pageSize=2.5', 20],
    ['pageSize=x', 20],
  ])('%s → %i', (q, want) => expect(pageSizeOf(new URLSearchParams(q))).toBe(want));
});
