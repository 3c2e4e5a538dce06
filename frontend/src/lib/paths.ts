// The UI's routes (App.tsx matches them with wouter) and the links to them.
// Paths are what follows '#'; ids are URI-encoded and wouter decodes them.

export const routes = {
  networks: '/networks',
  network: '/networks/:id',
  report: '/networks/:id/report',
  account: '/accounts/:id',
  lists: '/lists',
  runs: '/runs',
  graphlab: '/lab/graph',
} as const;

const withQuery = (path: string, query: string) => (query ? `${path}?${query}` : path);

export const paths = {
  networks: (query = '') => withQuery('/networks', query),
  network: (id: string) => `/networks/${encodeURIComponent(id)}`,
  report: (id: string) => `/networks/${encodeURIComponent(id)}/report`,
  account: (id: string) => `/accounts/${encodeURIComponent(id)}`,
  lists: (query = '') => withQuery('/lists', query),
  runs: () => '/runs',
};
