/** The one typed error: stable codes, retry and may-have-succeeded hints, foreign errors wrapped. */
import { describe, expect, it } from 'vitest';
import { DigitalKeyError, asDigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { ERROR_CODES, isErrorCode } from '../../../shared/errors/errorCode.js';

describe('DigitalKeyError', () => {
  it('carries its code, the code\'s default message, detail and cause', () => {
    const cause = new Error('jose said no');
    const err = new DigitalKeyError('EXPIRED', undefined, { cause, detail: { exp: 1 } });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DigitalKeyError');
    expect(err.code).toBe('EXPIRED');
    expect(err.message).toBe(ERROR_CODES.EXPIRED.message);
    expect(err.detail).toEqual({ exp: 1 });
    expect(err.cause).toBe(cause);
  });

  it('says whether a retry is safe and whether the effect may have happened', () => {
    expect(new DigitalKeyError('UNKNOWN_NONCE').temporary).toBe(true);
    expect(new DigitalKeyError('BAD_SIGNATURE').temporary).toBe(false);
    expect(new DigitalKeyError('TIMEOUT').mayHaveSucceeded).toBe(true);
    expect(new DigitalKeyError('TIMEOUT').temporary).toBe(false); // a timed-out unlock is never blindly retried
    expect(new DigitalKeyError('BAD_FRAME').mayHaveSucceeded).toBe(false);
  });

  it('asDigitalKeyError keeps ours and wraps anything else as INTERNAL_ERROR', () => {
    const ours = new DigitalKeyError('REVOKED');
    expect(asDigitalKeyError(ours)).toBe(ours);
    const wrapped = asDigitalKeyError(new TypeError('boom'));
    expect(wrapped.code).toBe('INTERNAL_ERROR');
    expect(wrapped.message).not.toContain('boom');
    expect(asDigitalKeyError('a string').code).toBe('INTERNAL_ERROR');
  });

  it.each([['EXPIRED', true], ['OK', false], ['toString', false], ['constructor', false], ['expired', false], [42, false]])(
    'isErrorCode(%j) is %s',
    (value, expected) => {
      expect(isErrorCode(value)).toBe(expected);
    },
  );
});
