import { lazy, ReactNode, Suspense, useEffect, useMemo } from 'react';
import { Link, Redirect, Route, Switch, useLocation, useParams, useSearch } from 'wouter';
import { AuthProvider, useAuth } from './auth';
import { HashRouter } from './lib/hashLocation';
import { paths, routes } from './lib/paths';
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

type Section = 'networks' | 'lists' | 'runs' | null;

const NAV: { section: Section; label: string; href: string }[] = [
  { section: 'networks', label: 'Networks', href: paths.networks() },
  { section: 'lists', label: 'Suspension lists', href: paths.lists() },
  { section: 'runs', label: 'Detection runs', href: paths.runs() },
];

function sectionOf(path: string): Section {
  if (path === '/' || path.startsWith('/networks') || path.startsWith('/accounts')) return 'networks';
  if (path.startsWith('/lists')) return 'lists';
  if (path.startsWith('/runs')) return 'runs';
  return null;
}

/** Page sets the tab's title and renders its view. */
function Page({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Lockstep`;
  }, [title]);
  return <>{children}</>;
}

/** useId reads the route's :id (wouter leaves it URI-encoded). */
function useId(): string {
  const raw = useParams<{ id: string }>().id;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** useQueryParams is the hash's query, the same object while it does not change. */
function useQueryParams(): URLSearchParams {
  const search = useSearch();
  return useMemo(() => new URLSearchParams(search), [search]);
}

function Networks() {
  return <NetworksPage query={useQueryParams()} />;
}
function Network() {
  const id = useId();
  return <NetworkPage key={id} id={id} />;
}
function Report() {
  const id = useId();
  return <CaseReport key={id} id={id} />;
}
function Account() {
  const id = useId();
  return <AccountPage key={id} id={id} />;
}
function Lists() {
  return <ListsPage query={useQueryParams()} />;
}
function Lab() {
  return <GraphLab query={useQueryParams()} />;
}
function NotFound() {
  const [path] = useLocation();
  return (
    <Page title="Not found">
      <div className="panel">
        <h1>Page not found</h1>
        <p>
          Nothing lives at <code>{path}</code>. <Link href={paths.networks()}>Go to the networks list</Link>.
        </p>
      </div>
    </Page>
  );
}

function Routes() {
  return (
    <Switch>
      <Route path="/">
        <Redirect to={paths.networks()} replace />
      </Route>
      <Route path={routes.networks}><Page title="Networks"><Networks /></Page></Route>
      <Route path={routes.network}><Page title="Network"><Network /></Page></Route>
      <Route path={routes.report}><Page title="Case report"><Report /></Page></Route>
      <Route path={routes.account}><Page title="Account"><Account /></Page></Route>
      <Route path={routes.lists}><Page title="Suspension lists"><Lists /></Page></Route>
      <Route path={routes.runs}><Page title="Detection runs"><RunsPage /></Page></Route>
      <Route path={routes.graphlab}><Page title="Graph performance"><Lab /></Page></Route>
      <Route><NotFound /></Route>
    </Switch>
  );
}

function Shell() {
  const { key, viewer, signOut } = useAuth();
  const [path] = useLocation();
  const section = sectionOf(path);
  useEffect(() => {
    if (!key) document.title = 'Sign in · Lockstep';
  }, [key]);

  if (!key) return <SignIn />;
  return (
    <>
      <a className="skip-link no-print" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar no-print">
        <Link className="brand" href={paths.networks()}>
          Lockstep
        </Link>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} aria-current={n.section === section ? 'page' : undefined}>
              {n.label}
            </Link>
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
        <Suspense fallback={<Loading what="the page" />}>
          <Routes />
        </Suspense>
      </main>
    </>
  );
}

export function App() {
  return (
    <HashRouter>
      <AuthProvider>
        <Shell />
      </AuthProvider>
    </HashRouter>
  );
}
