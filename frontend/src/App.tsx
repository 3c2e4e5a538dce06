import { lazy, Suspense, useEffect, useState } from 'react';
import { AuthProvider, useAuth } from './auth';
import { parseHash, Route } from './lib/route';
import { SignIn } from './views/SignIn';
import { NetworksPage } from './views/NetworksPage';
import { Loading } from './components/common';

// Everything but the first page is split off, so the networks list (the
// landing page) loads only what it needs.
const NetworkPage = lazy(() => import('./views/NetworkPage'));
const CaseReport = lazy(() => import('./views/CaseReport'));
const AccountPage = lazy(() => import('./views/AccountPage'));
const ListsPage = lazy(() => import('./views/ListsPage'));
const RunsPage = lazy(() => import('./views/RunsPage'));
const GraphLab = lazy(() => import('./views/GraphLab'));

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV: { name: Route['name'][]; label: string; href: string }[] = [
  { name: ['networks', 'network', 'report', 'account'], label: 'Networks', href: '#/networks' },
  { name: ['lists'], label: 'Suspension lists', href: '#/lists' },
  { name: ['runs'], label: 'Detection runs', href: '#/runs' },
];

function Shell() {
  const { key, viewer, signOut } = useAuth();
  const route = useRoute();
  useEffect(() => {
    const titles: Record<Route['name'], string> = {
      networks: 'Networks', network: 'Network', report: 'Case report', account: 'Account', lists: 'Suspension lists', runs: 'Detection runs', graphlab: 'Graph performance', notfound: 'Not found',
    };
    document.title = `${key ? titles[route.name] : 'Sign in'} · Lockstep`;
  }, [route.name, key]);

  if (!key) return <SignIn />;
  let page;
  switch (route.name) {
    case 'networks':
      page = <NetworksPage query={route.query} />;
      break;
    case 'network':
      page = <NetworkPage key={route.params.id} id={route.params.id} />;
      break;
    case 'report':
      page = <CaseReport key={route.params.id} id={route.params.id} />;
      break;
    case 'account':
      page = <AccountPage key={route.params.id} id={route.params.id} />;
      break;
    case 'lists':
      page = <ListsPage query={route.query} />;
      break;
    case 'runs':
      page = <RunsPage />;
      break;
    case 'graphlab':
      page = <GraphLab query={route.query} />;
      break;
    default:
      page = (
        <div className="panel">
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="#/networks">Go to the networks list</a>.
          </p>
        </div>
      );
  }
  return (
    <>
      <a className="skip-link no-print" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar no-print">
        <a className="brand" href="#/networks">
          Lockstep
        </a>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a key={n.href} href={n.href} aria-current={n.name.includes(route.name) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
          <a href="/playground" title="GraphiQL with your key">
            API playground
          </a>
        </nav>
        <div className="who">
          <span data-testid="viewer">
            {viewer ? (
              <>
                {viewer.name} · <strong>{viewer.role.toLowerCase()}</strong>
              </>
            ) : (
              'checking key…'
            )}
          </span>
          <button type="button" onClick={() => signOut('Signed out.')}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>{page}</Suspense>
      </main>
    </>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}
