import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function ErrorBox({ error, what, failed }: { error: unknown; what: string; failed?: boolean }) {
  const msg = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <strong>
        {what} {failed ? 'failed' : 'could not be loaded'}.
      </strong>{' '}
      {msg}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Kpi({ label, value, hint, title }: { label: string; value: ReactNode; hint?: string; title?: string }) {
  return (
    <div className="kpi" title={title}>
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
      {hint && <div className="kpi-hint">{hint}</div>}
    </div>
  );
}

export function Band({ band }: { band: string | null | undefined }) {
  const b = band ?? 'unknown';
  return <span className={`band band-${b}`}>{b}</span>;
}

export function Severity({ severity }: { severity: string }) {
  return <span className={`sev sev-${severity}`}>{severity}</span>;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = `h-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export const fmtDays = (d: number | null | undefined) =>
  d === null || d === undefined ? '—' : d >= 365 ? '> 1 year' : `${Math.round(d)} d`;
/// A RUL with its 80 % interval when there is one: "6 d (4–9 d)".
export const fmtRul = (d: number | null | undefined, low?: number | null, high?: number | null) =>
  low === null || low === undefined || high === null || high === undefined || d === null || d === undefined || d >= 365
    ? fmtDays(d)
    : `${fmtDays(d)} (${Math.round(low)}–${high >= 365 ? '365+' : Math.round(high)} d)`;
export const fmtTime = (t: string | null | undefined) => (t ? new Date(t).toLocaleString() : '—');
export const fmtPct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)} %`);

/// A table with an accessible name (its caption, read by screen readers only) and
/// column headers; `stack` lays each row out as a card on a phone.
export function Table({ caption, columns, stack, children }: { caption: string; columns: string[]; stack?: boolean; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className={stack ? 'stack' : undefined}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
