/**
 * Write a JSON answer on a plain node response, as Express's `res.status(s).json(body)` wrote it:
 * `application/json; charset=utf-8` and a Content-Length (node leaves the body out for HEAD).
 */
import type { ServerResponse } from 'node:http';

/** @example sendJson(res, 201, { keyId }) */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
