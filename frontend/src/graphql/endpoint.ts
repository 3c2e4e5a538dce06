// Where the API lives: the page's own host (the UI and the playground are
// served by the same `lockstep serve`).

export const GRAPHQL_PATH = '/graphql';

/** wsUrl is the WebSocket URL of subscriptions on the page's host. */
export function wsUrl(loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${GRAPHQL_PATH}`;
}
