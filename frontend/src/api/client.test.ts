// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchExport, gql, gqlFull, onAuthFailure } from './client';
import { ApiError } from './errors';
import { keyStore } from '../lib/keyStorage';

function mockFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async (_url: string, _init?: RequestInit) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } }),
  );
}

describe('gql', () => {
  beforeEach(() => sessionStorage.clear());

  it('posts the query with the stored key as a Bearer token', async () => {
    keyStore().set('lsk_test');
    const f = mockFetch(200, { data: { viewer: { name: 'ann', role: 'ANALYST' } } });
    const d = await gql<{ viewer: { name: string } }>('query { viewer { name } }', { a: 1 }, { fetchImpl: f as unknown as typeof fetch });
    expect(d.viewer.name).toBe('ann');
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('/graphql');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer lsk_test');
    expect(JSON.parse(init?.body as string)).toEqual({ query: 'query { viewer { name } }', variables: { a: 1 } });
  });

  it('broadcasts an unauthenticated answer and throws', async () => {
    const seen: ApiError[] = [];
    const off = onAuthFailure((e) => seen.push(e));
    const f = mockFetch(401, { errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
    await expect(gql('{ viewer { name } }', {}, { key: 'bad', fetchImpl: f as unknown as typeof fetch })).rejects.toMatchObject({ kind: 'unauthenticated' });
    off();
    expect(seen).toHaveLength(1);
  });

  it('returns field errors beside usable data', async () => {
    const f = mockFetch(200, { data: { account: { id: '1', ips: null } }, errors: [{ message: 'forbidden', path: ['account', 'ips'], extensions: { code: 'FORBIDDEN' } }] });
    const r = await gqlFull('{ account(id:"1") { id ips { count } } }', {}, { key: 'k', fetchImpl: f as unknown as typeof fetch });
    expect(r.fieldErrors).toHaveLength(1);
  });

  it('names an unreachable server', async () => {
    const f = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(gql('{ x }', {}, { key: 'k', fetchImpl: f as unknown as typeof fetch })).rejects.toMatchObject({ kind: 'network' });
  });

  it('rejects a non-JSON answer', async () => {
    const f = mockFetch(200, '<html>proxy error</html>');
    await expect(gql('{ x }', {}, { key: 'k', fetchImpl: f as unknown as typeof fetch })).rejects.toMatchObject({ kind: 'server' });
  });
});

describe('fetchExport', () => {
  it('sends the key and returns the body with the file name', async () => {
    const f = vi.fn(async () => new Response('account_id,network_id\na,n\n', { status: 200, headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="list-7.csv"' } }));
    const r = await fetchExport('/export/suspension-lists/7?format=csv', { key: 'k', fetchImpl: f as unknown as typeof fetch });
    expect(r.filename).toBe('list-7.csv');
    expect(r.text).toContain('account_id');
    expect((f.mock.calls[0] as unknown as [string, RequestInit])[1].headers).toEqual({ Authorization: 'Bearer k' });
  });

  it('turns a 403 into a role message', async () => {
    const f = mockFetch(403, { errors: [{ message: 'forbidden: exports need role ANALYST and the key v has role VIEWER', extensions: { code: 'FORBIDDEN' } }] });
    await expect(fetchExport('/export/suspension-lists/7?format=csv', { key: 'k', fetchImpl: f as unknown as typeof fetch })).rejects.toMatchObject({ kind: 'forbidden' });
  });
});
