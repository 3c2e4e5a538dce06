import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { caseReport, graphPicture, listSelects, ReportList, ReportNetwork } from './caseReport';
import { emptyGraph, mergeNeighborhood } from './graphData';
import { CaseReportBody } from '../views/CaseReport';
import { AuthProvider } from '../auth';

// A network as the CaseReport query returns it: 130 members, of which the API's first page holds 100.
function fixture(): ReportNetwork {
  const edges = Array.from({ length: 100 }, (_, i) => ({
    node: { score: 0.5 + (i % 50) / 100, role: i % 10 === 0 ? 'CORE' : 'SCRAPER', account: { id: `acc-${String(i).padStart(3, '0')}`, handle: `user${i}`, country: 'RU', verified: false } },
  }));
  return {
    id: 'run_1-n0001',
    handle: 'N-0042',
    label: '+7 926 sweep · 130 accounts · RU GB US',
    runId: 'run_1',
    size: 130,
    score: 0.91,
    reviewStatus: 'CONFIRMED',
    lineageId: 'lin-7',
    evidence: [{ sentence: 'Members looked up 5,000 consecutive numbers in block +7 926-123-xxxx.' }, { sentence: '12 members share 3 IP addresses.' }],
    run: { id: 'run_1', startedAt: '2026-12-01T10:00:00Z', finishedAt: '2026-12-01T10:05:00Z' },
    signals: [
      { name: 'countrySpread', contribution: 0.0, measured: 3, detail: '3 countries' },
      { name: 'sweep', contribution: 0.42, measured: 5000, detail: '5,000 consecutive numbers' },
      { name: 'sharedInfra', contribution: 0.3, measured: 12, detail: '12 members on shared IPs' },
    ],
    memberCountries: { count: 3, top: [{ country: 'RU', count: 100 }] },
    stateLinked: { possible: true, confidence: 0.7, reasons: ['ASN on the watch list'], details: [{ reason: 'ASN on the watch list', source: 'CONFIGURATION' }] },
    reviews: [
      { id: 'r2', verdict: 'CONFIRM', note: 'sweep confirmed by hand', by: 'alice', at: '2026-12-02T09:00:00Z' },
      { id: 'r1', verdict: 'ESCALATE', note: 'needs a second look', by: 'bob', at: '2026-12-01T12:00:00Z' },
    ],
    sharedResources: { ips: [{ id: '203.0.113.7', label: '203.0.113.7', members: 12 }], devices: [], targets: [{ id: 'abcd1234', label: '+7 926-123-45xx', members: 9 }] },
    members: { totalCount: 130, edges },
  };
}

const lists: ReportList[] = [
  { id: 'L-all', criteria: { runId: 'run_1', minScore: 0.8 }, createdBy: 'alice', createdAt: '2026-12-02T10:00:00Z', accountCount: 400, exportPath: '/export/suspension-lists/L-all', exports: [] },
  { id: 'L-named', criteria: { runId: 'run_1', networkIds: ['run_1-n0001'], confirmedOnly: true }, createdBy: 'alice', createdAt: '2026-12-02T11:00:00Z', accountCount: 130, exportPath: '/export/suspension-lists/L-named',
    exports: [
      { at: '2026-12-02T11:30:00Z', by: 'enforcement-bot', format: 'csv', sha256: 'ab'.repeat(32), rows: 128, withheld: 2 },
      { at: '2026-12-02T11:20:00Z', by: 'alice', format: 'ndjson', sha256: 'cd'.repeat(32), rows: 130, withheld: 0 },
    ] },
  { id: 'L-other-net', criteria: { runId: 'run_1', networkIds: ['run_1-n0002'] }, createdBy: 'bob', createdAt: '2026-12-02T12:00:00Z', accountCount: 10, exportPath: '/export/suspension-lists/L-other-net', exports: [] },
  { id: 'L-high', criteria: { runId: 'run_1', minScore: 0.95 }, createdBy: 'bob', createdAt: '2026-12-02T12:00:00Z', accountCount: 10, exportPath: '/export/suspension-lists/L-high', exports: [] },
  { id: 'L-old-run', criteria: { runId: 'run_0' }, createdBy: 'bob', createdAt: '2026-11-02T12:00:00Z', accountCount: 10, exportPath: '/export/suspension-lists/L-old-run', exports: [] },
];

describe('caseReport', () => {
  const model = caseReport(fixture(), lists);

  it('keeps the handle and label, signals by contribution and reviews as a history', () => {
    expect(model.handle).toBe('N-0042');
    expect(model.label).toBe('+7 926 sweep · 130 accounts · RU GB US');
    expect(model.signals.map((s) => s.name)).toEqual(['sweep', 'sharedInfra', 'countrySpread']);
    expect(model.reviews.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(model.evidence).toEqual(['Members looked up 5,000 consecutive numbers in block +7 926-123-xxxx.', '12 members share 3 IP addresses.']);
  });

  it('lists the first 100 members by score and counts the rest', () => {
    expect(model.members).toHaveLength(100);
    expect(model.members[0].score).toBeGreaterThanOrEqual(model.members[99].score);
    expect(model.moreMembers).toBe(30);
  });

  it('finds the suspension lists whose criteria select the network', () => {
    expect(model.lists.map((l) => l.id)).toEqual(['L-all', 'L-named']);
    expect(listSelects({ runId: 'run_1', confirmedOnly: true }, { ...fixture(), reviewStatus: 'PENDING' })).toBe(false);
    expect(listSelects(null, fixture())).toBe(false);
  });

  it('renders every part of the report', () => {
    const html = renderToStaticMarkup(
      <AuthProvider>
        <CaseReportBody model={model} picture={<svg data-testid="pic" />} />
      </AuthProvider>,
    );
    expect(html).toContain('Network N-0042');
    expect(html).toContain('+7 926 sweep · 130 accounts · RU GB US');
    expect(html).toContain('Members looked up 5,000 consecutive numbers in block +7 926-123-xxxx.');
    expect(html).toContain('+0.42');
    expect(html.match(/<tr>/g)!.length).toBeGreaterThanOrEqual(100);
    expect(html).toContain('user0');
    expect(html).toContain('…and 30 more members');
    expect(html).toContain('sweep confirmed by hand');
    expect(html.indexOf('needs a second look')).toBeLessThan(html.indexOf('sweep confirmed by hand'));
    expect(html).toContain('L-named');
    // the digests enforcement received, as the server audited each download
    expect(html).toContain(`CSV by enforcement-bot`);
    expect(html).toContain(`128 rows, 2 withheld, <span class="mono">sha256 ${'ab'.repeat(32)}</span>`);
    expect(html).toContain(`sha256 ${'cd'.repeat(32)}`);
    expect(html).toContain('not downloaded yet');
    expect(html).not.toContain('L-other-net');
    expect(html).toContain('confidence 70%: ASN on the watch list (watch list)');
    expect(html).toContain('data-testid="pic"');
    // a shared looked-up number stays masked to its group
    expect(html).toContain('+7 926-123-45xx');
  });
});

describe('graphPicture', () => {
  it('places every node of the neighbourhood inside the picture, the same way each time', () => {
    const g = emptyGraph();
    const members = new Map([['a', { role: 'CORE', score: 0.9 }], ['b', { role: 'SCRAPER', score: 0.8 }]]);
    mergeNeighborhood(
      g,
      [
        { id: 'a', kind: 'ACCOUNT', label: 'a', depth: 0 },
        { id: 'b', kind: 'ACCOUNT', label: 'b', depth: 1 },
        { id: 'c', kind: 'ACCOUNT', label: 'c', depth: 2 },
        { id: '203.0.113.7', kind: 'IP', label: '203.0.113.7', depth: 1 },
      ],
      [
        { source: 'a', target: '203.0.113.7', targetKind: 'IP', count: 3 },
        { source: 'b', target: '203.0.113.7', targetKind: 'IP', count: 2 },
        { source: 'c', target: '203.0.113.7', targetKind: 'IP', count: 1 },
      ],
      members,
    );
    const pic = graphPicture(g, 600);
    expect(pic.nodes).toHaveLength(4);
    expect(pic.edges).toHaveLength(3);
    for (const n of pic.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x).toBeLessThanOrEqual(600);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeLessThanOrEqual(600);
    }
    expect(pic.nodes.filter((n) => n.member).map((n) => n.label).sort()).toEqual(['a', 'b']);
    expect(graphPicture(g, 600)).toEqual(pic);
  });
});
