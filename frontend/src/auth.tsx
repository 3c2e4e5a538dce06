// Who is signed in: the API key (sessionStorage) and what the API says about
// it (viewer: name and role). A key typed on the sign-in page is checked
// before it is kept; a key already in the tab (a reload) is used at once and
// checked in parallel, so the first page loads without waiting for the check.
// Any unauthenticated answer, from any view, signs out with the reason shown
// on the sign-in page. The provider also hands the views the urql client of
// the signed-in key (a new one, with an empty cache, for each key).

import { createContext, ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { createApiClient, request } from './graphql/client';
import { ViewerDocument } from './gql/graphql';
import { keyStore, normaliseKey } from './lib/keyStorage';
import { Role } from './lib/roles';
import { ApiError, describeError } from './graphql/errors';

export interface Viewer {
  keyId: string;
  name: string;
  role: Role;
}

interface AuthState {
  /** the key in use, or null when signed out */
  key: string | null;
  /** what the API says about the key; null while it is being checked */
  viewer: Viewer | null;
  checking: boolean;
  message: string | null;
  signIn: (key: string) => Promise<boolean>;
  signOut: (message?: string) => void;
}

const AuthContext = createContext<AuthState | null>(null);
const store = keyStore();

export function AuthProvider({ children }: { children: ReactNode }) {
  const [key, setKey] = useState<string | null>(() => store.get());
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [checking, setChecking] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const signOut = useCallback((msg?: string) => {
    store.clear();
    setKey(null);
    setViewer(null);
    setMessage(msg ?? null);
  }, []);

  const check = useCallback(async (k: string): Promise<Viewer | string> => {
    try {
      // Its own client: a key being tried must not sign anyone out.
      return (await request(createApiClient({ key: k }), ViewerDocument, {})).viewer;
    } catch (e) {
      return e instanceof ApiError ? e.message : `Sign-in failed: ${describeError(e)}`;
    }
  }, []);

  // A key already in the tab: verify in the background.
  useEffect(() => {
    const k = store.get();
    if (!k) return;
    check(k).then((r) => {
      if (typeof r === 'string') signOut(r);
      else setViewer(r);
    });
  }, [check, signOut]);

  const client = useMemo(() => createApiClient({ key, onUnauthenticated: (e) => signOut(e.message) }), [key, signOut]);

  const signIn = useCallback(
    async (raw: string) => {
      const k = normaliseKey(raw);
      if (!k) {
        setMessage('Enter an API key.');
        return false;
      }
      setChecking(true);
      try {
        const r = await check(k);
        if (typeof r === 'string') {
          setMessage(r);
          return false;
        }
        store.set(k);
        setKey(k);
        setViewer(r);
        setMessage(null);
        return true;
      } finally {
        setChecking(false);
      }
    },
    [check],
  );

  return (
    <AuthContext.Provider value={{ key, viewer, checking, message, signIn, signOut }}>
      <Provider value={client}>{children}</Provider>
    </AuthContext.Provider>
  );
}

export function useAuth(): AuthState {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}
