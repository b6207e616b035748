import { lazy, Suspense, useEffect, useState, useSyncExternalStore } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { session, type Role, type User } from './api/session';
import { Link, match, usePath } from './router';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { Alerts } from './pages/Alerts';
import { Loading } from './components/ui';

const Vehicle = lazy(() => import('./pages/Vehicle'));
const Scheduling = lazy(() => import('./pages/Scheduling'));
const Warranty = lazy(() => import('./pages/Warranty'));
const FleetMap = lazy(() => import('./pages/FleetMap'));
const Audit = lazy(() => import('./pages/Audit'));
const Admin = lazy(() => import('./pages/Admin'));

const STAFF: Role[] = ['admin', 'fleet_manager', 'support'];
const NAV: { to: string; label: string; roles: Role[] }[] = [
  { to: '/', label: 'Overview', roles: [...STAFF, 'owner', 'technician'] },
  { to: '/alerts', label: 'Alerts', roles: [...STAFF, 'technician', 'owner'] },
  { to: '/scheduling', label: 'Scheduling', roles: [...STAFF, 'technician', 'owner'] },
  { to: '/warranty', label: 'Warranty', roles: ['admin', 'fleet_manager', 'owner', 'support'] },
  { to: '/map', label: 'Map', roles: STAFF },
  { to: '/audit', label: 'Audit', roles: STAFF },
  { to: '/admin', label: 'Admin', roles: ['admin', 'fleet_manager'] },
];

const ROLE_NAME: Record<Role, string> = {
  admin: 'Administrator',
  fleet_manager: 'Fleet manager',
  technician: 'Technician',
  owner: 'Owner',
  support: 'Support',
  service: 'Service',
};

export function App() {
  const s = useSyncExternalStore(session.subscribe, session.get);
  const [restoring, setRestoring] = useState(session.hasRefresh());
  const qc = useQueryClient();
  useEffect(() => {
    // A reload keeps the session: the refresh token is in this tab's storage.
    if (restoring) void session.refresh().finally(() => setRestoring(false));
  }, [restoring]);
  useEffect(() => {
    if (s.kind === 'anonymous') qc.clear();
  }, [s.kind, qc]);
  if (restoring) return <Loading what="your session" />;
  if (s.kind === 'anonymous') return <Login reason={s.reason} />;
  return <Shell user={s.user} />;
}

function Shell({ user }: { user: User }) {
  const path = usePath();
  const nav = NAV.filter((n) => n.roles.includes(user.role));
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Fleet maintenance</span>
        <nav aria-label="Main">
          {nav.map((n) => (
            <Link key={n.to} to={n.to} aria-current={path === n.to ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span>
            {user.name || user.email} · {ROLE_NAME[user.role]} · {user.org_id}
          </span>
          <button type="button" onClick={() => void session.logout()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          <Page path={path} user={user} />
        </Suspense>
      </main>
    </div>
  );
}

function Page({ path, user }: { path: string; user: User }) {
  const vehicle = match('/vehicles/:id', path);
  if (vehicle?.id) return <Vehicle id={vehicle.id} user={user} />;
  switch (path) {
    case '/':
      return <Overview user={user} />;
    case '/alerts':
      return <Alerts user={user} />;
    case '/scheduling':
      return <Scheduling user={user} />;
    case '/warranty':
      return <Warranty user={user} />;
    case '/map':
      return <FleetMap />;
    case '/audit':
      return <Audit />;
    case '/admin':
      return <Admin user={user} />;
    default:
      return (
        <p role="alert">
          There is no page at {path}. <Link to="/">Back to the overview</Link>.
        </p>
      );
  }
}
