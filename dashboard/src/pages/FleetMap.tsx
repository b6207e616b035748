// The fleet on a map: Leaflet drawing the offline world-atlas country shapes (no tile
// server), vehicles as circles coloured by health and clustered per grid cell at low
// zoom. Positions: each vehicle's newest GPS fix (health, one call for the fleet).
import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import countries from 'world-atlas/countries-110m.json';
import { api } from '../api/client';
import { ErrorBox, Loading } from '../components/ui';
import { navigate } from '../router';

const BAND: Record<string, string> = { excellent: '#1b7a3a', good: '#5a8f29', fair: '#9a6b00', poor: '#c2410c', critical: '#b3261e' };

interface Pin {
  id: string;
  band: string;
  lat: number;
  lon: number;
}

interface Position {
  vehicle_id: string;
  overall_band?: string;
  lat: number;
  lon: number;
}

// Every vehicle's newest fix in one call (health's `/v1/fleet/positions`).
async function pins(): Promise<Pin[]> {
  const r = await api<{ vehicles: Position[] }>('health', '/v1/fleet/positions?limit=20000');
  return r.vehicles.map((v) => ({ id: v.vehicle_id, band: v.overall_band ?? 'unknown', lat: v.lat, lon: v.lon }));
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
    const pins = q.data;
    const draw = () => {
      layer.clearLayers();
      // Grid clustering: one circle per cell at low zoom, each vehicle when zoomed in.
      const cell = map.getZoom() >= 9 ? 0 : 40 / 2 ** map.getZoom();
      const groups = new Map<string, Pin[]>();
      for (const p of pins) {
        const key = cell ? `${Math.floor(p.lat / cell)}:${Math.floor(p.lon / cell)}` : p.id;
        const g = groups.get(key);
        if (g) g.push(p);
        else groups.set(key, [p]);
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
