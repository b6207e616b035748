import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, post } from '../api/client';
import type { User } from '../api/session';
import type { Appointment, Proposal } from '../api/types';
import { ErrorBox, Loading, Section, Severity, fmtTime } from '../components/ui';
import { Jobs, AppointmentTable } from './Jobs';
import { CenterCalendar } from './Calendar';

export default function Scheduling({ user }: { user: User }) {
  if (user.role === 'technician') return <Jobs />;
  return (
    <>
      <h1>Scheduling</h1>
      <Section title="Proposals waiting for a choice">
        <Proposals canApprove={user.role !== 'support'} />
      </Section>
      {user.role !== 'owner' && (
        <Section title="Appointments calendar">
          <CenterCalendar />
        </Section>
      )}
      <Section title="Appointments">
        <Appointments />
      </Section>
    </>
  );
}

function Proposals({ canApprove }: { canApprove: boolean }) {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['proposals'], queryFn: () => api<Proposal[]>('scheduling', '/v1/proposals?status=open') });
  const approve = useMutation({
    mutationFn: ({ p, option }: { p: Proposal; option: number }) =>
      post<Appointment>('scheduling', `/v1/proposals/${p.id}/approve`, { option }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['proposals'] });
      void qc.invalidateQueries({ queryKey: ['appointments'] });
    },
    // A slot taken meanwhile: the service replaced the options with what is free now.
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409) void qc.invalidateQueries({ queryKey: ['proposals'] });
    },
  });
  const taken = approve.error instanceof ApiError && approve.error.status === 409 ? approve.error : null;
  return (
    <>
      {approve.isError && !taken && <ErrorBox error={approve.error} what="The booking" failed />}
      {taken && (
        <p role="alert" className="error">
          That time was taken meanwhile ({taken.message}). The options below are the times free now.
        </p>
      )}
      {approve.isSuccess && (
        <p role="status">
          Booked: {fmtTime(approve.data.starts_at)} at {approve.data.center_name}.
        </p>
      )}
      {q.isPending && <Loading what="proposals" />}
      {q.isError && <ErrorBox error={q.error} what="Proposals" />}
      {q.data?.length === 0 && <p className="muted">No proposal waits for a choice.</p>}
      {q.data?.map((p) => (
        <article key={p.id} className="proposal" aria-label={`Proposal for ${p.job.vehicle_id}`}>
          <h3>
            <Severity severity={p.job.severity} /> {p.job.vehicle_id}: {p.job.title}
          </h3>
          <p className="muted small">due by {fmtTime(p.job.due_at)}</p>
          {p.options.length === 0 && <p className="muted">No center can offer a slot yet; re-planning will.</p>}
          <ol className="options">
            {p.options.map((o, i) => (
              <li key={i}>
                {o.label && <strong>{String(o.label).replace(/_/g, ' ')}: </strong>}
                {fmtTime(o.starts_at)} at {o.center_name}
                {canApprove && (
                  <button type="button" disabled={approve.isPending} onClick={() => approve.mutate({ p, option: i })}>
                    Choose option {i + 1}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </article>
      ))}
    </>
  );
}

function Appointments() {
  const q = useQuery({ queryKey: ['appointments', 'all'], queryFn: () => api<Appointment[]>('scheduling', '/v1/appointments?limit=200') });
  if (q.isPending) return <Loading what="appointments" />;
  if (q.isError) return <ErrorBox error={q.error} what="Appointments" />;
  if (q.data.length === 0) return <p className="muted">No appointments.</p>;
  return <AppointmentTable rows={q.data} />;
}
