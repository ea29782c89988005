/**
 * The one error answer, `{"error": {"code", "message"}}` with the mapped status, for the lean API
 * path (`errorAnswer`) and as the Express error handler (`errorHandler`). 4xx show
 * our message; 5xx show a generic one and the details go to the log only (node-oidc-provider's
 * `expose = status < 500`), except STORE_UNAVAILABLE, which a caller may retry and so may know.
 * Failures of the body parser and the router (bad JSON, encodings, percent-encoding) are the
 * caller's fault: 4xx VALIDATION_FAILED, never a 500.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors/errorCode.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { httpStatus } from './httpStatus.js';
import { requestRecord } from './requestEdge.js';
import { sendJson } from './sendJson.js';

/** 5xx codes a caller is told about (with their own message), because they say whether to retry. */
const EXPOSED_SERVER_ERRORS = new Set<ErrorCode>(['STORE_UNAVAILABLE']);

/** The encoding error codes of node:zlib (gzip, deflate: Z_DATA_ERROR…; brotli: ERR_BROTLI_…, ERR__ERROR_…). */
const isZlibCode = (code: unknown) => typeof code === 'string' && /^(Z_|ERR_BROTLI|ERR__ERROR)/.test(code);

/**
 * Failures of the HTTP layer below our routes, all the caller's fault: the body parser (bad JSON, too
 * large, an unsupported charset or Content-Encoding, a body its Content-Encoding cannot decode) and
 * the router (a path whose percent-encoding does not decode). Never a 500, never an error log line.
 */
function fromHttpLayer(err: unknown): { error: DigitalKeyError; status: number } | null {
  if (typeof err !== 'object' || err === null) return null;
  const type = 'type' in err ? err.type : undefined;
  const status = 'status' in err ? err.status : undefined;
  const code = 'code' in err ? err.code : undefined;
  if (type === 'entity.parse.failed') return { error: new DigitalKeyError('VALIDATION_FAILED', 'the body is not valid JSON'), status: 400 };
  if (type === 'entity.too.large') return { error: new DigitalKeyError('VALIDATION_FAILED', 'the body is too large'), status: 413 };
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return { error: new DigitalKeyError('VALIDATION_FAILED', 'unsupported encoding'), status: 415 };
  if (status !== 400) return null;
  // The router's decodeURIComponent of a path parameter (e.g. /v1/vehicles/%E0%A4%A/keys).
  if (err instanceof URIError) return { error: new DigitalKeyError('VALIDATION_FAILED', 'the path is not valid percent-encoding'), status: 400 };
  if (isZlibCode(code)) return { error: new DigitalKeyError('VALIDATION_FAILED', 'the body does not decode with its Content-Encoding'), status: 400 };
  return null;
}

function classify(err: unknown): { error: DigitalKeyError; status: number; known: boolean } {
  const parsed = err instanceof DigitalKeyError ? { error: err, status: httpStatus(err.code) } : fromHttpLayer(err);
  return parsed ? { ...parsed, known: true } : { error: new DigitalKeyError('INTERNAL_ERROR', undefined, { cause: err }), status: 500, known: false };
}

function shownCode(error: DigitalKeyError, status: number): ErrorCode {
  return status < 500 || EXPOSED_SERVER_ERRORS.has(error.code) ? error.code : 'INTERNAL_ERROR';
}

/** The code a caller is shown for a thrown value (what the error handler answers with). */
export function publicErrorCode(err: unknown): ErrorCode {
  const { error, status } = classify(err);
  return shownCode(error, status);
}

/** The status and body that answer a thrown value; logged to `log` (the request's logger) as a refusal (4xx) or a failure (5xx). */
function errorAnswer(err: unknown, log: Logger | undefined): { status: number; body: { error: { code: ErrorCode; message: string; detail?: unknown } } } {
  const { error, status, known } = classify(err);
  if (status >= 500) log?.error({ err: known ? error : err, code: error.code }, 'request failed');
  else log?.info({ code: error.code, status }, 'request refused');
  const code = shownCode(error, status);
  // An exposed 5xx (STORE_UNAVAILABLE) keeps its own message: it may name the store that is away.
  const message = code === error.code ? error.message : ERROR_CODES[code].message;
  return { status, body: { error: { code, message, ...(status < 500 && error.detail ? { detail: error.detail } : {}) } } };
}

/**
 * Answer a thrown value on a plain node response: the one error answer, or — when the response had
 * already begun (a stream) — the connection cut, so the client sees a failure instead of waiting.
 * Returns the code the caller was shown.
 */
export function sendError(res: ServerResponse, err: unknown, log: Logger | undefined): ErrorCode {
  const { status, body } = errorAnswer(err, log);
  if (!res.headersSent) sendJson(res, status, body);
  else res.destroy();
  return body.error.code;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  sendError(res, err, requestRecord(req)?.log);
};
