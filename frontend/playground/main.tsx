// GraphiQL at /playground, built from npm into the binary (no CDN). The login
// field sets the Authorization header of every request and the WebSocket
// connection_init payload of subscriptions; it shares the UI's session-storage
// entry, so a key signed in on the UI is already filled in here.

import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './playground.css';
import { FormEvent, StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { authHeader, keyStore, normaliseKey } from '../src/lib/keyStorage';
import { wsUrl } from '../src/graphql/endpoint';

const store = keyStore();

// Short lines: the editor opens narrow beside the results pane and does not
// wrap, so a long first line is cut off where a newcomer reads first.
const DEFAULT_QUERY = `# Lockstep GraphQL API.
# Sign in above with your API key.
# Ctrl-Enter runs the query.
# The Docs pane lists every type and field.

query TopNetworks {
  viewer { name role }
  networks(first: 5) {
    totalCount
    edges {
      node {
        id score size reviewStatus
        signals { name contribution detail }
        memberCountries(first: 3) { count top { country count } }
        stateLinked { possible confidence reasons }
      }
    }
  }
}
`;

function Playground() {
  const [key, setKey] = useState<string>(() => store.get() ?? '');
  const [draft, setDraft] = useState(key);
  const [who, setWho] = useState<string>('');
  const fetcher = useMemo(
    () =>
      createGraphiQLFetcher({
        url: '/graphql',
        subscriptionUrl: wsUrl(),
        headers: key ? { Authorization: authHeader(key) } : {},
        wsConnectionParams: key ? { Authorization: authHeader(key) } : {},
      }),
    [key],
  );

  useEffect(() => {
    if (!key) {
      setWho('Not signed in: requests are sent without a key and will be refused.');
      return;
    }
    let live = true;
    fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: authHeader(key) },
      body: JSON.stringify({ query: '{ viewer { name role } }' }),
    })
      .then(async (r) => {
        const b = await r.json().catch(() => null);
        if (!live) return;
        const v = b?.data?.viewer;
        setWho(v ? `Signed in as ${v.name} (${String(v.role).toLowerCase()})` : `Key refused (HTTP ${r.status}): ${b?.errors?.[0]?.message ?? 'wrong or revoked key'}`);
      })
      .catch(() => live && setWho('Cannot reach the server.'));
    return () => {
      live = false;
    };
  }, [key]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const k = normaliseKey(draft);
    if (k) store.set(k);
    else store.clear();
    setKey(k);
  };

  return (
    <div className="pg">
      <form className="pg-bar" onSubmit={submit} aria-label="API key">
        <strong>Lockstep API playground</strong>
        <label htmlFor="pg-key">API key</label>
        <input id="pg-key" type="password" autoComplete="off" spellCheck={false} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="paste your key" />
        <button type="submit">Use key</button>
        {key && (
          <button type="button" onClick={() => { store.clear(); setKey(''); setDraft(''); }}>
            Forget key
          </button>
        )}
        <span role="status" data-testid="pg-status">{who}</span>
        <span style={{ flex: 1 }} />
        <a href="/">Back to the Lockstep UI</a>
      </form>
      <div className="pg-main">
        <GraphiQL key={key} fetcher={fetcher} defaultQuery={DEFAULT_QUERY} isHeadersEditorEnabled />
      </div>
    </div>
  );
}

createRoot(document.getElementById('playground')!).render(
  <StrictMode>
    <Playground />
  </StrictMode>,
);
