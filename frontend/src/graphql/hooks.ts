// React glue over urql: the views read with urql's useQuery and useSubscription
// directly; these helpers run an operation from an event handler with the
// context's client, and turn a result's CombinedError into the ApiError the
// error banners show.

import { useCallback } from 'react';
import { useClient, type AnyVariables, type CombinedError, type OperationContext, type TypedDocumentNode } from 'urql';
import { request, toApiError } from './client';
import type { ApiError } from './errors';

/** useRequest returns request() bound to the signed-in key's client. */
export function useRequest() {
  const client = useClient();
  return useCallback(
    <D, V extends AnyVariables>(doc: TypedDocumentNode<D, V>, variables: V, context?: Partial<OperationContext>) => request(client, doc, variables, context),
    [client],
  );
}

/** resultError is the error a query result should show, or null when its data is usable. */
export function resultError(r: { error?: CombinedError; data?: unknown }): ApiError | null {
  return toApiError(r.error, r.data);
}

/** Reloading a page asks the server again, whatever the cache holds. */
export const RELOAD = { requestPolicy: 'network-only' } as const;
