// The organization's device keys (ingestion's /v1/device-keys): the gateways' secrets,
// shown once when created, revoked when a gateway is lost. And, for platform admins,
// the organizations (analytics' /v1/orgs).
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, post } from '../api/client';
import type { User } from '../api/session';
import { ErrorBox, Loading, Table, fmtTime } from '../components/ui';

interface DeviceKey {
  id: string;
  org_id: string;
  name: string;
  key_prefix: string;
  vehicle_ids: string[];
  created_at: string;
  revoked_at?: string | null;
}

interface Org {
  id: string;
  name: string;
  created_at: string;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function DeviceKeys({ me }: { me: User }) {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['device-keys'], queryFn: () => api<DeviceKey[]>('ingestion', '/v1/device-keys') });
  const [f, setF] = useState({ name: '', vehicles: '' });
  const done = () => qc.invalidateQueries({ queryKey: ['device-keys'] });
  const create = useMutation({
    mutationFn: () =>
      post<DeviceKey & { key: string }>('ingestion', '/v1/device-keys', {
        name: f.name.trim(),
        vehicle_ids: list(f.vehicles),
        ...(me.role === 'admin' ? { org_id: me.org_id } : {}),
      }),
    onSuccess: () => {
      setF({ name: '', vehicles: '' });
      void done();
    },
  });
  const revoke = useMutation({
    mutationFn: (k: DeviceKey) => api<DeviceKey>('ingestion', `/v1/device-keys/${k.id}`, { method: 'DELETE' }),
    onSuccess: done,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const canWrite = me.role === 'admin' || me.role === 'fleet_manager';
  return (
    <>
      {canWrite && (
        <form className="toolbar" onSubmit={submit} aria-label="Create a device key">
          <label htmlFor="k-name">Gateway</label>
          <input id="k-name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required maxLength={100} />
          <label htmlFor="k-vehicles">Vehicles (comma-separated, empty: any)</label>
          <input id="k-vehicles" value={f.vehicles} onChange={(e) => setF({ ...f, vehicles: e.target.value })} />
          <button type="submit" disabled={create.isPending}>
            Create key
          </button>
        </form>
      )}
      {create.isError && <ErrorBox error={create.error} what="The key" failed />}
      {create.isSuccess && (
        <p role="status">
          Key for {create.data.name}: <code>{create.data.key}</code> — configure it on the gateway now (header <code>x-api-key</code>); it
          is not shown again.
        </p>
      )}
      {revoke.isError && <ErrorBox error={revoke.error} what="The revocation" failed />}
      {q.isPending && <Loading what="device keys" />}
      {q.isError && <ErrorBox error={q.error} what="Device keys" />}
      {q.data?.length === 0 && <p className="muted">No device key yet.</p>}
      {q.data && q.data.length > 0 && (
        <Table caption="Device keys" columns={['Gateway', 'Key', 'Vehicles', 'Created', 'Status']} stack>
          {q.data.map((k) => (
            <tr key={k.id}>
              <td data-label="Gateway">{k.name}</td>
              <td data-label="Key">
                <code>{k.key_prefix}…</code>
              </td>
              <td data-label="Vehicles" className="small">
                {k.vehicle_ids.join(', ') || 'any of the organization'}
              </td>
              <td data-label="Created">{fmtTime(k.created_at)}</td>
              <td data-label="Status" className="actions">
                {k.revoked_at ? (
                  `revoked ${fmtTime(k.revoked_at)}`
                ) : canWrite ? (
                  <button type="button" className="secondary" disabled={revoke.isPending} onClick={() => revoke.mutate(k)}>
                    Revoke {k.name}
                  </button>
                ) : (
                  'active'
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

export function Organizations() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['orgs'], queryFn: () => api<Org[]>('analytics', '/v1/orgs') });
  const [f, setF] = useState({ id: '', name: '' });
  const create = useMutation({
    mutationFn: () => post<Org>('analytics', '/v1/orgs', { id: f.id.trim(), name: f.name.trim() }),
    onSuccess: () => {
      setF({ id: '', name: '' });
      void qc.invalidateQueries({ queryKey: ['orgs'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <form className="toolbar" onSubmit={submit} aria-label="Create an organization">
        <label htmlFor="o-id">Id</label>
        <input id="o-id" value={f.id} onChange={(e) => setF({ ...f, id: e.target.value })} required maxLength={64} />
        <label htmlFor="o-name">Name</label>
        <input id="o-name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required />
        <button type="submit" disabled={create.isPending}>
          Create organization
        </button>
      </form>
      {create.isError && <ErrorBox error={create.error} what="The organization" failed />}
      {create.isSuccess && <p role="status">Organization {create.data.id} created.</p>}
      {q.isPending && <Loading what="organizations" />}
      {q.isError && <ErrorBox error={q.error} what="Organizations" />}
      {q.data && (
        <Table caption="Organizations" columns={['Id', 'Name', 'Since']} stack>
          {q.data.map((o) => (
            <tr key={o.id}>
              <td data-label="Id">{o.id}</td>
              <td data-label="Name">{o.name}</td>
              <td data-label="Since">{fmtTime(o.created_at)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
