import { describe, expect, it, vi } from 'vitest';
import { fetchExport } from './download';

describe('fetchExport', () => {
  it('sends the key and returns the body with the file name', async () => {
    const f = vi.fn(async () => new Response('account_id,network_id\na,n\n', { status: 200, headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="list-7.csv"' } }));
    const r = await fetchExport('/export/suspension-lists/7?format=csv', { key: 'k', fetchImpl: f as unknown as typeof fetch });
    expect(r.filename).toBe('list-7.csv');
    expect(r.text).toContain('account_id');
    expect((f.mock.calls[0] as unknown as [string, RequestInit])[1].headers).toEqual({ Authorization: 'Bearer k' });
  });

  it('turns a 403 into a role message', async () => {
    const body = { errors: [{ message: 'forbidden: exports need role ANALYST and the key v has role VIEWER', extensions: { code: 'FORBIDDEN' } }] };
    const f = vi.fn(async () => new Response(JSON.stringify(body), { status: 403, headers: { 'Content-Type': 'application/json' } }));
    await expect(fetchExport('/export/suspension-lists/7?format=csv', { key: 'k', fetchImpl: f as unknown as typeof fetch })).rejects.toMatchObject({ kind: 'forbidden' });
  });
});
