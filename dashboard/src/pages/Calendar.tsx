// The appointments calendar of one service center, a week at a time (Monday first,
// in the browser's time zone), from the scheduling API's appointments by center.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Appointment, Center } from '../api/types';
import { ErrorBox, Loading, Severity } from '../components/ui';
import { Link } from '../router';

const DAY_MS = 86_400_000;

/// Monday 00:00 (local) of the week `weeks` from this one.
function weekStart(weeks: number): Date {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7) + 7 * weeks);
  return d;
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();
const hhmm = (t: string) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function CenterCalendar() {
  const centers = useQuery({ queryKey: ['centers'], queryFn: () => api<Center[]>('scheduling', '/v1/centers') });
  const [chosen, setChosen] = useState('');
  const [weeks, setWeeks] = useState(0);
  const center = chosen || centers.data?.[0]?.id || '';
  const start = weekStart(weeks);
  const end = new Date(start.getTime() + 7 * DAY_MS);
  const q = useQuery({
    queryKey: ['appointments', 'calendar', center, start.toISOString()],
    enabled: center !== '',
    queryFn: () =>
      api<Appointment[]>(
        'scheduling',
        `/v1/appointments?center_id=${center}&from=${encodeURIComponent(start.toISOString())}&to=${encodeURIComponent(end.toISOString())}&limit=1000`,
      ),
  });
  if (centers.isPending) return <Loading what="service centers" />;
  if (centers.isError) return <ErrorBox error={centers.error} what="Service centers" />;
  if (centers.data.length === 0) return <p className="muted">No service center yet.</p>;
  const days = Array.from({ length: 7 }, (_, i) => new Date(start.getTime() + i * DAY_MS + 2 * 3_600_000));
  return (
    <>
      <div className="toolbar">
        <label htmlFor="cal-center">Service center</label>
        <select id="cal-center" value={center} onChange={(e) => setChosen(e.target.value)}>
          {centers.data.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={() => setWeeks(weeks - 1)}>
          Previous week
        </button>
        <button type="button" className="secondary" onClick={() => setWeeks(0)} disabled={weeks === 0}>
          This week
        </button>
        <button type="button" className="secondary" onClick={() => setWeeks(weeks + 1)}>
          Next week
        </button>
      </div>
      <p className="muted" aria-live="polite">
        Week of {start.toLocaleDateString([], { day: 'numeric', month: 'long', year: 'numeric' })}
        {q.data ? `: ${q.data.length} appointments` : ''}
      </p>
      {q.isPending && <Loading what="the week's appointments" />}
      {q.isError && <ErrorBox error={q.error} what="The week's appointments" />}
      {q.data && (
        <div className="calendar" role="group" aria-label="Week calendar">
          {days.map((day) => {
            const items = q.data.filter((a) => sameDay(new Date(a.starts_at), day));
            const name = day.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'short' });
            return (
              <section key={name} className="cal-day" aria-label={name}>
                <h3>{name}</h3>
                {items.length === 0 ? (
                  <p className="muted small">Free</p>
                ) : (
                  <ul>
                    {items.map((a) => (
                      <li key={a.id} className={`cal-item cal-${a.status}`}>
                        <span className="small">
                          {hhmm(a.starts_at)}–{hhmm(a.ends_at)} · bay {a.bay}
                        </span>
                        <Link to={`/vehicles/${encodeURIComponent(a.vehicle_id)}`}>{a.vehicle_id}</Link>
                        <span className="small">
                          <Severity severity={a.severity} /> {a.title} · {a.technician_name} · {a.status.replace('_', ' ')}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
