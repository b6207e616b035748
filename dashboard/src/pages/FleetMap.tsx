// The fleet on a map: Leaflet drawing the offline world-atlas country shapes (no tile
// server), vehicles as circles coloured by health and clustered per grid cell at low
// zoom. Positions come from each vehicle's newest GPS fix (health service).
import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import countries from 'world-atlas/countries-110m.json';
import { api } from '../api/client';
import type { AttentionVehicle, VehicleHealth } from '../api/types';
import { ErrorBox, Loading } from '../components/ui';
import { navigate } from '../router';

const BAND: Record<string, string> = { excellent: '#1b7a3a', good: '#5a8f29', fair: '#9a6b00', poor: '#c2410c', critical: '#b3261e' };

interface Pin {
  id: string;
  band: string;
  lat: number;
  lon: number;
}

async function pins(): Promise<Pin[]> {
  const list = await api<{ items: { vehicle_id: string }[] }>('ingestion', '/v1/vehicles?limit=200');
  const attention = await api<{ vehicles: AttentionVehicle[] }>('analytics', '/v1/metrics/attention?limit=1000').catch(() => ({
    vehicles: [],
  }));
  const ids = [...new Set([...attention.vehicles.map((v) => v.vehicle_id), ...list.items.map((v) => v.vehicle_id)])].slice(0, 300);
  const out = await Promise.all(
    ids.map((id) =>
      api<VehicleHealth>('health', `/v1/vehicles/${encodeURIComponent(id)}/health`)
        .then((h): Pin | null => (h.position ? { id, band: h.overall_band as string, lat: h.position.lat, lon: h.position.lon } : null))
        .catch(() => null),
    ),
  );
  return out.filter((p): p is Pin => p !== null);
}

export default function FleetMap() {
  const q = useQuery({ queryKey: ['map-pins'], queryFn: pins });
  const box = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState(0);
  useEffect(() => {
    if (!box.current || !q.data) return;
    const map = L.map(box.current, { preferCanvas: true, worldCopyJump: true }).setView([40, -95], 3);
    const topo = countries as unknown as Topology<{ countries: GeometryCollection }>;
    L.geoJSON(feature(topo, topo.objects.countries), {
      style: { color: '#8a8f98', weight: 1, fillColor: '#eef0f3', fillOpacity: 1 },
    }).addTo(map);
    const layer = L.layerGroup().addTo(map);
    const draw = () => {
      layer.clearLayers();
      // Grid clustering: one circle per cell at low zoom, each vehicle when zoomed in.
      const cell = map.getZoom() >= 9 ? 0 : 40 / 2 ** map.getZoom();
      const groups = new Map<string, Pin[]>();
      for (const p of q.data) {
        const key = cell ? `${Math.floor(p.lat / cell)}:${Math.floor(p.lon / cell)}` : p.id;
        groups.set(key, [...(groups.get(key) ?? []), p]);
      }
      for (const g of groups.values()) {
        const worst = g.find((p) => p.band === 'critical') ?? g.find((p) => p.band === 'poor') ?? g[0];
        if (!worst) continue;
        const lat = g.reduce((s, p) => s + p.lat, 0) / g.length;
        const lon = g.reduce((s, p) => s + p.lon, 0) / g.length;
        const m = L.circleMarker([lat, lon], {
          radius: g.length > 1 ? 8 + Math.log2(g.length) * 3 : 7,
          color: '#fff',
          weight: 1,
          fillColor: BAND[worst.band] ?? '#555',
          fillOpacity: 0.9,
        });
        m.bindTooltip(g.length > 1 ? `${g.length} vehicles` : `${worst.id}: ${worst.band}`);
        m.on('click', () =>
          g.length > 1 ? map.setView([lat, lon], map.getZoom() + 3) : navigate(`/vehicles/${encodeURIComponent(worst.id)}`),
        );
        m.addTo(layer);
      }
    };
    map.on('zoomend', draw);
    draw();
    if (q.data.length > 0) map.fitBounds(L.latLngBounds(q.data.map((p) => [p.lat, p.lon])), { maxZoom: 8, padding: [30, 30] });
    setShown(q.data.length);
    return () => void map.remove();
  }, [q.data]);
  return (
    <>
      <h1>Fleet map</h1>
      {q.isPending && <Loading what="vehicle positions" />}
      {q.isError && <ErrorBox error={q.error} what="Vehicle positions" />}
      {q.data && (
        <p className="muted">{shown} vehicles with a GPS fix; colour = health band, larger circles are clusters (click to zoom).</p>
      )}
      <div ref={box} className="map" role="application" aria-label="Map of the fleet" />
    </>
  );
}
