/**
 * The one Express error handler: `{"error": {"code", "message"}}` with the mapped status. 4xx show
 * our message; 5xx show a generic one and the details go to the log only (node-oidc-provider's
 * `expose = status < 500`). Body-parser failures are the caller's fault, never a 500.
 */
import type { ErrorRequestHandler } from 'express';
import { ERROR_CODES } from '../../shared/errors/errorCode.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { httpStatus } from './httpStatus.js';

function fromBodyParser(err: unknown): DigitalKeyError | null {
  if (typeof err !== 'object' || err === null || !('type' in err)) return null;
  const type = (err as { type: unknown }).type;
  if (type === 'entity.parse.failed') return new DigitalKeyError('VALIDATION_FAILED', 'the body is not valid JSON');
  if (type === 'entity.too.large') return new DigitalKeyError('VALIDATION_FAILED', 'the body is too large');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new DigitalKeyError('VALIDATION_FAILED', 'unsupported encoding');
  return null;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = err instanceof DigitalKeyError ? err : fromBodyParser(err);
  const error = known ?? new DigitalKeyError('INTERNAL_ERROR', undefined, { cause: err });
  const status = fromBodyParser(err) && (err as { type: string }).type === 'entity.too.large' ? 413 : httpStatus(error.code);
  if (status >= 500) req.log?.error({ err: known ? error : err, code: error.code }, 'request failed');
  else req.log?.info({ code: error.code, status }, 'request refused');
  if (res.headersSent) return;
  const message = status < 500 ? error.message : ERROR_CODES.INTERNAL_ERROR.message;
  res.status(status).json({ error: { code: status < 500 ? error.code : error.code === 'STORE_UNAVAILABLE' ? error.code : 'INTERNAL_ERROR', message, ...(status < 500 && error.detail ? { detail: error.detail } : {}) } });
};
