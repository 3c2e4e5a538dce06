// The one way the UI talks to the API: POST /graphql with the signed-in key as
// a Bearer token. Auth failures are broadcast so the app can send the analyst
// back to sign-in from any view.

import { ApiError, GraphQLErrorItem, classifyResponse } from './errors';
import { authHeader, keyStore } from '../lib/keyStorage';

export const GRAPHQL_PATH = '/graphql';

type AuthListener = (e: ApiError) => void;
const authListeners = new Set<AuthListener>();

/** onAuthFailure registers a callback for unauthenticated answers; it returns the unsubscribe function. */
export function onAuthFailure(fn: AuthListener): () => void {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

export interface GqlResult<T> {
  data: T;
  /** errors on individual fields of an otherwise usable answer */
  fieldErrors: GraphQLErrorItem[];
}

export interface GqlOptions {
  key?: string | null;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

/** gqlFull runs one operation and returns data plus field-level errors; it throws ApiError. */
export async function gqlFull<T>(query: string, variables: Record<string, unknown> = {}, opts: GqlOptions = {}): Promise<GqlResult<T>> {
  const key = opts.key ?? keyStore().get();
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (key) headers.Authorization = authHeader(key);
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(GRAPHQL_PATH, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('network', 'Cannot reach the Lockstep server. Is `lockstep serve` running?');
  }
  let body: unknown;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const err = classifyResponse(res.status, body, res.headers.get('Retry-After'));
  if (err) {
    if (err.kind === 'unauthenticated') authListeners.forEach((fn) => fn(err));
    throw err;
  }
  if (body === undefined || (body as { data?: unknown }).data == null) {
    throw new ApiError('server', `Unexpected answer from the server (HTTP ${res.status}).`, res.status);
  }
  const b = body as { data: T; errors?: GraphQLErrorItem[] };
  return { data: b.data, fieldErrors: b.errors ?? [] };
}

/** gql runs one operation and returns its data; it throws ApiError. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}, opts: GqlOptions = {}): Promise<T> {
  return (await gqlFull<T>(query, variables, opts)).data;
}

/**
 * downloadExport fetches a bulk export with the key (a plain link cannot send
 * the Authorization header) and hands it to the browser as a file download.
 * It returns the body text so callers (and the e2e test) can check it.
 */
export async function fetchExport(path: string, opts: GqlOptions = {}): Promise<{ text: string; contentType: string; filename: string; headers: Headers }> {
  const key = opts.key ?? keyStore().get();
  const res = await (opts.fetchImpl ?? fetch)(path, { headers: key ? { Authorization: authHeader(key) } : {}, signal: opts.signal });
  if (!res.ok) {
    let body: unknown;
    const t = await res.text();
    try {
      body = JSON.parse(t);
    } catch {
      body = { errors: [{ message: t.trim() || res.statusText }] };
    }
    throw classifyResponse(res.status, body, res.headers.get('Retry-After')) ?? new ApiError('server', `Export failed (HTTP ${res.status})`, res.status);
  }
  const cd = res.headers.get('Content-Disposition') ?? '';
  const m = cd.match(/filename="?([^";]+)"?/);
  const fallback = path.split('/').pop()?.replace(/\?format=/, '.') ?? 'export';
  return { text: await res.text(), contentType: res.headers.get('Content-Type') ?? 'text/plain', filename: m ? m[1] : fallback, headers: res.headers };
}

/** saveText offers text to the user as a downloaded file. */
export function saveText(text: string, filename: string, contentType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: contentType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
