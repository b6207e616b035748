// Every call goes to this origin: analytics' own API at /v1/..., the other services'
// at /api/<service>/v1/... (ADR 0022), with the session's token.
import { session } from './session';

export type Service = 'analytics' | 'ingestion' | 'health' | 'agent' | 'alert' | 'scheduling' | 'warranty';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiUrl(service: Service, path: string): string {
  return service === 'analytics' ? path : `/api/${service}${path}`;
}

/// The words a person reads for a failed call.
function explain(status: number, body: unknown, service: Service): string {
  const m = typeof body === 'object' && body && 'message' in body ? String((body as { message: unknown }).message) : '';
  switch (status) {
    case 401:
      return 'Your session has expired. Please log in again.';
    case 403:
      return `You are not allowed to do this${m ? `: ${m}` : '.'}`;
    case 404:
      return m ? `Not found: ${m}` : 'Not found.';
    case 502:
    case 503:
    case 504:
      return `The ${service} service is unavailable right now${m ? ` (${m})` : ''}. Try again shortly.`;
    default:
      return m || `The ${service} service answered ${status}.`;
  }
}

export async function api<T>(service: Service, path: string, init: RequestInit = {}): Promise<T> {
  const call = async (token: string | null) => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (init.body && typeof init.body === 'string' && !headers.has('content-type')) {
      headers.set('content-type', 'application/json');
    }
    return fetch(apiUrl(service, path), { ...init, headers }).catch(() => null);
  };
  let r = await call(await session.token());
  if (r?.status === 401 && (await session.refresh())) r = await call(await session.token());
  if (!r) throw new ApiError(0, 'The platform cannot be reached. Check the connection; we will retry.');
  if (r.status === 401) {
    session.expire();
    throw new ApiError(401, explain(401, null, service));
  }
  const text = await r.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!r.ok) throw new ApiError(r.status, explain(r.status, body, service));
  return body as T;
}

export const post = <T>(service: Service, path: string, body?: unknown) =>
  api<T>(service, path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
