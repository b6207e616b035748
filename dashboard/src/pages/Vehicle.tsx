import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { User } from '../api/session';
import type { Alert, Appointment, Claim, Decision, HealthHistory, VehicleHealth } from '../api/types';
import { Chart, type Line } from '../components/Chart';
import { Band, ErrorBox, Loading, Section, Severity, fmtRul, fmtTime, Table } from '../components/ui';
import { AlertTable } from './Alerts';
import { AppointmentTable } from './Jobs';

const COLORS = ['#1f5fa8', '#b3261e', '#1b7a3a', '#9a6b00', '#6b3fa0', '#00796b', '#c2410c', '#455a64'];

export default function Vehicle({ id, user }: { id: string; user: User }) {
  const v = encodeURIComponent(id);
  const health = useQuery({ queryKey: ['health', id], queryFn: () => api<VehicleHealth>('health', `/v1/vehicles/${v}/health`) });
  const decisions = useQuery({
    queryKey: ['decisions', id],
    queryFn: () => api<{ decisions: Decision[] }>('agent', `/v1/vehicles/${v}/decisions?limit=20`),
  });
  return (
    <>
      <h1>Vehicle {id}</h1>
      {health.isPending && <Loading what="its health" />}
      {health.isError && <ErrorBox error={health.error} what="Its health" />}
      {health.data && <Components h={health.data} />}
      <Section title="Health history (14 days)">
        <History id={id} decisions={decisions.data?.decisions ?? []} />
      </Section>
      <Section title="Decisions">
        {decisions.isPending && <Loading what="decisions" />}
        {decisions.isError && <ErrorBox error={decisions.error} what="Decisions" />}
        {decisions.data && <Decisions rows={decisions.data.decisions} />}
      </Section>
      <Section title="Alerts">
        <VehicleAlerts id={id} />
      </Section>
      <Section title="Appointments">
        <VehicleAppointments id={id} />
      </Section>
      {user.role !== 'technician' && (
        <Section title="Warranty claims">
          <VehicleClaims id={id} />
        </Section>
      )}
    </>
  );
}

function Components({ h }: { h: VehicleHealth }) {
  return (
    <section className="card" aria-labelledby="h-components">
      <div className="card-head">
        <h2 id="h-components">
          Components · overall <Band band={h.overall_band} /> {h.overall_score.toFixed(2)}
        </h2>
      </div>
      <p className="muted small">
        Last reading {fmtTime(h.newest_reading_at)}
        {h.odometer_km ? ` · ${Math.round(h.odometer_km).toLocaleString()} km` : ''}
        {h.daily_km ? ` · ${Math.round(h.daily_km)} km/day` : ''}
      </p>
      <Table caption="Component health" columns={['Component', 'Health', 'Remaining life', 'Confidence', 'Why']}>
        {[...h.components]
          .sort((a, b) => a.score - b.score)
          .map((c) => (
            <tr key={c.component}>
              <th scope="row">{c.component}</th>
              <td>
                <Band band={c.band} /> {c.score.toFixed(2)}
              </td>
              <td>
                <span title={c.rul_interval_days ? "80 % interval, from the engine's errors on failures it was not trained on" : undefined}>
                  {fmtRul(c.rul_days, c.rul_interval_days?.[0], c.rul_interval_days?.[1])}
                </span>
                {c.rul_km ? ` · ${Math.round(c.rul_km).toLocaleString()} km` : ''}
              </td>
              <td>{c.confidence.toFixed(2)}</td>
              <td className="small">
                {(c.factors ?? [])
                  .slice(0, 2)
                  .map((f) => f.detail)
                  .join('; ') || '—'}
              </td>
            </tr>
          ))}
      </Table>
    </section>
  );
}

function History({ id, decisions }: { id: string; decisions: Decision[] }) {
  const q = useQuery({
    queryKey: ['history', id],
    queryFn: () => {
      const from = new Date(Date.now() - 14 * 86400_000).toISOString();
      return api<HealthHistory>('health', `/v1/vehicles/${encodeURIComponent(id)}/health/history?from=${from}&bucket=auto&points=200`);
    },
  });
  const data = useMemo(() => {
    const series = q.data?.series ?? [];
    const times = [...new Set(series.flatMap((s) => s.points.map((p) => Date.parse(p.at) / 1000)))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const lines: Line[] = series.map((s, k) => {
      const values: (number | null)[] = times.map(() => null);
      for (const p of s.points) values[index.get(Date.parse(p.at) / 1000) ?? 0] = p.score;
      return { label: s.component, color: COLORS[k % COLORS.length] ?? '#000', values };
    });
    const marks = decisions.map((d) => ({ at: Date.parse(d.decided_at) / 1000, label: d.diagnosis }));
    return { x: times, lines, marks };
  }, [q.data, decisions]);
  if (q.isPending) return <Loading what="the history" />;
  if (q.isError) return <ErrorBox error={q.error} what="The history" />;
  if (data.x.length === 0) return <p className="muted">No history yet.</p>;
  return (
    <>
      <p className="muted small">Score per component (1 = as new); dashed red lines mark the agent's decisions.</p>
      <Chart title={`Component health of ${id} over 14 days`} x={data.x} lines={data.lines} yRange={[0, 1]} marks={data.marks} />
    </>
  );
}

function Decisions({ rows }: { rows: Decision[] }) {
  if (rows.length === 0) return <p className="muted">No decisions yet.</p>;
  return (
    <ul className="decisions">
      {rows.map((d) => (
        <li key={d.decision_id}>
          <details>
            <summary>
              <Severity severity={d.severity} /> {fmtTime(d.decided_at)} · {d.component}: {d.diagnosis}
              {d.escalated ? ' · escalated to a person' : ''}
            </summary>
            <p>{d.reasoning}</p>
            <p className="small muted">
              Failure mode {d.failure_mode.replace(/_/g, ' ')} · act within {d.urgency_days} days · confidence {d.confidence.toFixed(2)}
              {d.disposition ? ` · ${d.disposition}` : ''}
              {d.escalation_reason ? ` · ${d.escalation_reason}` : ''}
            </p>
            {d.actions.length > 0 && (
              <ul className="small">
                {d.actions.map((a, i) => (
                  <li key={i}>{String(a.description ?? a.action ?? JSON.stringify(a))}</li>
                ))}
              </ul>
            )}
          </details>
        </li>
      ))}
    </ul>
  );
}

function VehicleAlerts({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['alerts', 'vehicle', id],
    queryFn: () => api<{ alerts: Alert[] }>('alert', `/v1/alerts?vehicle_id=${encodeURIComponent(id)}&limit=50`),
  });
  if (q.isPending) return <Loading what="alerts" />;
  if (q.isError) return <ErrorBox error={q.error} what="Alerts" />;
  if (q.data.alerts.length === 0) return <p className="muted">No alerts.</p>;
  return <AlertTable alerts={q.data.alerts} />;
}

function VehicleAppointments({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['appointments', 'vehicle', id],
    queryFn: () => api<Appointment[]>('scheduling', `/v1/vehicles/${encodeURIComponent(id)}/appointments?status=all`),
  });
  if (q.isPending) return <Loading what="appointments" />;
  if (q.isError) return <ErrorBox error={q.error} what="Appointments" />;
  if (q.data.length === 0) return <p className="muted">No appointments.</p>;
  return <AppointmentTable rows={q.data} />;
}

function VehicleClaims({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['claims', 'vehicle', id],
    queryFn: () => api<Claim[]>('warranty', `/v1/claims?vehicle_id=${encodeURIComponent(id)}&limit=50`),
  });
  if (q.isPending) return <Loading what="claims" />;
  if (q.isError) return <ErrorBox error={q.error} what="Claims" />;
  if (q.data.length === 0) return <p className="muted">No warranty claims.</p>;
  return (
    <ul>
      {q.data.map((c) => (
        <li key={c.id}>
          {c.failure_date} · {c.component} · {c.status.replace(/_/g, ' ')}
          {c.assessment ? ` · fraud score ${c.assessment.score.toFixed(2)}` : ''}
        </li>
      ))}
    </ul>
  );
}
