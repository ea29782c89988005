/**
 * The phone app's HTTP client for the key-issuance API. Errors come back as DigitalKeyError with
 * the server's code (and the HTTP status in `detail.status`), so the app reacts to codes, not text.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isErrorCode } from '../../shared/errors/errorCode.js';

/** What the phone needs from an HTTP client of the key-issuance API (so a generated, typed client can replace this one). */
export interface KeyIssuanceApi {
  /** The session token after a login or enrollment. */
  token: string | null;
  request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';

export class ApiClient implements KeyIssuanceApi {
  /** The session token after a login or enrollment. */
  token: string | null = null;

  constructor(readonly baseUrl: string) {}

  async request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new DigitalKeyError('STORE_UNAVAILABLE', 'the server is not reachable', { cause: err, detail: { status: 0 } });
    }
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = isErrorCode(error?.code) ? error.code : 'INTERNAL_ERROR';
      throw new DigitalKeyError(code, typeof error?.message === 'string' ? error.message : undefined, { detail: { status: res.status } });
    }
    return json as T;
  }
}
