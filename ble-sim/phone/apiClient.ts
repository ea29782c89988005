/**
 * The phone app's HTTP client for the key-issuance API: `openapi-fetch` over the types generated from
 * the published OpenAPI document (generatedApiTypes.ts, `npm run api:generate`), so every path,
 * parameter, body and answer is checked against the server's contract at compile time. Errors come
 * back as DigitalKeyError with the server's code (and the HTTP status in `detail.status`), so the app
 * reacts to codes, not text.
 *
 * @example
 * const api = new ApiClient('https://keys.example.org');
 * const { challengeId, options } = await api.call(api.typed.POST('/v1/sessions/options', { body: {} }));
 */
import createClient, { type Client } from 'openapi-fetch';
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isErrorCode } from '../../shared/errors/errorCode.js';
import type { paths } from './generatedApiTypes.js';

const TIMEOUT_MS = 10_000;

/** The error body the server sends (`{ error: { code, message } }`); code and message are checked where used. */
const errorBodySchema = z.object({ error: z.object({ code: z.unknown(), message: z.unknown() }) });

/** A failed answer as the app sees it: the server's code when it sent one. */
function errorFrom(status: number, body: unknown): DigitalKeyError {
  const parsed = errorBodySchema.safeParse(body);
  const error = parsed.success ? parsed.data.error : undefined;
  const code = isErrorCode(error?.code) ? error.code : 'INTERNAL_ERROR';
  return new DigitalKeyError(code, typeof error?.message === 'string' ? error.message : undefined, { detail: { status } });
}

function unreachable(err: unknown): DigitalKeyError {
  return new DigitalKeyError('STORE_UNAVAILABLE', 'the server is not reachable', { cause: err, detail: { status: 0 } });
}

/**
 * What a typed call resolves to (openapi-fetch's FetchResponse): the body as `data` when the status is
 * 2xx, else the error body as `error` — openapi-fetch sets exactly one of the two members.
 */
export type TypedAnswer<T> = { data: T; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/** What the phone needs from an HTTP client of the key-issuance API (so a generated, typed client can replace this one). */
export interface KeyIssuanceApi {
  /** The session token after a login or enrollment. */
  token: string | null;
  request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
  /** The typed client generated from the OpenAPI document. */
  readonly typed: Client<paths>;
  /** The answer of a typed call, or its error as a DigitalKeyError. */
  call<T>(pending: Promise<TypedAnswer<T>>): Promise<T>;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';

export class ApiClient implements KeyIssuanceApi {
  /** The session token after a login or enrollment; sent as a Bearer token on every call. */
  token: string | null = null;
  /** The typed client: one method per HTTP verb, paths and bodies from the OpenAPI document. */
  readonly typed: Client<paths>;

  constructor(readonly baseUrl: string) {
    this.typed = createClient<paths>({
      baseUrl: baseUrl.replace(/\/+$/, ''),
      fetch: (request) => fetch(request, { signal: AbortSignal.timeout(TIMEOUT_MS) }),
    });
    this.typed.use({
      onRequest: ({ request }) => {
        if (this.token) request.headers.set('authorization', `Bearer ${this.token}`);
        return request;
      },
    });
  }

  /** The answer of a typed call, or its error as a DigitalKeyError (STORE_UNAVAILABLE when the server is not reachable). */
  async call<T>(pending: Promise<TypedAnswer<T>>): Promise<T> {
    let answer: TypedAnswer<T>;
    try {
      answer = await pending;
    } catch (err) {
      throw unreachable(err);
    }
    if (!answer.response.ok || 'error' in answer) throw errorFrom(answer.response.status, answer.error);
    return answer.data;
  }

  /**
   * An untyped call, for tools and tests that send what the contract does not describe (a wrong
   * body, an unknown path). The app itself uses `typed`.
   */
  async request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw unreachable(err);
    }
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw errorFrom(res.status, json);
    return json as T;
  }
}
