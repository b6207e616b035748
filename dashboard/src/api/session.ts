// The login session: access token in memory, refresh token in sessionStorage (this tab
// only, gone when it closes), renewed shortly before the access token expires.

export type Role = 'admin' | 'fleet_manager' | 'technician' | 'owner' | 'support' | 'service';

export interface User {
  id: string;
  email: string;
  name: string;
  org_id: string;
  role: Role;
  vehicle_ids: string[];
  center_ids: string[];
  disabled?: boolean;
  created_at?: string;
}

interface SessionAnswer {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: User;
}

export type SessionState =
  { kind: 'anonymous'; reason?: 'expired' | 'logged_out' } | { kind: 'active'; user: User; access: string; expiresAt: number };

const REFRESH_KEY = 'fleet.refresh';
let state: SessionState = { kind: 'anonymous' };
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function set(next: SessionState) {
  state = next;
  listeners.forEach((l) => l());
}

export const session = {
  get: () => state,
  subscribe(l: () => void) {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  hasRefresh: () => sessionStorage.getItem(REFRESH_KEY) !== null,

  async login(email: string, password: string): Promise<void> {
    const r = await fetch('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    }).catch(() => null);
    if (!r) throw new Error('The platform cannot be reached. Try again in a moment.');
    if (r.status === 429) throw new Error('Too many failed attempts: this address is locked for a while.');
    if (r.status === 401 || r.status === 400) throw new Error('Wrong email or password.');
    if (!r.ok) throw new Error(`Login failed (${r.status}). Try again in a moment.`);
    start((await r.json()) as SessionAnswer);
  },

  /// Trades the refresh token for a new pair; false when the session is over.
  refresh(): Promise<boolean> {
    refreshing ??= doRefresh().finally(() => (refreshing = null));
    return refreshing;
  },

  async logout(): Promise<void> {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    sessionStorage.removeItem(REFRESH_KEY);
    set({ kind: 'anonymous', reason: 'logged_out' });
    if (refresh) {
      await fetch('/v1/auth/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refresh }),
      }).catch(() => undefined);
    }
  },

  expire() {
    sessionStorage.removeItem(REFRESH_KEY);
    set({ kind: 'anonymous', reason: 'expired' });
  },

  /// A usable access token: renewed first when it expires within 30 s.
  async token(): Promise<string | null> {
    if (state.kind === 'active' && state.expiresAt - Date.now() > 30_000) return state.access;
    if (!(await session.refresh())) return null;
    return state.kind === 'active' ? state.access : null;
  },
};

function start(a: SessionAnswer) {
  sessionStorage.setItem(REFRESH_KEY, a.refresh_token);
  set({ kind: 'active', user: a.user, access: a.access_token, expiresAt: Date.now() + a.expires_in * 1000 });
}

async function doRefresh(): Promise<boolean> {
  const refresh = sessionStorage.getItem(REFRESH_KEY);
  if (!refresh) return false;
  const r = await fetch('/v1/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refresh }),
  }).catch(() => null);
  if (!r) return state.kind === 'active'; // network: keep what we have, the call will say why
  if (!r.ok) {
    session.expire();
    return false;
  }
  start((await r.json()) as SessionAnswer);
  return true;
}
