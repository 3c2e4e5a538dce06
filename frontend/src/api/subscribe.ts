// WebSocket subscriptions with graphql-ws (the graphql-transport-ws protocol,
// which gqlgen's transport.Websocket speaks). Browsers cannot set headers on a
// WebSocket, so the key goes in the connection_init payload, as the schema's
// Subscription description asks.

import { createClient, Client } from 'graphql-ws';
import { authHeader, keyStore } from '../lib/keyStorage';
import { GRAPHQL_PATH } from './client';

export function wsUrl(loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${GRAPHQL_PATH}`;
}

export function wsClient(): Client {
  return createClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: 3,
    connectionParams: () => {
      const k = keyStore().get();
      return k ? { Authorization: authHeader(k) } : {};
    },
  });
}

export interface SubscriptionHandlers<T> {
  next: (data: T) => void;
  error: (e: unknown) => void;
  complete: () => void;
}

/** subscribe starts one subscription and returns the function that stops it (and closes the socket). */
export function subscribe<T>(query: string, variables: Record<string, unknown>, h: SubscriptionHandlers<T>): () => void {
  const client = wsClient();
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (r) => {
        if (r.errors?.length) h.error(new Error(r.errors.map((e) => e.message).join('; ')));
        else if (r.data) h.next(r.data as T);
      },
      error: (e) => h.error(e instanceof Error ? e : new Error(describeClose(e))),
      complete: h.complete,
    },
  );
  return () => {
    stop();
    client.dispose();
  };
}

function describeClose(e: unknown): string {
  const c = e as { code?: number; reason?: string };
  if (c && typeof c.code === 'number') {
    if (c.code === 4401 || c.code === 4403) return 'The live progress stream refused the API key.';
    return `The live progress stream closed (code ${c.code}${c.reason ? `: ${c.reason}` : ''}).`;
  }
  if (Array.isArray(e)) return e.map((x) => (x as { message?: string }).message ?? String(x)).join('; ');
  return 'The live progress stream failed.';
}
