/**
 * What the car says over BLE: exactly why a credential or an assertion was refused, and nothing
 * about the server or its own internals (those become INTERNAL_ERROR).
 */
import { describe, expect, it } from 'vitest';
import { bleResponseCode } from '../../../shared/ble/bleResponseCode.js';
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
];

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

  it('a code added to the enum later is hidden unless someone decides to show it', () => {
    expect(BLE_VISIBLE.length + HIDDEN.length).toBe(ALL.length);
    expect(ALL.every((code) => [...BLE_VISIBLE, 'INTERNAL_ERROR'].includes(bleResponseCode(code)))).toBe(true);
  });
});
