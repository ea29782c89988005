/**
 * The one typed error of the product. Everything that fails on purpose throws a DigitalKeyError
 * with a stable `code`; transports map the code (HTTP: server/http/httpStatus.ts, BLE:
 * shared/ble/bleResponseCode.ts) and never show a stack trace.
 */
import { ERROR_CODES, MAY_HAVE_SUCCEEDED, type ErrorCode } from './errorCode.js';

export class DigitalKeyError extends Error {
  override readonly name = 'DigitalKeyError';
  readonly code: ErrorCode;
  /** Extra machine-readable detail that is safe to show the caller (never secrets). */
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
  }

  /** The same request may be sent again unchanged. */
  get temporary(): boolean {
    return ERROR_CODES[this.code].retry;
  }

  /** The effect may already have happened (e.g. a timed-out unlock). */
  get mayHaveSucceeded(): boolean {
    return MAY_HAVE_SUCCEEDED.has(this.code);
  }
}

/** Narrow an unknown thrown value; anything that is not ours becomes INTERNAL_ERROR. */
export function asDigitalKeyError(err: unknown): DigitalKeyError {
  if (err instanceof DigitalKeyError) return err;
  return new DigitalKeyError('INTERNAL_ERROR', undefined, { cause: err });
}
