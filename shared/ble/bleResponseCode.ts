/**
 * The one mapping from error codes to what the vehicle says over BLE. The car says exactly why a
 * credential or an assertion was refused (the phone needs it to refresh or re-authenticate), but
 * nothing about its internals: server-side and unexpected codes become INTERNAL_ERROR.
 */
import type { ErrorCode } from '../errors/errorCode.js';

const BLE_VISIBLE = new Set<ErrorCode>([
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
]);

export function bleResponseCode(code: ErrorCode): ErrorCode {
  return BLE_VISIBLE.has(code) ? code : 'INTERNAL_ERROR';
}
