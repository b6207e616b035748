import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, post } from '../api/client';
import type { User } from '../api/session';
import type { Alert } from '../api/types';
import { useAlertStream } from '../components/AlertFeed';
import { ErrorBox, Loading, Severity, fmtTime, Table } from '../components/ui';
import { Link } from '../router';
import { ReviewQueue } from './Reviews';

export function Alerts({ user }: { user: User }) {
  const [status, setStatus] = useState('open');
  const [severity, setSeverity] = useState('');
  const qc = useQueryClient();
  useAlertStream(() => void qc.invalidateQueries({ queryKey: ['alerts'] }));
  const params = new URLSearchParams({ limit: '100' });
  if (status) params.set('status', status);
  if (severity) params.set('severity', severity);
  const q = useQuery({
    queryKey: ['alerts', 'list', status, severity],
    queryFn: () => api<{ alerts: Alert[] }>('alert', `/v1/alerts?${params}`),
  });
  return (
    <>
      <h1>Alerts</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter alerts">
        <Choice label="Status" value={status} set={setStatus} options={['open', 'acknowledged', 'resolved']} />
        <Choice label="Minimum severity" value={severity} set={setSeverity} options={['warning', 'critical', 'emergency']} />
      </form>
      {q.isPending && <Loading what="alerts" />}
      {q.isError && <ErrorBox error={q.error} what="Alerts" />}
      {(user.role === 'fleet_manager' || user.role === 'admin') && <ReviewQueue />}
      {q.data && (q.data.alerts.length === 0 ? <p className="muted">No alerts match.</p> : <AlertTable alerts={q.data.alerts} />)}
    </>
  );
}

/// A filter: `any` (empty) or one of `options`.
function Choice({ label, value, set, options }: { label: string; value: string; set: (v: string) => void; options: string[] }) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => set(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}

export function AlertTable({ alerts }: { alerts: Alert[] }) {
  const qc = useQueryClient();
  const act = useMutation({
    mutationFn: ({ a, how }: { a: Alert; how: 'acknowledge' | 'resolve' }) =>
      how === 'acknowledge'
        ? post<Alert>('alert', `/v1/alerts/${a.alert_id}/acknowledge`)
        : post<Alert>('alert', `/v1/alerts/${a.alert_id}/resolve`, { resolution: 'resolved from the dashboard' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['alerts'] }),
  });
  return (
    <>
      {act.isError && <ErrorBox error={act.error} what="The change" failed />}
      <Table caption="Alerts" columns={['Severity', 'Vehicle', 'Alert', 'Status', 'Escalation', 'Actions']} stack>
        {alerts.map((a) => (
          <tr key={a.alert_id}>
            <td data-label="Severity">
              <Severity severity={a.severity} />
            </td>
            <td data-label="Vehicle">
              <Link to={`/vehicles/${encodeURIComponent(a.vehicle_id)}`}>{a.vehicle_id}</Link>
            </td>
            <td data-label="Alert">
              <strong>{a.title}</strong>
              <div className="muted small">
                {a.message} · {fmtTime(a.created_at)}
                {a.occurrences > 1 ? ` · ${a.occurrences} times` : ''}
              </div>
            </td>
            <td data-label="Status">{a.status}</td>
            <td className="small" data-label="Escalation">
              step {a.step}
              {a.next_escalation_at && a.status === 'open' ? ` · next ${fmtTime(a.next_escalation_at)}` : ''}
            </td>
            <td className="actions" data-label="Actions">
              {a.status === 'open' && (
                <button
                  type="button"
                  disabled={act.isPending}
                  onClick={() => act.mutate({ a, how: 'acknowledge' })}
                  aria-label={`Acknowledge ${a.title} on ${a.vehicle_id}`}
                >
                  Acknowledge
                </button>
              )}
              {a.status !== 'resolved' && (
                <button
                  type="button"
                  className="secondary"
                  disabled={act.isPending}
                  onClick={() => act.mutate({ a, how: 'resolve' })}
                  aria-label={`Resolve ${a.title} on ${a.vehicle_id}`}
                >
                  Resolve
                </button>
              )}
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}
