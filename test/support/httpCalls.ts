/** Small helpers for HTTP tests: raw calls that keep the status, and the error code of a failed call. */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';

export interface RawResponse {
  status: number;
  json: ({ error?: { code: string; message: string } } & Record<string, unknown>) | undefined;
  headers: Headers;
}

export async function rawCall(baseUrl: string, method: string, path: string, opts: { body?: string | object; token?: string | undefined } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as RawResponse['json']) : undefined, headers: res.headers };
}

/** The DigitalKeyError code a call failed with (fails the test if it succeeded). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DigitalKeyError) return err.code;
    throw err;
  }
  throw new Error('expected the call to fail');
}
