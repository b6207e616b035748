import { useQueries } from '@tanstack/react-query';
import { api } from '../api/client';
import type { User } from '../api/session';
import type { VehicleHealth } from '../api/types';
import { AlertFeed } from '../components/AlertFeed';
import { Band, ErrorBox, Loading, Section, fmtDays, fmtTime } from '../components/ui';
import { Link } from '../router';

export function MyVehicles({ user }: { user: User }) {
  const ids = user.vehicle_ids;
  const qs = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['health', id],
      queryFn: () => api<VehicleHealth>('health', `/v1/vehicles/${encodeURIComponent(id)}/health`),
    })),
  });
  return (
    <>
      <h1>My vehicles</h1>
      {ids.length === 0 && <p className="muted">No vehicle is registered to your account yet.</p>}
      <div className="cards">
        {ids.map((id, i) => {
          const q = qs[i];
          const h = q?.data;
          const worst = h?.components.reduce<VehicleHealth['components'][number] | undefined>(
            (w, c) => (!w || c.score < w.score ? c : w),
            undefined,
          );
          return (
            <section className="card" key={id} aria-label={`Vehicle ${id}`}>
              <h2>
                <Link to={`/vehicles/${encodeURIComponent(id)}`}>{id}</Link>
              </h2>
              {q?.isPending && <Loading what="its health" />}
              {q?.isError && <ErrorBox error={q.error} what="Its health" />}
              {h && (
                <p>
                  <Band band={h.overall_band} /> score {h.overall_score.toFixed(2)}
                  {worst && (
                    <>
                      {' '}
                      · weakest: {worst.component} ({fmtDays(worst.rul_days)} left)
                    </>
                  )}
                  <br />
                  <span className="muted small">last reading {fmtTime(h.newest_reading_at)}</span>
                </p>
              )}
            </section>
          );
        })}
      </div>
      <Section title="My alerts">
        <AlertFeed />
      </Section>
    </>
  );
}
