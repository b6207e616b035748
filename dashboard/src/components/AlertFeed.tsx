// The live alert feed: the open alerts, then alert events as they happen, read from
// the alert service's Server-Sent Events stream with the session's token in the
// Authorization header (fetch, not EventSource, which cannot send one).
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, apiUrl } from '../api/client';
import { session } from '../api/session';
import type { Alert } from '../api/types';
import { Link } from '../router';
import { ErrorBox, Loading, Severity, fmtTime } from './ui';

type Live = 'connecting' | 'live' | 'retrying';

export function useAlertStream(onEvent: (type: string) => void): Live {
  const [live, setLive] = useState<Live>('connecting');
  useEffect(() => {
    const stop = new AbortController();
    let lastId: string | null = null;
    const run = async () => {
      while (!stop.signal.aborted) {
        try {
          const token = await session.token();
          if (!token) return;
          const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
          if (lastId) headers['last-event-id'] = lastId;
          const r = await fetch(apiUrl('alert', '/v1/alerts/stream'), { headers, signal: stop.signal });
          if (!r.ok || !r.body) throw new Error(String(r.status));
          setLive('live');
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const type = /^event: ?(.*)$/m.exec(block)?.[1];
              const id = /^id: ?(.*)$/m.exec(block)?.[1];
              if (id) lastId = id;
              if (type) onEvent(type);
            }
          }
        } catch {
          if (stop.signal.aborted) return;
        }
        setLive('retrying');
        await new Promise((res) => setTimeout(res, 3000));
      }
    };
    void run();
    return () => stop.abort();
    // onEvent is stable enough: it only invalidates queries.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return live;
}

export function AlertFeed() {
  const qc = useQueryClient();
  const live = useAlertStream(() => void qc.invalidateQueries({ queryKey: ['alerts'] }));
  const q = useQuery({
    queryKey: ['alerts', 'feed'],
    queryFn: () => api<{ alerts: Alert[] }>('alert', '/v1/alerts?limit=15'),
  });
  return (
    <div>
      <p className="muted" aria-live="polite">
        {live === 'live' ? '● Live' : live === 'connecting' ? 'Connecting to the live feed…' : 'Live feed interrupted; reconnecting…'}
      </p>
      {q.isPending && <Loading what="alerts" />}
      {q.isError && <ErrorBox error={q.error} what="The alert feed" />}
      <ul className="feed">
        {q.data?.alerts.map((a) => (
          <li key={a.alert_id}>
            <Severity severity={a.severity} /> <Link to={`/vehicles/${encodeURIComponent(a.vehicle_id)}`}>{a.vehicle_id}</Link> {a.title}{' '}
            <span className="muted">
              · {a.status} · {fmtTime(a.created_at)}
            </span>
          </li>
        ))}
        {q.data?.alerts.length === 0 && <li className="muted">No alerts.</li>}
      </ul>
    </div>
  );
}
