// The human in the loop: decisions the agent escalated (confidence under 0.7) wait
// here for a fleet manager, who confirms them or overrides severity and diagnosis with
// a note. An override becomes the vehicle's current decision: alerts and scheduling
// follow it (agent `POST /v1/reviews/{id}/override`).
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, post } from '../api/client';
import type { Decision } from '../api/types';
import { ErrorBox, Loading, Severity, fmtTime } from '../components/ui';
import { Link } from '../router';

export interface Review {
  decision_id: string;
  vehicle_id: string;
  component: string;
  severity: string;
  confidence: number;
  reason: string;
  status: string;
  created_at: string;
  due_at: string;
  overdue_at?: string | null;
}

interface ReviewDetail {
  review: Review;
  decision: Decision;
}

const SEVERITIES = ['low', 'medium', 'high', 'critical'];

export function ReviewQueue() {
  const q = useQuery({
    queryKey: ['reviews', 'open'],
    queryFn: () => api<{ reviews: Review[] }>('agent', '/v1/reviews?status=open&limit=50'),
    refetchInterval: 30_000,
  });
  const [done, setDone] = useState('');
  if (q.isPending) return <Loading what="the review queue" />;
  if (q.isError) return <ErrorBox error={q.error} what="The review queue" />;
  const reviews = q.data.reviews;
  return (
    <section className="card" aria-labelledby="review-h">
      <h2 id="review-h">Review queue ({reviews.length})</h2>
      <p className="muted">
        Decisions the agent was not sure of wait for a person: confirm one, or override its severity or diagnosis. An override becomes the
        vehicle's current decision, and alerts and bookings follow it.
      </p>
      {done && <p role="status">{done}</p>}
      {reviews.length === 0 && <p className="muted">Nothing waits for a review.</p>}
      <ul className="reviews">
        {reviews.map((r) => (
          <ReviewItem key={r.decision_id} review={r} onDone={setDone} />
        ))}
      </ul>
    </section>
  );
}

function ReviewItem({ review: r, onDone }: { review: Review; onDone: (what: string) => void }) {
  const overdue = r.overdue_at != null || Date.parse(r.due_at) < Date.now();
  return (
    <li aria-label={`Review of ${r.vehicle_id} ${r.component}`}>
      <details>
        <summary>
          <Severity severity={r.severity} /> {r.vehicle_id} · {r.component} · confidence {(Math.round(r.confidence * 100) / 100).toFixed(2)}{' '}
          · {overdue ? <strong>overdue since {fmtTime(r.due_at)}</strong> : `due by ${fmtTime(r.due_at)}`}
        </summary>
        <p className="small muted">
          Escalated {fmtTime(r.created_at)}: {r.reason} ·{' '}
          <Link to={`/vehicles/${encodeURIComponent(r.vehicle_id)}`}>vehicle {r.vehicle_id}</Link>
        </p>
        <ReviewBody review={r} onDone={onDone} />
      </details>
    </li>
  );
}

function ReviewBody({ review, onDone }: { review: Review; onDone: (what: string) => void }) {
  const { decision_id: id, severity } = review;
  const qc = useQueryClient();
  const detail = useQuery({ queryKey: ['reviews', id], queryFn: () => api<ReviewDetail>('agent', `/v1/reviews/${id}`) });
  const [note, setNote] = useState('');
  const [newSeverity, setNewSeverity] = useState(severity);
  const [diagnosis, setDiagnosis] = useState('');
  const act = useMutation({
    mutationFn: (how: 'confirm' | 'override') =>
      how === 'confirm'
        ? post<ReviewDetail>('agent', `/v1/reviews/${id}/confirm`, note.trim() ? { note: note.trim() } : {})
        : post<ReviewDetail>('agent', `/v1/reviews/${id}/override`, {
            note: note.trim(),
            ...(newSeverity !== severity ? { severity: newSeverity } : {}),
            ...(diagnosis.trim() ? { diagnosis: diagnosis.trim() } : {}),
          }),
    onSuccess: (done) => {
      onDone(`Reviewed ${review.vehicle_id} ${review.component}: ${done.review.status}.`);
      void qc.invalidateQueries({ queryKey: ['reviews'] });
      void qc.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
  if (detail.isPending) return <Loading what="the decision" />;
  if (detail.isError) return <ErrorBox error={detail.error} what="The decision" />;
  const d = detail.data.decision;
  const changes = newSeverity !== severity || diagnosis.trim() !== '';
  return (
    <div className="review-body">
      <p>
        <strong>{d.diagnosis}</strong>
      </p>
      <p>{d.reasoning}</p>
      <p className="small muted">
        Failure mode {d.failure_mode.replace(/_/g, ' ')} · act within {d.urgency_days} days
      </p>
      {act.isError && <ErrorBox error={act.error} what="The review" failed />}
      {!act.isSuccess && (
        <form aria-label={`Review decision ${id}`} onSubmit={(e) => e.preventDefault()}>
          <label>
            Severity{' '}
            <select value={newSeverity} onChange={(e) => setNewSeverity(e.target.value)}>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Diagnosis (to replace the agent's){' '}
            <input value={diagnosis} onChange={(e) => setDiagnosis(e.target.value)} minLength={10} maxLength={1000} />
          </label>
          <label>
            Note <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
          </label>
          <button type="button" disabled={act.isPending || changes} onClick={() => act.mutate('confirm')}>
            Confirm the agent's decision
          </button>
          <button type="button" disabled={act.isPending || !changes || note.trim() === ''} onClick={() => act.mutate('override')}>
            Override
          </button>
          {changes && note.trim() === '' && <span className="small muted"> An override needs a note saying why.</span>}
        </form>
      )}
    </div>
  );
}
