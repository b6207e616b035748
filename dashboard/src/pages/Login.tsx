import { useState, type FormEvent } from 'react';
import { session } from '../api/session';

export function Login({ reason }: { reason?: 'expired' | 'logged_out' }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(email.trim(), password);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Fleet maintenance</h1>
        {reason === 'expired' && (
          <p className="notice" role="status">
            Your session has expired. Please log in again.
          </p>
        )}
        {reason === 'logged_out' && <p className="notice">You are logged out.</p>}
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
