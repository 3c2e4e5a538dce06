// Who is signed in: the API key (sessionStorage) and what the API says about
// it (viewer: name and role). Any unauthenticated answer, from any view,
// signs out with the reason shown on the sign-in page.

import { createContext, ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { gql, onAuthFailure } from './api/client';
import { VIEWER } from './api/queries';
import { keyStore, normaliseKey } from './lib/keyStorage';
import { Role } from './lib/roles';
import { ApiError, describeError } from './api/errors';

export interface Viewer {
  keyId: string;
  name: string;
  role: Role;
}

interface AuthState {
  viewer: Viewer | null;
  checking: boolean;
  message: string | null;
  signIn: (key: string) => Promise<boolean>;
  signOut: (message?: string) => void;
}

const AuthContext = createContext<AuthState | null>(null);
const store = keyStore();

export function AuthProvider({ children }: { children: ReactNode }) {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [checking, setChecking] = useState<boolean>(() => store.get() !== null);
  const [message, setMessage] = useState<string | null>(null);

  const signOut = useCallback((msg?: string) => {
    store.clear();
    setViewer(null);
    setMessage(msg ?? null);
  }, []);

  const check = useCallback(async (key: string): Promise<boolean> => {
    try {
      const d = await gql<{ viewer: Viewer }>(VIEWER, {}, { key });
      store.set(key);
      setViewer(d.viewer);
      setMessage(null);
      return true;
    } catch (e) {
      store.clear();
      setViewer(null);
      setMessage(e instanceof ApiError ? e.message : `Sign-in failed: ${describeError(e)}`);
      return false;
    }
  }, []);

  useEffect(() => {
    const k = store.get();
    if (k) check(k).finally(() => setChecking(false));
  }, [check]);

  useEffect(() => onAuthFailure((e) => signOut(e.message)), [signOut]);

  const signIn = useCallback(
    async (key: string) => {
      const k = normaliseKey(key);
      if (!k) {
        setMessage('Enter an API key.');
        return false;
      }
      setChecking(true);
      try {
        return await check(k);
      } finally {
        setChecking(false);
      }
    },
    [check],
  );

  return <AuthContext.Provider value={{ viewer, checking, message, signIn, signOut }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}
