import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountIdsOf, checkExport, parseTrailer, splitTrailer } from './exportCheck';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function csv(rows: string[][]): string {
  const body = ['account_id,network_id,score,run_id,reasons', ...rows.map((r) => r.join(','))].join('\n') + '\n';
  return `${body}# sha256=${sha(body)} rows=${rows.length}\n`;
}
function ndjson(rows: object[]): string {
  const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  return `${body}${JSON.stringify({ sha256: sha(body), rows: rows.length })}\n`;
}

describe('checkExport', () => {
  it('reads the withheld count of a CSV and an NDJSON export', async () => {
    const body = 'account_id,network_id,score,run_id,reasons\na1,n1,0.9,r1,NETWORK_MEMBER\n';
    const r = await checkExport(`${body}# sha256=${sha(body)} rows=1 withheld=2 (allowlisted after the list was saved)\n`, 'csv');
    expect(r.ok).toBe(true);
    expect(r.message).toContain('2 withheld');
    const nd = JSON.stringify({ accountId: 'a1' }) + '\n';
    expect(parseTrailer(JSON.stringify({ sha256: sha(nd), rows: 1, withheld: 3 }), 'ndjson')?.withheld).toBe(3);
    expect(parseTrailer(`# sha256=${sha(body)} rows=1 withheld=0`, 'csv')?.withheld).toBe(0);
  });

  it('verifies a CSV export', async () => {
    const r = await checkExport(csv([['a1', 'n1', '0.9', 'r1', 'NETWORK_MEMBER;ROLE_CORE'], ['a2', 'n1', '0.9', 'r1', 'NETWORK_MEMBER']]), 'csv');
    expect(r.ok).toBe(true);
    expect(r.accountIds).toEqual(['a1', 'a2']);
    expect(r.message).toMatch(/2 rows, SHA-256 verified/);
  });

  it('verifies an NDJSON export', async () => {
    const r = await checkExport(ndjson([{ accountId: 'a1', networkId: 'n', score: 1, runId: 'r', reasons: [] }]), 'ndjson');
    expect(r).toMatchObject({ ok: true, rows: 1, accountIds: ['a1'] });
  });

  it('verifies an empty list', async () => {
    expect((await checkExport(csv([]), 'csv')).ok).toBe(true);
  });

  it('catches a truncated body', async () => {
    const full = csv([['a1', 'n', '1', 'r', 'X'], ['a2', 'n', '1', 'r', 'X']]);
    const cut = full.slice(0, full.indexOf('a2'));
    const r = await checkExport(cut, 'csv');
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/cut short/);
  });

  it('catches a tampered row', async () => {
    const r = await checkExport(csv([['a1', 'n', '1', 'r', 'X']]).replace('a1', 'a9'), 'csv');
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/Checksum mismatch/);
  });

  it('catches a row count mismatch', async () => {
    const t = csv([['a1', 'n', '1', 'r', 'X']]).replace('rows=1', 'rows=2');
    expect((await checkExport(t, 'csv')).message).toMatch(/Row count mismatch/);
  });

  it('says when it cannot verify', async () => {
    const r = await checkExport(csv([['a1', 'n', '1', 'r', 'X']]), 'csv', null);
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/not verified/);
  });
});

describe('parts', () => {
  it('splitTrailer', () => {
    expect(splitTrailer('h\nr\n# t\n')).toEqual({ body: 'h\nr\n', trailer: '# t' });
    expect(splitTrailer('# t')).toEqual({ body: '', trailer: '# t' });
  });
  it('parseTrailer rejects lookalikes', () => {
    expect(parseTrailer('# sha256=abc rows=1', 'csv')).toBeNull();
    expect(parseTrailer('{"accountId":"a"}', 'ndjson')).toBeNull();
    expect(parseTrailer('not json', 'ndjson')).toBeNull();
  });
  it('accountIdsOf needs the account_id column', () => {
    expect(() => accountIdsOf('id,x\n1,2\n', 'csv')).toThrow(/account_id/);
  });
});
