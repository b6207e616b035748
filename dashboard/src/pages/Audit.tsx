import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { ErrorBox, Loading, fmtTime, Table } from '../components/ui';

interface Entry {
  entry_id: string;
  seq: number;
  kind: string;
  event_type?: string | null;
  actor?: string | null;
  actor_role?: string | null;
  vehicle_id?: string | null;
  occurred_at: string;
  summary: string;
}

export default function Audit() {
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const list = useQuery({
    queryKey: ['audit', q],
    queryFn: () => api<{ entries: Entry[] }>('analytics', `/v1/audit?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`),
  });
  const verify = useMutation({
    mutationFn: () => api<{ ok: boolean; checked: number; chains: unknown[] }>('analytics', '/v1/audit/verify'),
  });
  const search = (e: FormEvent) => {
    e.preventDefault();
    setQ(text.trim());
  };
  return (
    <>
      <h1>Audit log</h1>
      <form className="filters" onSubmit={search} role="search">
        <label htmlFor="audit-q">Search</label>
        <input id="audit-q" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit">Search</button>
        <button type="button" className="secondary" onClick={() => verify.mutate()} disabled={verify.isPending}>
          Verify the chain
        </button>
      </form>
      {verify.isError && <ErrorBox error={verify.error} what="Verification" failed />}
      {verify.data && (
        <p role="status" className={verify.data.ok ? 'ok' : 'error'}>
          {verify.data.ok ? 'Intact' : 'BROKEN'}: {verify.data.checked} entries in {verify.data.chains.length} chains checked.
        </p>
      )}
      {list.isPending && <Loading what="the audit log" />}
      {list.isError && <ErrorBox error={list.error} what="The audit log" />}
      {list.data && (
        <Table caption="Audit entries" columns={['#', 'When', 'What', 'Who']}>
          {list.data.entries.map((e) => (
            <tr key={e.entry_id}>
              <td>{e.seq}</td>
              <td>{fmtTime(e.occurred_at)}</td>
              <td>{e.summary}</td>
              <td className="small">{e.actor ? `${e.actor} (${e.actor_role ?? ''})` : (e.event_type ?? e.kind)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
