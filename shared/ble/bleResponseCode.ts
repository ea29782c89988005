/**
 * The one mapping from error codes to what the vehicle says over BLE. The car says exactly why a
 * credential or an assertion was refused (the phone needs it to refresh or re-authenticate), but
 * nothing about its internals: server-side and unexpected codes become INTERNAL_ERROR. The table is
 * typed complete (`satisfies Record<ErrorCode, …>`): a new code does not compile until someone
 * decides whether the car may say it.
 */
import type { ErrorCode } from '../errors/errorCode.js';

type Shown = 'shown' | 'internal';

const ON_AIR = {
  BAD_FRAME: 'shown',
  BAD_MESSAGE: 'shown',
  UNSUPPORTED_VERSION: 'shown',
  UNKNOWN_COMMAND: 'shown',
  UNKNOWN_NONCE: 'shown',
  BAD_SIGNATURE: 'shown',
  BAD_CREDENTIAL: 'shown',
  BAD_STATE: 'shown',
  WRONG_VEHICLE: 'shown',
  NOT_YET_VALID: 'shown',
  EXPIRED: 'shown',
  REVOKED: 'shown',
  EPOCH_STALE: 'shown',
  PERMISSION_DENIED: 'shown',
  BAD_ASSERTION: 'shown',
  USER_NOT_VERIFIED: 'shown',
  COUNTER_REGRESSION: 'shown',
  VALIDATION_FAILED: 'internal',
  REGISTRATION_FAILED: 'internal',
  AUTHENTICATION_FAILED: 'internal',
  CHALLENGE_EXPIRED: 'internal',
  UNAUTHENTICATED: 'internal',
  FORBIDDEN: 'internal',
  PASSKEY_DISABLED: 'internal',
  NOT_FOUND: 'internal',
  ACCOUNT_EXISTS: 'internal',
  VEHICLE_NOT_FOUND: 'internal',
  VEHICLE_EXISTS: 'internal',
  PASSKEY_NOT_FOUND: 'internal',
  KEY_NOT_FOUND: 'internal',
  KEY_EXISTS: 'internal',
  TERMS_NOT_ACCEPTED: 'internal',
  CLAIM_REJECTED: 'internal',
  NOT_MAIN_USER: 'internal',
  STANDARD_SERVICES_INACTIVE: 'internal',
  SUBSCRIPTION_INACTIVE: 'internal',
  SUBSCRIPTION_EXISTS: 'internal',
  TRIAL_UNAVAILABLE: 'internal',
  PAYMENT_FAILED: 'internal',
  CARD_NOT_FOUND: 'internal',
  CARD_IN_USE: 'internal',
  PAYMENT_METHOD_REQUIRED: 'internal',
  WITHDRAWAL_UNAVAILABLE: 'internal',
  INVITATION_INVALID: 'internal',
  EMAIL_NOT_VERIFIED: 'internal',
  VERIFICATION_INVALID: 'internal',
  RECOVERY_INVALID: 'internal',
  PRESENCE_REQUIRED: 'internal',
  LAST_PASSKEY: 'internal',
  SHARED_KEY_LIMIT: 'internal',
  CONFLICT: 'internal',
  RATE_LIMITED: 'internal',
  TIMEOUT: 'internal',
  STORE_UNAVAILABLE: 'internal',
  CORRUPT_RECORD: 'internal',
  INTERNAL_ERROR: 'internal',
} as const satisfies Record<ErrorCode, Shown>;

export function bleResponseCode(code: ErrorCode): ErrorCode {
  return ON_AIR[code] === 'shown' ? code : 'INTERNAL_ERROR';
}
