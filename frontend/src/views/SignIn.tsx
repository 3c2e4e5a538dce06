import { FormEvent, useState } from 'react';
import { useAuth } from '../auth';

export function SignIn() {
  const { signIn, message, checking } = useAuth();
  const [key, setKey] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await signIn(key);
  };
  return (
    <main className="signin">
      <form className="panel" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Lockstep</h1>
        <p className="muted">Sign in with your API key. It is kept in this browser tab only and sent to the API as a Bearer token.</p>
        {message && (
          <div className={`banner ${message === 'Signed out.' ? 'info' : 'error'}`} role="alert" data-testid="signin-message">
            {message}
          </div>
        )}
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby="api-key-help"
            autoFocus
            required
          />
          <span id="api-key-help" className="muted small">
            Create one with <code>lockstep keys create --role analyst --name YOU</code>.
          </span>
        </div>
        <p>
          <button type="submit" className="primary" disabled={checking}>
            {checking ? 'Checking…' : 'Sign in'}
          </button>
        </p>
      </form>
    </main>
  );
}
