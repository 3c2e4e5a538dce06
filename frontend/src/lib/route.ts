// Hash routing (#/networks/N1?x=y): the server serves one index.html at / and
// needs no knowledge of UI paths, and /graphql, /export and /playground can
// never collide with a UI route.

export interface Route {
  name: 'networks' | 'network' | 'report' | 'account' | 'lists' | 'runs' | 'graphlab' | 'notfound';
  params: Record<string, string>;
  query: URLSearchParams;
  path: string;
}

const PATTERNS: [Route['name'], RegExp, string[]][] = [
  ['networks', /^\/(?:networks)?\/?$/, []],
  ['network', /^\/networks\/([^/]+)\/?$/, ['id']],
  ['report', /^\/networks\/([^/]+)\/report\/?$/, ['id']],
  ['account', /^\/accounts\/([^/]+)\/?$/, ['id']],
  ['lists', /^\/lists\/?$/, []],
  ['runs', /^\/runs\/?$/, []],
  ['graphlab', /^\/lab\/graph\/?$/, []],
];

/** parseHash turns "#/networks/N%2F1?tab=x" into a Route (ids are URI-decoded). */
export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '') || '/';
  const qi = h.indexOf('?');
  const path = qi >= 0 ? h.slice(0, qi) : h;
  const query = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : '');
  for (const [name, re, keys] of PATTERNS) {
    const m = path.match(re);
    if (m) {
      const params: Record<string, string> = {};
      keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]);
        } catch {
          params[k] = m[i + 1];
        }
      });
      return { name, params, query, path };
    }
  }
  return { name: 'notfound', params: {}, query, path };
}

/** href builds a hash link; ids are URI-encoded. */
export const href = {
  networks: (query = '') => `#/networks${query ? `?${query}` : ''}`,
  network: (id: string) => `#/networks/${encodeURIComponent(id)}`,
  report: (id: string) => `#/networks/${encodeURIComponent(id)}/report`,
  account: (id: string) => `#/accounts/${encodeURIComponent(id)}`,
  lists: (query = '') => `#/lists${query ? `?${query}` : ''}`,
  runs: () => '#/runs',
};

export function navigate(hash: string, replace = false): void {
  if (replace) history.replaceState(null, '', hash);
  else location.hash = hash.replace(/^#/, '');
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}
