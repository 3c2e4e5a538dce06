// The one way the UI talks to the API: an urql client with graphcache's
// normalised cache, fetch for queries and mutations (the signed-in key as a
// Bearer token) and graphql-ws for subscriptions. A new client is made for
// each key, so nothing cached under one key is shown to another. Every error
// is turned into an ApiError (errors.ts) an analyst can act on; an
// unauthenticated answer from any operation is reported to onUnauthenticated.

import { Client, CombinedError, fetchExchange, mapExchange, subscriptionExchange, type AnyVariables, type OperationContext, type TypedDocumentNode } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { createClient as createWsClient } from 'graphql-ws';
import { ApiError, classifyResponse, GraphQLErrorItem } from './errors';
import { cacheKeys } from './cacheKeys';
import { GRAPHQL_PATH, wsUrl } from './endpoint';
import { authHeader } from '../lib/keyStorage';


export interface ApiClientOptions {
  /** the API key every operation is sent with (null: none) */
  key: string | null;
  /** called once for each operation the server answers "unauthenticated" */
  onUnauthenticated?: (e: ApiError) => void;
  /** a fetch to use instead of the browser's (tests) */
  fetch?: typeof fetch;
  /** the WebSocket URL of subscriptions (default: this page's host) */
  url?: string;
}

/** createApiClient makes the urql client of one API key. */
export function createApiClient({ key, onUnauthenticated, fetch: fetchImpl, url }: ApiClientOptions): Client {
  const auth: Record<string, string> = key ? { Authorization: authHeader(key) } : {};
  // gqlgen's transport.Websocket speaks graphql-transport-ws, graphql-ws's
  // protocol. Browsers cannot set headers on a WebSocket, so the key goes in
  // the connection_init payload, as the schema's Subscription description asks.
  let ws: ReturnType<typeof createWsClient> | null = null;
  const socket = () => (ws ??= createWsClient({ url: url ?? wsUrl(), lazy: true, retryAttempts: 3, connectionParams: auth }));
  return new Client({
    url: GRAPHQL_PATH,
    // POST, never GET: query text and variables stay out of URLs and access logs.
    preferGetMethod: false,
    fetch: fetchImpl,
    fetchOptions: { headers: { Accept: 'application/json', ...auth } },
    // A page shows what the cache has at once and refreshes it from the
    // server (others review networks and start runs meanwhile); Retry and
    // reloads after a mutation wait for the server (RELOAD).
    requestPolicy: 'cache-and-network',
    exchanges: [
      mapExchange({
        onError(error) {
          const e = toApiError(error, undefined);
          if (e?.kind === 'unauthenticated') onUnauthenticated?.(e);
        },
      }),
      cacheExchange({ keys: cacheKeys }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = socket().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/**
 * toApiError decides whether an urql result is an error, with the same rules
 * as for a raw HTTP answer (classifyResponse): a partial answer whose errors
 * are on nested fields is usable and gives null.
 */
export function toApiError(error: CombinedError | undefined, data: unknown): ApiError | null {
  if (!error) return null;
  const res = error.response as Response | undefined;
  const status = typeof res?.status === 'number' ? res.status : 200;
  const retryAfter = typeof res?.headers?.get === 'function' ? res.headers.get('Retry-After') : null;
  if (error.networkError && error.graphQLErrors.length === 0) {
    const close = closeMessage(error.networkError);
    if (close) return new ApiError('network', close);
    if (!res || typeof res.status !== 'number') return new ApiError('network', 'Cannot reach the Lockstep server. Is `lockstep serve` running?');
    return classifyResponse(status, undefined, retryAfter) ?? new ApiError('server', `Unexpected answer from the server (HTTP ${status}).`, status);
  }
  const errors: GraphQLErrorItem[] = error.graphQLErrors.map((e) => ({
    message: e.message,
    path: e.path ? [...e.path] : undefined,
    extensions: e.extensions as GraphQLErrorItem['extensions'],
  }));
  return classifyResponse(status, { data: data ?? null, errors }, retryAfter);
}

// graphql-ws reports a closed socket as the CloseEvent itself.
function closeMessage(e: unknown): string | null {
  const c = e as { code?: unknown; reason?: string };
  if (!c || typeof c.code !== 'number') return null;
  if (c.code === 4401 || c.code === 4403) return 'The live progress stream refused the API key.';
  return `The live progress stream closed (code ${c.code}${c.reason ? `: ${c.reason}` : ''}).`;
}

/**
 * request runs one query or mutation outside a component's render (a button,
 * an expansion, paging through members) and returns its data; it throws
 * ApiError. Queries go to the cache first unless the context says otherwise.
 */
export async function request<D, V extends AnyVariables>(
  client: Client,
  doc: TypedDocumentNode<D, V>,
  variables: V,
  context?: Partial<OperationContext>,
): Promise<D> {
  const isMutation = doc.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'mutation');
  // Within a page (member pages, neighbourhoods to expand) the cache is good
  // enough: a run's networks do not change.
  const ctx = { requestPolicy: 'cache-first' as const, ...context };
  const r = isMutation ? await client.mutation(doc, variables, ctx).toPromise() : await client.query(doc, variables, ctx).toPromise();
  const e = toApiError(r.error, r.data);
  if (e) throw e;
  if (r.data == null) throw new ApiError('server', 'Unexpected answer from the server: no data.');
  return r.data;
}
