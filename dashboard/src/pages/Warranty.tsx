import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, apiUrl, post, ApiError } from '../api/client';
import { session, type User } from '../api/session';
import type { Claim, SimilarPast } from '../api/types';
import { ErrorBox, Loading, Section, fmtTime, Table } from '../components/ui';
import { Link } from '../router';

const COMPONENTS = ['engine_oil', 'cooling', 'dpf', 'scr_def', 'brakes', 'battery', 'transmission', 'tires'];
const REVIEWERS = ['admin', 'fleet_manager'];

export default function Warranty({ user }: { user: User }) {
  return (
    <>
      <h1>Warranty</h1>
      {REVIEWERS.includes(user.role) && (
        <Section title="Claims waiting for review">
          <Reviews />
        </Section>
      )}
      {user.role === 'owner' && (
        <Section title="File a claim">
          <FileClaim user={user} />
        </Section>
      )}
      <Section title={user.role === 'owner' ? 'My claims' : 'Claims'}>
        <ClaimList />
      </Section>
    </>
  );
}

function ClaimList() {
  const q = useQuery({ queryKey: ['claims'], queryFn: () => api<Claim[]>('warranty', '/v1/claims?limit=100') });
  if (q.isPending) return <Loading what="claims" />;
  if (q.isError) return <ErrorBox error={q.error} what="Claims" />;
  if (q.data.length === 0) return <p className="muted">No claims.</p>;
  return (
    <Table caption="Claims" columns={['Filed', 'Vehicle', 'Component', 'Status', 'Fraud score']}>
      {q.data.map((c) => (
        <tr key={c.id}>
          <td>{fmtTime(c.submitted_at)}</td>
          <td>
            <Link to={`/vehicles/${encodeURIComponent(c.vehicle_id)}`}>{c.vehicle_id}</Link>
          </td>
          <td>{c.component}</td>
          <td>{c.status.replace(/_/g, ' ')}</td>
          <td>{c.assessment ? c.assessment.score.toFixed(2) : '—'}</td>
        </tr>
      ))}
    </Table>
  );
}

async function openEvidence(id: string) {
  const token = await session.token();
  const r = await fetch(apiUrl('warranty', `/v1/claims/${id}/evidence.pdf`), { headers: { authorization: `Bearer ${token ?? ''}` } });
  if (!r.ok) throw new ApiError(r.status, `The evidence pack is not available (${r.status}).`);
  window.open(URL.createObjectURL(await r.blob()), '_blank');
}

function Reviews() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['claims', 'reviews'], queryFn: () => api<Claim[]>('warranty', '/v1/reviews?limit=50') });
  const [notes, setNotes] = useState<Record<string, string>>({});
  const decide = useMutation({
    mutationFn: ({ c, decision }: { c: Claim; decision: 'approve' | 'reject' }) =>
      post<Claim>('warranty', `/v1/claims/${c.id}/decision`, { decision, note: notes[c.id]?.trim() || `${decision}d from the dashboard` }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['claims'] }),
  });
  return (
    <>
      {decide.isError && <ErrorBox error={decide.error} what="The decision" failed />}
      {decide.isSuccess && <p role="status">Claim {decide.data.status.replace(/_/g, ' ')}.</p>}
      {q.isPending && <Loading what="the review queue" />}
      {q.isError && <ErrorBox error={q.error} what="The review queue" />}
      {q.data?.length === 0 && <p className="muted">No claim waits for review.</p>}
      {q.data?.map((c) => (
        <article key={c.id} className="claim" aria-label={`Claim on ${c.vehicle_id}`}>
          <h3>
            {c.vehicle_id} · {c.component} · failed {c.failure_date}
          </h3>
          <p>{c.description}</p>
          {c.assessment && (
            <>
              <p>
                <strong>Fraud score {c.assessment.score.toFixed(2)}</strong> (confidence {c.assessment.confidence.toFixed(2)}) ·
                recommendation: {c.assessment.recommendation.replace(/_/g, ' ')}
              </p>
              <div className="grid2">
                <div>
                  <h4>Fraud signals</h4>
                  <ul className="signals">
                    {c.assessment.signals.map((s) => (
                      <li key={s.name}>
                        <strong>{s.name.replace(/_/g, ' ')}</strong> ({s.value.toFixed(2)} × {s.weight.toFixed(2)}): {s.explanation}
                      </li>
                    ))}
                    {c.assessment.signals.length === 0 && <li>No fraud signal.</li>}
                  </ul>
                </div>
                <SimilarClaims id={c.id} />
              </div>
              {c.assessment.reasons.length > 0 && <p className="small muted">{c.assessment.reasons.join(' · ')}</p>}
            </>
          )}
          <label htmlFor={`note-${c.id}`}>Reviewer note</label>
          <input id={`note-${c.id}`} value={notes[c.id] ?? ''} onChange={(e) => setNotes({ ...notes, [c.id]: e.target.value })} />
          <div className="actions">
            <button type="button" disabled={decide.isPending} onClick={() => decide.mutate({ c, decision: 'approve' })}>
              Approve
            </button>
            <button
              type="button"
              className="secondary"
              disabled={decide.isPending}
              onClick={() => decide.mutate({ c, decision: 'reject' })}
            >
              Reject
            </button>
            <button type="button" className="secondary" onClick={() => void openEvidence(c.id).catch((e: Error) => alert(e.message))}>
              Evidence PDF
            </button>
          </div>
        </article>
      ))}
    </>
  );
}

// The past claims the analysis found most alike (text and features), with how each ended.
function SimilarClaims({ id }: { id: string }) {
  const q = useQuery({ queryKey: ['claims', 'similar', id], queryFn: () => api<SimilarPast[]>('warranty', `/v1/claims/${id}/similar`) });
  return (
    <div>
      <h4>Similar past claims</h4>
      {q.isPending && <Loading what="similar claims" />}
      {q.isError && <ErrorBox error={q.error} what="Similar claims" />}
      {q.data?.length === 0 && <p className="muted small">None found.</p>}
      {q.data && q.data.length > 0 && (
        <ul className="signals" aria-label="Similar past claims">
          {q.data.map((h) => (
            <li key={h.claim_id}>
              <strong>{(h.similarity * 100).toFixed(0)} % similar</strong>: {h.vehicle_id ?? 'a claim no longer on record'}
              {h.component ? ` · ${h.component}` : ''}
              {h.failure_date ? ` · failed ${h.failure_date}` : ''} · {h.outcome ? h.outcome.replace(/_/g, ' ') : 'undecided'}
              {h.fraud_confirmed && <strong> · fraud confirmed</strong>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function FileClaim({ user }: { user: User }) {
  const qc = useQueryClient();
  const [vehicle, setVehicle] = useState(user.vehicle_ids[0] ?? '');
  const [f, setF] = useState({
    vin: '',
    component: 'cooling',
    failure_date: new Date().toISOString().slice(0, 10),
    odometer_km: '',
    description: '',
    shop: '',
    parts: '',
    labour: '',
  });
  const [files, setFiles] = useState<FileList | null>(null);
  const field = (k: keyof typeof f) => ({
    value: f[k],
    onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }),
  });
  const file = useMutation({
    mutationFn: async () => {
      const claim = {
        vehicle_id: vehicle,
        vin: f.vin.trim().toUpperCase(),
        component: f.component,
        failure_date: f.failure_date,
        odometer_km: Number(f.odometer_km),
        description: f.description,
        shop: { id: f.shop.trim().toUpperCase().replace(/\W+/g, '-') || 'SHOP', name: f.shop.trim(), region: 'US' },
        cost: {
          parts: [{ part: `${f.component}_part`, quantity: 1, unit_price: Number(f.parts) || 0 }],
          labour_hours: Number(f.labour) || 0,
          labour_rate: 100,
          currency: 'USD',
        },
      };
      const form = new FormData();
      form.append('claim', new Blob([JSON.stringify(claim)], { type: 'application/json' }));
      for (const doc of Array.from(files ?? [])) form.append('document', doc);
      return api<Claim>('warranty', '/v1/claims', { method: 'POST', body: form, headers: { 'idempotency-key': crypto.randomUUID() } });
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['claims'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    file.mutate();
  };
  return (
    <form className="form" onSubmit={submit} aria-label="File a warranty claim">
      <label htmlFor="c-vehicle">Vehicle</label>
      <select id="c-vehicle" value={vehicle} onChange={(e) => setVehicle(e.target.value)} required>
        {user.vehicle_ids.map((v) => (
          <option key={v}>{v}</option>
        ))}
      </select>
      <label htmlFor="c-vin">VIN (17 characters)</label>
      <input id="c-vin" required minLength={17} maxLength={17} {...field('vin')} />
      <label htmlFor="c-component">Failed component</label>
      <select id="c-component" {...field('component')}>
        {COMPONENTS.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
      <label htmlFor="c-date">Failure date</label>
      <input id="c-date" type="date" required {...field('failure_date')} />
      <label htmlFor="c-odo">Odometer at failure (km)</label>
      <input id="c-odo" type="number" min={0} required {...field('odometer_km')} />
      <label htmlFor="c-desc">What happened</label>
      <textarea id="c-desc" required maxLength={5000} {...field('description')} />
      <label htmlFor="c-shop">Repair shop</label>
      <input id="c-shop" required {...field('shop')} />
      <label htmlFor="c-parts">Parts cost (USD)</label>
      <input id="c-parts" type="number" min={0} required {...field('parts')} />
      <label htmlFor="c-labour">Labour hours</label>
      <input id="c-labour" type="number" min={0} step="0.5" required {...field('labour')} />
      <label htmlFor="c-docs">Invoice and photos (PDF, JPEG, PNG)</label>
      <input id="c-docs" type="file" multiple accept="application/pdf,image/jpeg,image/png" onChange={(e) => setFiles(e.target.files)} />
      {file.isError && <ErrorBox error={file.error} what="Filing the claim" failed />}
      {file.isSuccess && (
        <p role="status">
          Claim filed: {file.data.status.replace(/_/g, ' ')}
          {file.data.assessment ? ` (fraud score ${file.data.assessment.score.toFixed(2)})` : ''}.
        </p>
      )}
      <button type="submit" disabled={file.isPending}>
        {file.isPending ? 'Filing…' : 'File the claim'}
      </button>
    </form>
  );
}
