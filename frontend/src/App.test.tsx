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
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const r = handler(JSON.parse(String(init?.body ?? '{}')), headers.Authorization ?? null);
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', f);
  return f;
}

const unauth = { status: 401, body: { errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] } };
const emptyNetworks = { networks: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } };

function apiAs(key: string, role: string): Handler {
  return (b, auth) => {
    if (auth !== `Bearer ${key}`) return unauth;
    if (b.query.includes('viewer')) return { status: 200, body: { data: { viewer: { keyId: 'k1', name: 'val', role } } } };
    if (b.query.includes('detectionRuns')) return { status: 200, body: { data: { detectionRuns: [] } } };
    if (b.query.includes('networks(')) return { status: 200, body: { data: emptyNetworks } };
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
    expect(f.mock.calls.every(([, init]) => (init?.headers as Record<string, string>).Authorization === 'Bearer good')).toBe(true);
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
