import { useMemo, useRef } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api } from '../api/client';
import type { User } from '../api/session';
import type { AttentionVehicle, DayBands, Summary } from '../api/types';
import { AlertFeed } from '../components/AlertFeed';
import { Chart, type Line } from '../components/Chart';
import { Band, ErrorBox, Kpi, Loading, Section, fmtPct, fmtRul } from '../components/ui';
import { Link } from '../router';
import { MyVehicles } from './MyVehicles';
import { Jobs } from './Jobs';

export function Overview({ user }: { user: User }) {
  if (user.role === 'owner') return <MyVehicles user={user} />;
  if (user.role === 'technician') return <Jobs />;
  return <FleetOverview />;
}

function FleetOverview() {
  const summary = useQuery({ queryKey: ['summary'], queryFn: () => api<Summary>('analytics', '/v1/metrics/summary?days=30') });
  return (
    <>
      <h1>Fleet overview</h1>
      {summary.isPending && <Loading what="the fleet figures" />}
      {summary.isError && <ErrorBox error={summary.error} what="The fleet figures" />}
      {summary.data && <Kpis s={summary.data} />}
      <div className="grid2">
        <Section title="Vehicles at risk">
          <AtRisk />
        </Section>
        <Section title="Alert feed">
          <AlertFeed />
        </Section>
      </div>
      <Section title="Health distribution (30 days)">
        <HealthChart />
      </Section>
    </>
  );
}

function Kpis({ s }: { s: Summary }) {
  const money = s.cost_avoided.value;
  return (
    <div className="kpis">
      <Kpi label="Vehicles" value={s.fleet.vehicles} />
      <Kpi label="Needing attention" value={s.fleet.needing_attention} />
      <Kpi label="Open alerts" value={s.alerts.open} hint={`${s.alerts.escalated} escalated`} />
      <Kpi label="Uptime" value={fmtPct(s.uptime.ratio)} />
      <Kpi label="Failures predicted" value={s.predictions.predicted} hint={`${s.predictions.avoided} avoided`} />
      <Kpi
        label="Cost avoided"
        value={
          money === null || money === undefined
            ? '—'
            : money.toLocaleString(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 })
        }
        hint={money === null || money === undefined ? 'not computable yet' : undefined}
        title={s.cost_avoided.missing || undefined}
      />
    </div>
  );
}

// The whole list, virtualized: 10,000 rows cost the DOM of about 20.
function AtRisk() {
  const q = useQuery({
    queryKey: ['attention'],
    queryFn: () => api<{ vehicles: AttentionVehicle[] }>('analytics', '/v1/metrics/attention?limit=1000'),
  });
  const parent = useRef<HTMLDivElement>(null);
  const rows = q.data?.vehicles ?? [];
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => 40, overscan: 8 });
  if (q.isPending) return <Loading what="vehicles at risk" />;
  if (q.isError) return <ErrorBox error={q.error} what="Vehicles at risk" />;
  if (rows.length === 0) return <p className="muted">No vehicle needs attention.</p>;
  return (
    <>
      <p className="muted">{rows.length} vehicles, most urgent first (lowest score, then shortest remaining life).</p>
      <div className="vhead" aria-hidden="true">
        <span>Vehicle</span>
        <span>Health</span>
        <span>Worst part</span>
        <span>RUL (80 % interval)</span>
      </div>
      <div ref={parent} className="vlist" role="list" aria-label="Vehicles at risk" tabIndex={0}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((item) => {
            const r = rows[item.index];
            if (!r) return null;
            return (
              <div key={r.vehicle_id} role="listitem" className="vrow" style={{ transform: `translateY(${item.start}px)` }}>
                <Link to={`/vehicles/${encodeURIComponent(r.vehicle_id)}`}>{r.vehicle_id}</Link>
                <span>
                  <Band band={r.overall_band} /> {r.overall_score.toFixed(2)}
                </span>
                <span>{r.worst_component ?? '—'}</span>
                <span>{fmtRul(r.min_rul_days, r.min_rul_low_days, r.min_rul_high_days)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

const BAND_COLORS: [keyof Omit<DayBands, 'day'>, string][] = [
  ['excellent', '#1b7a3a'],
  ['good', '#5a8f29'],
  ['fair', '#9a6b00'],
  ['poor', '#c2410c'],
  ['critical', '#b3261e'],
];

function HealthChart() {
  const q = useQuery({ queryKey: ['health-days'], queryFn: () => api<{ days: DayBands[] }>('analytics', '/v1/metrics/health?days=30') });
  const data = useMemo(() => {
    const days = q.data?.days ?? [];
    const x = days.map((d) => Date.parse(d.day) / 1000);
    const lines: Line[] = BAND_COLORS.map(([band, color]) => ({ label: band, color, values: days.map((d) => d[band]) }));
    return { x, lines };
  }, [q.data]);
  if (q.isPending) return <Loading what="the health distribution" />;
  if (q.isError) return <ErrorBox error={q.error} what="The health distribution" />;
  if (data.x.length === 0) return <p className="muted">No health data yet.</p>;
  return <Chart title="Vehicles per health band per day" x={data.x} lines={data.lines} />;
}
