/**
 * The portal's only way to the server: the public `/v1` API on the same origin, JSON in and out.
 * The session token lives in this module's memory only (never in storage or a cookie), so a reload
 * logs the user out and an injected script finds nothing at rest. Errors come back as one typed
 * {@link ApiError} carrying the server's stable code, which pages turn into sentences.
 */
import type { Answer, ApiPath, MethodOf, OptionsArgs } from './apiTypes';

/** `{"error": {"code", "message"}}`, as every /v1 route answers a failure. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    /** The server's English detail, e.g. `body.odometerKm: …`: used to find the field, never shown alone. */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }

  /** The request field a VALIDATION_FAILED detail names (`body.expYear: …` → `expYear`), if any. */
  get field(): string | null {
    const match = /^body\.([A-Za-z]+)/.exec(this.detail);
    return match?.[1] ?? null;
  }
}

let token: string | null = null;
const listeners = new Set<(signedIn: boolean) => void>();

/** Keep the session token (in memory) after a login, enrollment or recovery; `null` forgets it. */
export function setSessionToken(value: string | null): void {
  token = value;
  for (const listener of listeners) listener(value !== null);
}

export function hasSession(): boolean {
  return token !== null;
}

/** Called when the session starts or ends (an expired session answers 401 and ends it here). */
export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Call a route of the API by its name in docs/openapi.json, with its path parameters, query and
 * body checked against the description; resolves with the answer's JSON (`undefined` for 204),
 * rejects with {@link ApiError}.
 * @example const { keys } = await api('get', '/v1/vehicles/{vin}/keys', { params: { vin } });
 */
export async function api<P extends ApiPath, M extends MethodOf<P>>(method: M, route: P, ...[options]: OptionsArgs<P, M>): Promise<Answer<P, M>> {
  const { params, query, body } = (options ?? {}) as { params?: Record<string, string>; query?: Record<string, string>; body?: unknown };
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new TypeError(`${route} needs its ${name}`);
    return encodeURIComponent(value);
  });
  const search = query ? `?${new URLSearchParams(query)}` : '';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path + search, { method: method.toUpperCase(), headers, body: body === undefined ? null : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError('NETWORK', 0, 'the server could not be reached');
  }
  const json: unknown = res.status === 204 ? undefined : await res.json().catch(() => null);
  if (!res.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : 'INTERNAL_ERROR';
    // A session that expired or was ended elsewhere: forget it, the app shows the login.
    if (res.status === 401 && token && code === 'UNAUTHENTICATED') setSessionToken(null);
    throw new ApiError(code, res.status, typeof error?.message === 'string' ? error.message : '');
  }
  // The server validates its answers against the same description (docs/openapi.json).
  return json as Answer<P, M>;
}

/**
 * Fetch a non-JSON answer of the API (e.g. a CSV export) with the session, as a Blob to save; a
 * failure rejects with {@link ApiError} like {@link api}.
 * @example const csv = await download(`/v1/dealer/vehicles/${vin}/audit/export`);
 */
export async function download(path: string): Promise<Blob> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let res: Response;
  try {
    res = await fetch(path, { headers, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError('NETWORK', 0, 'the server could not be reached');
  }
  if (!res.ok) {
    const json = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
    const code = typeof json?.error?.code === 'string' ? json.error.code : 'INTERNAL_ERROR';
    throw new ApiError(code, res.status, typeof json?.error?.message === 'string' ? json.error.message : '');
  }
  return res.blob();
}
