// Accounts of the organization (create, disable, enable), reports to download, the
// caller's reports scheduled by email (analytics' /v1/report-schedules), the gateways'
// device keys and, for platform admins, the organizations.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, apiUrl, post, ApiError } from '../api/client';
import { session, type Role, type User } from '../api/session';
import { ErrorBox, Loading, Section, Table, fmtTime } from '../components/ui';
import { DeviceKeys, Organizations } from './DeviceKeys';

const KINDS = ['fleet_health', 'alerts', 'maintenance'];
const ROLES: Role[] = ['fleet_manager', 'technician', 'owner', 'support', 'admin'];
const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export default function Admin({ user }: { user: User }) {
  return (
    <>
      <h1>Administration</h1>
      <Section title="Reports">
        <Reports />
      </Section>
      <Section title="Reports by email">
        <Schedules />
      </Section>
      <Section title="Accounts">
        <Accounts me={user} />
      </Section>
      <Section title="Device keys">
        <DeviceKeys me={user} />
      </Section>
      {user.role === 'admin' && (
        <Section title="Organizations">
          <Organizations />
        </Section>
      )}
    </>
  );
}

async function download(kind: string, format: 'csv' | 'pdf') {
  const token = await session.token();
  const r = await fetch(apiUrl('analytics', `/v1/reports/${kind}?format=${format}&days=30`), {
    headers: { authorization: `Bearer ${token ?? ''}` },
  });
  if (!r.ok) throw new ApiError(r.status, `The report could not be made (${r.status}).`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await r.blob());
  a.download = `${kind}-30d.${format}`;
  a.click();
}

function Reports() {
  const [error, setError] = useState<string | null>(null);
  const get = (kind: string, format: 'csv' | 'pdf') => void download(kind, format).catch((e: Error) => setError(e.message));
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="reports">
        {KINDS.map((kind) => (
          <li key={kind}>
            {kind.replace('_', ' ')} (30 days):{' '}
            <button type="button" className="secondary" onClick={() => get(kind, 'pdf')}>
              PDF
            </button>
            <button type="button" className="secondary" onClick={() => get(kind, 'csv')}>
              CSV
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

interface Schedule {
  id: string;
  kind: string;
  frequency: string;
  created_at: string;
  next_run_at: string;
  last_error?: string | null;
}

// Each schedule mails the caller the PDF daily or weekly; the first goes out at once.
function Schedules() {
  const qc = useQueryClient();
  const [f, setF] = useState({ kind: KINDS[0], frequency: 'weekly' });
  const q = useQuery({
    queryKey: ['report-schedules'],
    queryFn: () => api<{ schedules: Schedule[] }>('analytics', '/v1/report-schedules'),
  });
  const done = () => qc.invalidateQueries({ queryKey: ['report-schedules'] });
  const create = useMutation({ mutationFn: () => post<Schedule>('analytics', '/v1/report-schedules', f), onSuccess: done });
  const remove = useMutation({
    mutationFn: (id: string) => api<null>('analytics', `/v1/report-schedules/${id}`, { method: 'DELETE' }),
    onSuccess: done,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <form className="toolbar" onSubmit={submit} aria-label="Schedule a report by email">
        <label htmlFor="s-kind">Report</label>
        <select id="s-kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.target.value })}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k.replace('_', ' ')}
            </option>
          ))}
        </select>
        <label htmlFor="s-frequency">Every</label>
        <select id="s-frequency" value={f.frequency} onChange={(e) => setF({ ...f, frequency: e.target.value })}>
          <option value="daily">day (the day before)</option>
          <option value="weekly">Monday (the week before)</option>
        </select>
        <button type="submit" disabled={create.isPending}>
          Schedule
        </button>
      </form>
      {create.isError && <ErrorBox error={create.error} what="The schedule" failed />}
      {create.isSuccess && (
        <p role="status">Scheduled: the first {create.data.kind.replace('_', ' ')} report is on its way to your email.</p>
      )}
      {remove.isError && <ErrorBox error={remove.error} what="The removal" failed />}
      {q.isPending && <Loading what="your report schedules" />}
      {q.isError && <ErrorBox error={q.error} what="Your report schedules" />}
      {q.data?.schedules.length === 0 && <p className="muted">No report is scheduled for you.</p>}
      {q.data && q.data.schedules.length > 0 && (
        <Table caption="Reports scheduled by email" columns={['Report', 'Frequency', 'Next', 'Last error', 'Actions']} stack>
          {q.data.schedules.map((s) => (
            <tr key={s.id}>
              <td data-label="Report">{s.kind.replace('_', ' ')}</td>
              <td data-label="Frequency">{s.frequency}</td>
              <td data-label="Next">{fmtTime(s.next_run_at)}</td>
              <td data-label="Last error">{s.last_error ?? '—'}</td>
              <td data-label="Actions" className="actions">
                <button
                  type="button"
                  className="secondary"
                  disabled={remove.isPending}
                  onClick={() => remove.mutate(s.id)}
                  aria-label={`Stop the ${s.frequency} ${s.kind.replace('_', ' ')} report`}
                >
                  Stop
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function Accounts({ me }: { me: User }) {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['users'], queryFn: () => api<User[]>('analytics', '/v1/users?limit=500') });
  const toggle = useMutation({
    mutationFn: (u: User) =>
      api<User>('analytics', `/v1/users/${u.id}`, { method: 'PATCH', body: JSON.stringify({ disabled: !u.disabled }) }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <>
      <NewAccount me={me} />
      {toggle.isError && <ErrorBox error={toggle.error} what="The change" failed />}
      {q.isPending && <Loading what="accounts" />}
      {q.isError && <ErrorBox error={q.error} what="Accounts" />}
      {q.data && (
        <Table caption="Accounts" columns={['Email', 'Name', 'Role', 'Scope', 'Since', 'Actions']} stack>
          {q.data.map((u) => (
            <tr key={u.id}>
              <td data-label="Email">{u.email}</td>
              <td data-label="Name">{u.name}</td>
              <td data-label="Role">{u.role.replace('_', ' ')}</td>
              <td data-label="Scope" className="small">
                {[...u.vehicle_ids, ...u.center_ids].join(', ') || u.org_id}
              </td>
              <td data-label="Since">{fmtTime(u.created_at)}</td>
              <td data-label="Actions" className="actions">
                {u.id !== me.id && (
                  <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate(u)}>
                    {u.disabled ? `Enable ${u.email}` : `Disable ${u.email}`}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function NewAccount({ me }: { me: User }) {
  const qc = useQueryClient();
  const [f, setF] = useState({ email: '', name: '', role: 'technician', vehicles: '', centers: '' });
  const field = (k: keyof typeof f) => ({
    value: f[k],
    onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }),
  });
  const create = useMutation({
    // Without a password the person gets an emailed invitation.
    mutationFn: () =>
      post<{ user: User; invitation_url?: string | null }>('analytics', '/v1/users', {
        email: f.email.trim(),
        name: f.name.trim(),
        role: f.role,
        org_id: me.org_id,
        vehicle_ids: list(f.vehicles),
        center_ids: list(f.centers),
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Invite a person">
      <label htmlFor="u-email">Email</label>
      <input id="u-email" type="email" required {...field('email')} />
      <label htmlFor="u-name">Name</label>
      <input id="u-name" required {...field('name')} />
      <label htmlFor="u-role">Role</label>
      <select id="u-role" {...field('role')}>
        {ROLES.filter((r) => me.role === 'admin' || r !== 'admin').map((r) => (
          <option key={r} value={r}>
            {r.replace('_', ' ')}
          </option>
        ))}
      </select>
      <label htmlFor="u-vehicles">Vehicles (owners; comma-separated)</label>
      <input id="u-vehicles" {...field('vehicles')} />
      <label htmlFor="u-centers">Service centers (technicians; comma-separated ids)</label>
      <input id="u-centers" {...field('centers')} />
      {create.isError && <ErrorBox error={create.error} what="The invitation" failed />}
      {create.isSuccess && (
        <p role="status">
          Invitation sent to {create.data.user.email}
          {create.data.invitation_url ? ` (link: ${create.data.invitation_url})` : ''}.
        </p>
      )}
      <button type="submit" disabled={create.isPending}>
        Invite
      </button>
    </form>
  );
}
