/**
 * What the car says over BLE: exactly why a credential or an assertion was refused, and nothing
 * about the server or its own internals (those become INTERNAL_ERROR); and under which stable
 * number (protocol.md, "Response codes").
 */
import { describe, expect, it } from 'vitest';
import { bleCodeNumber, bleCodeOfNumber, bleResponseCode } from '../../../shared/ble/bleResponseCode.js';
import { ERROR_CODES, type ErrorCode } from '../../../shared/errors/errorCode.js';

/** The codes DESIGN.md §3 lets the vehicle report, plus the codec's own. */
const BLE_VISIBLE: ErrorCode[] = [
  'BAD_FRAME',
  'BAD_MESSAGE',
  'UNSUPPORTED_VERSION',
  'UNKNOWN_COMMAND',
  'UNKNOWN_NONCE',
  'BAD_SIGNATURE',
  'BAD_CREDENTIAL',
  'BAD_STATE',
  'WRONG_VEHICLE',
  'NOT_YET_VALID',
  'EXPIRED',
  'REVOKED',
  'EPOCH_STALE',
  'PERMISSION_DENIED',
  'BAD_ASSERTION',
  'USER_NOT_VERIFIED',
  'COUNTER_REGRESSION',
  'CREDENTIAL_UNKNOWN',
];

/** The wire numbers, pinned: a car and a phone built apart must agree on them forever. */
const NUMBERS: Record<string, number> = {
  OK: 0, BAD_FRAME: 1, BAD_MESSAGE: 2, UNSUPPORTED_VERSION: 3, UNKNOWN_COMMAND: 4, UNKNOWN_NONCE: 5, BAD_SIGNATURE: 6,
  BAD_CREDENTIAL: 7, BAD_STATE: 8, WRONG_VEHICLE: 9, NOT_YET_VALID: 10, EXPIRED: 11, REVOKED: 12, EPOCH_STALE: 13,
  PERMISSION_DENIED: 14, BAD_ASSERTION: 15, USER_NOT_VERIFIED: 16, COUNTER_REGRESSION: 17, CREDENTIAL_UNKNOWN: 18, INTERNAL_ERROR: 31,
};

const ALL = Object.keys(ERROR_CODES) as ErrorCode[];
const HIDDEN = ALL.filter((code) => !BLE_VISIBLE.includes(code));

describe('bleResponseCode', () => {
  it.each(BLE_VISIBLE)('%s is told to the phone as is', (code) => {
    expect(bleResponseCode(code)).toBe(code);
  });

  it.each(HIDDEN)('%s (server-side or internal) becomes INTERNAL_ERROR', (code) => {
    expect(bleResponseCode(code)).toBe('INTERNAL_ERROR');
  });

  it('hides the obvious server-only codes', () => {
    for (const code of ['STORE_UNAVAILABLE', 'ACCOUNT_EXISTS', 'SUBSCRIPTION_INACTIVE', 'PAYMENT_FAILED', 'FORBIDDEN', 'UNAUTHENTICATED', 'RATE_LIMITED', 'TIMEOUT'] as const) {
      expect(HIDDEN).toContain(code);
    }
  });

  it.each(Object.entries(NUMBERS))('%s travels as %i, and that number reads back as it', (code, n) => {
    expect(bleCodeNumber(code as ErrorCode | 'OK')).toBe(n);
    expect(bleCodeOfNumber(n)).toBe(code);
  });

  it('a hidden code travels as INTERNAL_ERROR\'s number; a number no version defines reads as nothing', () => {
    expect(bleCodeNumber('STORE_UNAVAILABLE')).toBe(31);
    expect(bleCodeNumber('RESPONSE_UNVERIFIED')).toBe(31);
    for (const n of [19, 30, 32, 255]) expect(bleCodeOfNumber(n)).toBeUndefined();
  });

  it('a code added to the enum later is hidden unless someone decides to show it', () => {
    expect(BLE_VISIBLE.length + HIDDEN.length).toBe(ALL.length);
    expect(ALL.every((code) => [...BLE_VISIBLE, 'INTERNAL_ERROR'].includes(bleResponseCode(code)))).toBe(true);
  });
});
