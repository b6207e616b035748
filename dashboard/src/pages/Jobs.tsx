// A technician's job list: the appointments of their centers; start and complete the
// work order.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, post } from '../api/client';
import type { Appointment } from '../api/types';
import { ErrorBox, Loading, Severity, fmtTime, Table } from '../components/ui';
import { Link } from '../router';

export function Jobs() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['appointments', 'jobs'], queryFn: () => api<Appointment[]>('scheduling', '/v1/appointments?limit=200') });
  const act = useMutation({
    mutationFn: ({ a, how }: { a: Appointment; how: 'start' | 'complete' }) =>
      how === 'start'
        ? post<Appointment>('scheduling', `/v1/appointments/${a.id}/start`)
        : post<Appointment>('scheduling', `/v1/appointments/${a.id}/complete`, { notes: 'completed from the dashboard' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['appointments'] }),
  });
  return (
    <>
      <h1>My jobs</h1>
      {q.isPending && <Loading what="your jobs" />}
      {q.isError && <ErrorBox error={q.error} what="Your jobs" />}
      {act.isError && <ErrorBox error={act.error} what="The change" failed />}
      {q.data?.length === 0 && <p className="muted">No jobs booked at your centers.</p>}
      {q.data && q.data.length > 0 && <AppointmentTable rows={q.data} act={(a, how) => act.mutate({ a, how })} busy={act.isPending} />}
    </>
  );
}

export function AppointmentTable({
  rows,
  act,
  busy,
}: {
  rows: Appointment[];
  act?: (a: Appointment, how: 'start' | 'complete') => void;
  busy?: boolean;
}) {
  return (
    <Table caption="Appointments" columns={['When', 'Vehicle', 'Work', 'Where', 'Status', ...(act ? ['Actions'] : [])]} stack>
      {rows.map((a) => (
        <tr key={a.id}>
          <td data-label="When">{fmtTime(a.starts_at)}</td>
          <td data-label="Vehicle">
            <Link to={`/vehicles/${encodeURIComponent(a.vehicle_id)}`}>{a.vehicle_id}</Link>
          </td>
          <td data-label="Work">
            <Severity severity={a.severity} /> {a.title}
          </td>
          <td className="small" data-label="Where">
            {a.center_name} · {a.technician_name}
          </td>
          <td data-label="Status">{a.status}</td>
          {act && (
            <td className="actions" data-label="Actions">
              {a.status === 'scheduled' && (
                <button type="button" disabled={busy} onClick={() => act(a, 'start')}>
                  Start work
                </button>
              )}
              {a.status === 'in_progress' && (
                <button type="button" disabled={busy} onClick={() => act(a, 'complete')}>
                  Complete
                </button>
              )}
            </td>
          )}
        </tr>
      ))}
    </Table>
  );
}
