// @vitest-environment happy-dom
// The app's sign-in and role handling against a stubbed fetch (the only place
// the API is mocked: the e2e tests run against the real server).
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { KEY_STORAGE_NAME } from './lib/keyStorage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

type Handler = (body: { query: string; variables: Record<string, unknown> }, auth: string | null) => { status: number; body: unknown };

function stubFetch(handler: Handler) {
  const f = vi.fn(async (_url: string, init?: RequestInit) => {
    const r = handler(JSON.parse(String(init?.body ?? '{}')), new Headers(init?.headers).get('Authorization'));
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', f);
  return f;
}

const unauth = { status: 401, body: { errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] } };
// With __typename on every object, as the server answers the client's operations (urql adds it to each selection).
const emptyNetworks = { networks: { __typename: 'NetworkConnection', totalCount: 0, pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null }, edges: [] } };

function apiAs(key: string, role: string): Handler {
  return (b, auth) => {
    if (auth !== `Bearer ${key}`) return unauth;
    if (b.query.includes('viewer')) return { status: 200, body: { data: { viewer: { __typename: 'Viewer', keyId: 'k1', name: 'val', role } } } };
    if (b.query.includes('detectionRuns')) return { status: 200, body: { data: { detectionRuns: [] } } };
    if (b.query.includes('networks(')) return { status: 200, body: { data: emptyNetworks } };
    if (b.query.includes('network(')) return { status: 200, body: { data: { network: null } } };
    return { status: 200, body: { data: {} } };
  };
}

let root: Root;
let el: HTMLDivElement;

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 100; i++) {
    if (cond()) return;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
  }
  throw new Error(`timed out waiting for ${what}; page says: ${el.textContent}`);
}

async function type(input: HTMLInputElement, value: string) {
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

beforeEach(() => {
  sessionStorage.clear();
  location.hash = '';
  el = document.createElement('div');
  document.body.appendChild(el);
  root = createRoot(el);
});

afterEach(() => {
  act(() => root.unmount());
  el.remove();
  vi.unstubAllGlobals();
});

describe('sign-in', () => {
  it('refuses a wrong key with a clear message and keeps nothing', async () => {
    stubFetch(apiAs('good', 'ANALYST'));
    await act(async () => root.render(<App />));
    await type(el.querySelector<HTMLInputElement>('#api-key')!, 'bad-key');
    await act(async () => el.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => !!el.querySelector('[data-testid=signin-message]'), 'the sign-in message');
    expect(el.querySelector('[data-testid=signin-message]')!.textContent).toMatch(/not accepted: it is wrong, expired or was revoked/);
    expect(sessionStorage.getItem(KEY_STORAGE_NAME)).toBeNull();
  });

  it('signs in, stores the key for the tab and shows who is signed in', async () => {
    const f = stubFetch(apiAs('good', 'ANALYST'));
    await act(async () => root.render(<App />));
    await type(el.querySelector<HTMLInputElement>('#api-key')!, '  Bearer good ');
    await act(async () => el.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => !!el.querySelector('[data-testid=no-networks]'), 'the empty networks list');
    expect(sessionStorage.getItem(KEY_STORAGE_NAME)).toBe('good');
    expect(el.querySelector('[data-testid=viewer]')!.textContent).toBe('val · analyst');
    expect(f.mock.calls.every(([, init]) => new Headers(init?.headers).get('Authorization') === 'Bearer good')).toBe(true);
  });

  it('signs out with the reason when the key is revoked mid-session', async () => {
    sessionStorage.setItem(KEY_STORAGE_NAME, 'revoked');
    stubFetch(apiAs('good', 'ANALYST'));
    await act(async () => root.render(<App />));
    await until(() => !!el.querySelector('[data-testid=signin-message]'), 'the sign-in page');
    expect(el.querySelector('[data-testid=signin-message]')!.textContent).toMatch(/not accepted/);
    expect(sessionStorage.getItem(KEY_STORAGE_NAME)).toBeNull();
  });
});

describe('roles', () => {
  it('tells a viewer that starting a run needs the analyst role', async () => {
    sessionStorage.setItem(KEY_STORAGE_NAME, 'v');
    location.hash = '#/runs';
    stubFetch(apiAs('v', 'VIEWER'));
    await act(async () => root.render(<App />));
    await until(() => !!el.querySelector('[data-testid=role-too-low]'), 'the role message');
    expect(el.querySelector('[data-testid=role-too-low]')!.textContent).toBe('Needs the analyst role; your key is viewer.');
    expect(el.querySelector('[data-testid=run-form]')).toBeNull();
  });

  it('shows the run form to an analyst', async () => {
    sessionStorage.setItem(KEY_STORAGE_NAME, 'a');
    location.hash = '#/runs';
    stubFetch(apiAs('a', 'ANALYST'));
    await act(async () => root.render(<App />));
    await until(() => !!el.querySelector('[data-testid=run-form]'), 'the run form');
    expect(el.querySelector('[data-testid=role-too-low]')).toBeNull();
  });
});

describe('routes', () => {
  const bodies = (f: ReturnType<typeof stubFetch>) => f.mock.calls.map(([, init]) => JSON.parse(String(init?.body ?? '{}')));

  it('opens a bookmarked list with its filters from the hash', async () => {
    sessionStorage.setItem(KEY_STORAGE_NAME, 'a');
    location.hash = '#/networks?pageSize=5&minSize=3';
    const f = stubFetch(apiAs('a', 'ANALYST'));
    await act(async () => root.render(<App />));
    await until(() => !!el.querySelector('[data-testid=no-networks]'), 'the networks list');
    const q = bodies(f).find((b) => b.operationName === 'Networks');
    expect(q.variables.first).toBe(5);
    expect(q.variables.filter.minSize).toBe(3);
    expect(el.querySelector('nav a[aria-current=page]')!.textContent).toBe('Networks');
  });

  it('decodes the id of a deep link to a network', async () => {
    sessionStorage.setItem(KEY_STORAGE_NAME, 'a');
    location.hash = `#/networks/${encodeURIComponent('run/1:n2')}`;
    const f = stubFetch(apiAs('a', 'ANALYST'));
    await act(async () => root.render(<App />));
    await until(() => bodies(f).some((b) => b.operationName === 'Network'), 'the network query');
    expect(bodies(f).find((b) => b.operationName === 'Network').variables.id).toBe('run/1:n2');
  });

  it('says when nothing lives at a path', async () => {
    sessionStorage.setItem(KEY_STORAGE_NAME, 'a');
    location.hash = '#/nope';
    stubFetch(apiAs('a', 'ANALYST'));
    await act(async () => root.render(<App />));
    await until(() => !!el.textContent?.includes('Page not found'), 'the not-found page');
    expect(el.querySelector('main a')!.getAttribute('href')).toBe('#/networks');
  });
});
