// wouter's location for hash routes whose query lives in the hash too
// (#/networks?minScore=0.8): the server serves one index.html at / and needs
// no knowledge of UI paths, /graphql, /export and /playground can never
// collide with a UI route, and bookmarked filters keep working. wouter's own
// useHashLocation puts the query in location.search instead, so this is its
// location hook with the query split off for the search hook.

import { ReactNode, useSyncExternalStore } from 'react';
import { Router, type BaseLocationHook, type BaseSearchHook } from 'wouter';

const subscribe = (cb: () => void) => {
  addEventListener('hashchange', cb);
  return () => removeEventListener('hashchange', cb);
};

/** splitHash turns "#/networks?x=1" into ["/networks", "x=1"]. */
export function splitHash(hash: string): [string, string] {
  const h = hash.replace(/^#?\/?/, '');
  const q = h.indexOf('?');
  return ['/' + (q >= 0 ? h.slice(0, q) : h), q >= 0 ? h.slice(q + 1) : ''];
}

const currentPath = () => splitHash(location.hash)[0];
const currentSearch = () => splitHash(location.hash)[1];

/** navigate goes to a path with its query ("/networks?x=1"); replace keeps the history entry. */
export function navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
  const hash = '#' + (to.startsWith('/') ? to : '/' + to);
  if (replace) {
    const oldURL = location.href;
    history.replaceState(history.state, '', hash);
    dispatchEvent(new HashChangeEvent('hashchange', { oldURL, newURL: location.href }));
  } else {
    location.hash = hash;
  }
}

export const useHashPath: BaseLocationHook & { hrefs: (href: string) => string } = Object.assign(
  () => [useSyncExternalStore(subscribe, currentPath, () => '/'), navigate] as [string, typeof navigate],
  { hrefs: (href: string) => '#' + href },
);

export const useHashSearch: BaseSearchHook = () => useSyncExternalStore(subscribe, currentSearch, () => '');

/** HashRouter gives its children wouter's routing over these hash routes. */
export function HashRouter({ children }: { children: ReactNode }) {
  return (
    <Router hook={useHashPath} searchHook={useHashSearch}>
      {children}
    </Router>
  );
}
