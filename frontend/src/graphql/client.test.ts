import { describe, expect, it, vi } from 'vitest';
import { createApiClient, request } from './client';
import { wsUrl } from './endpoint';
import { ApiError } from './errors';
import { NetworkDocument, ReviewDocument, ViewerDocument } from '../gql/graphql';

function mockFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } }),
  );
}
const viewer = { viewer: { __typename: 'Viewer', keyId: 'k1', name: 'ann', role: 'ANALYST' } };

describe('the API client', () => {
  it('posts the operation with the key as a Bearer token', async () => {
    const f = mockFetch(200, { data: viewer });
    const client = createApiClient({ key: 'lsk_test', fetch: f as unknown as typeof fetch });
    const d = await request(client, ViewerDocument, {});
    expect(d.viewer.name).toBe('ann');
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('/graphql');
    expect(init?.method).toBe('POST');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer lsk_test');
    expect(JSON.parse(init?.body as string).operationName).toBe('Viewer');
  });

  it('answers a second ask of the same query from its cache', async () => {
    const f = mockFetch(200, { data: viewer });
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await request(client, ViewerDocument, {});
    await request(client, ViewerDocument, {});
    expect(f).toHaveBeenCalledTimes(1);
    await request(client, ViewerDocument, {}, { requestPolicy: 'network-only' });
    expect(f).toHaveBeenCalledTimes(2);
  });

  it('reports an unauthenticated answer and throws it', async () => {
    const seen: ApiError[] = [];
    const f = mockFetch(401, { errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
    const client = createApiClient({ key: 'bad', fetch: f as unknown as typeof fetch, onUnauthenticated: (e) => seen.push(e) });
    await expect(request(client, ViewerDocument, {})).rejects.toMatchObject({ kind: 'unauthenticated' });
    expect(seen).toHaveLength(1);
  });

  it('names the role a refused mutation needs', async () => {
    const f = mockFetch(200, {
      data: { reviewNetwork: null },
      errors: [{ message: 'forbidden: this field needs role ANALYST and the key bob has role VIEWER', path: ['reviewNetwork'], extensions: { code: 'FORBIDDEN', requiredRole: 'ANALYST' } }],
    });
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await expect(request(client, ReviewDocument, { id: 'n', verdict: 'CONFIRM', note: 'x' })).rejects.toMatchObject({ kind: 'forbidden', message: expect.stringContaining('analyst') });
  });

  it('reports rate limiting with the Retry-After wait', async () => {
    const f = mockFetch(429, { errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] }, { 'Retry-After': '7' });
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await expect(request(client, ViewerDocument, {})).rejects.toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 7 });
  });

  it('keeps a partial answer whose errors are on nested fields', async () => {
    const f = mockFetch(200, {
      data: { network: null },
      errors: [{ message: 'the request took longer than its 10s limit', path: ['network'], extensions: { code: 'TIMEOUT' } }],
    });
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await expect(request(client, NetworkDocument, { id: 'n' })).rejects.toMatchObject({ kind: 'graphql', message: expect.stringContaining('10s limit') });
  });

  it('names an unreachable server', async () => {
    const f = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await expect(request(client, ViewerDocument, {})).rejects.toMatchObject({ kind: 'network' });
  });

  it('reports a failing server', async () => {
    const f = vi.fn(async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'Content-Type': 'text/html' } }));
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await expect(request(client, ViewerDocument, {})).rejects.toMatchObject({ kind: 'server' });
  });

  it('subscribes over the same host', () => {
    expect(wsUrl({ protocol: 'https:', host: 'x.example:8443' })).toBe('wss://x.example:8443/graphql');
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/graphql');
  });
});

describe('pages', () => {
  it('show the cached answer at once and refresh it from the server', async () => {
    let name = 'ann';
    const f = vi.fn(async () => new Response(JSON.stringify({ data: { viewer: { ...viewer.viewer, name } } }), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    const client = createApiClient({ key: 'k', fetch: f as unknown as typeof fetch });
    await request(client, ViewerDocument, {});
    name = 'bob';
    const seen: string[] = [];
    await new Promise<void>((done) => {
      const { unsubscribe } = client.query(ViewerDocument, {}).subscribe((r) => {
        seen.push(`${r.data?.viewer.name}${r.stale ? ' (stale)' : ''}`);
        if (!r.stale) {
          done();
          setTimeout(() => unsubscribe());
        }
      });
    });
    expect(seen).toEqual(['ann (stale)', 'bob']);
  });
});
