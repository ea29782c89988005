/**
 * The one mapping from error codes to what the vehicle says over BLE: a number in the Response's
 * `code` field (protocol.md, "Response codes"). The car says exactly why a credential or an
 * assertion was refused (the phone needs it to refresh or re-authenticate), but nothing about its
 * internals: server-side and unexpected codes become INTERNAL_ERROR. The table is typed complete
 * (`satisfies Record<ErrorCode, …>`): a new code does not compile until someone decides whether
 * the car may say it, and under which number. Numbers are stable: never renumber or reuse one.
 */
import { isErrorCode, type ErrorCode } from '../errors/errorCode.js';

/** The wire number of `OK`. */
export const OK_CODE = 0;
const INTERNAL = 'internal';

const ON_AIR = {
  BAD_FRAME: 1,
  BAD_MESSAGE: 2,
  UNSUPPORTED_VERSION: 3,
  UNKNOWN_COMMAND: 4,
  UNKNOWN_NONCE: 5,
  BAD_SIGNATURE: 6,
  BAD_CREDENTIAL: 7,
  BAD_STATE: 8,
  WRONG_VEHICLE: 9,
  NOT_YET_VALID: 10,
  EXPIRED: 11,
  REVOKED: 12,
  EPOCH_STALE: 13,
  PERMISSION_DENIED: 14,
  BAD_ASSERTION: 15,
  USER_NOT_VERIFIED: 16,
  COUNTER_REGRESSION: 17,
  CREDENTIAL_UNKNOWN: 18,
  INTERNAL_ERROR: 31,
  // The phone's own verdict on an answer; a car never says it.
  RESPONSE_UNVERIFIED: INTERNAL,
  VALIDATION_FAILED: INTERNAL,
  REGISTRATION_FAILED: INTERNAL,
  AUTHENTICATION_FAILED: INTERNAL,
  CHALLENGE_EXPIRED: INTERNAL,
  UNAUTHENTICATED: INTERNAL,
  FORBIDDEN: INTERNAL,
  PASSKEY_DISABLED: INTERNAL,
  NOT_FOUND: INTERNAL,
  ACCOUNT_EXISTS: INTERNAL,
  VEHICLE_NOT_FOUND: INTERNAL,
  VEHICLE_EXISTS: INTERNAL,
  PASSKEY_NOT_FOUND: INTERNAL,
  KEY_NOT_FOUND: INTERNAL,
  KEY_EXISTS: INTERNAL,
  TERMS_NOT_ACCEPTED: INTERNAL,
  CLAIM_REJECTED: INTERNAL,
  NOT_MAIN_USER: INTERNAL,
  STANDARD_SERVICES_INACTIVE: INTERNAL,
  SUBSCRIPTION_INACTIVE: INTERNAL,
  SUBSCRIPTION_EXISTS: INTERNAL,
  TRIAL_UNAVAILABLE: INTERNAL,
  PAYMENT_FAILED: INTERNAL,
  CARD_NOT_FOUND: INTERNAL,
  CARD_IN_USE: INTERNAL,
  PAYMENT_METHOD_REQUIRED: INTERNAL,
  WITHDRAWAL_UNAVAILABLE: INTERNAL,
  INVITATION_INVALID: INTERNAL,
  EMAIL_NOT_VERIFIED: INTERNAL,
  VERIFICATION_INVALID: INTERNAL,
  RECOVERY_INVALID: INTERNAL,
  PRESENCE_REQUIRED: INTERNAL,
  LAST_PASSKEY: INTERNAL,
  SHARED_KEY_LIMIT: INTERNAL,
  CONFLICT: INTERNAL,
  RATE_LIMITED: INTERNAL,
  TIMEOUT: INTERNAL,
  STORE_UNAVAILABLE: INTERNAL,
  CORRUPT_RECORD: INTERNAL,
} as const satisfies Record<ErrorCode, number | typeof INTERNAL>;

/** The code as the car may say it: itself, or INTERNAL_ERROR for what stays inside. */
export function bleResponseCode(code: ErrorCode): ErrorCode {
  return ON_AIR[code] === INTERNAL ? 'INTERNAL_ERROR' : code;
}

/** The wire number of a code the car says (OK included). */
export function bleCodeNumber(code: ErrorCode | 'OK'): number {
  if (code === 'OK') return OK_CODE;
  const n = ON_AIR[bleResponseCode(code)];
  return n === INTERNAL ? ON_AIR.INTERNAL_ERROR : n;
}

const BY_NUMBER = new Map<number, ErrorCode | 'OK'>([[OK_CODE, 'OK']]);
for (const [code, n] of Object.entries(ON_AIR)) {
  if (typeof n === 'number' && isErrorCode(code)) BY_NUMBER.set(n, code);
}

/** The code a wire number stands for, or undefined for a number no version defines. */
export function bleCodeOfNumber(n: number): ErrorCode | 'OK' | undefined {
  return BY_NUMBER.get(n);
}
