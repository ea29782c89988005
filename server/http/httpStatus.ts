/**
 * The one mapping from error codes to HTTP statuses. It is typed complete (`satisfies
 * Record<ErrorCode, number>`): a code added to shared/errors/errorCode.ts does not compile until
 * someone decides its status here.
 */
import type { ErrorCode } from '../../shared/errors/errorCode.js';

const STATUS = {
  VALIDATION_FAILED: 400,
  BAD_MESSAGE: 400,
  BAD_CREDENTIAL: 400,
  REGISTRATION_FAILED: 400,
  CHALLENGE_EXPIRED: 400,
  TERMS_NOT_ACCEPTED: 400,
  UNAUTHENTICATED: 401,
  AUTHENTICATION_FAILED: 401,
  BAD_SIGNATURE: 401,
  EXPIRED: 401,
  USER_NOT_VERIFIED: 401,
  BAD_ASSERTION: 401,
  COUNTER_REGRESSION: 401,
  PASSKEY_DISABLED: 403,
  FORBIDDEN: 403,
  NOT_MAIN_USER: 403,
  PERMISSION_DENIED: 403,
  CLAIM_REJECTED: 403,
  PAYMENT_FAILED: 402,
  NOT_FOUND: 404,
  VEHICLE_NOT_FOUND: 404,
  PASSKEY_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  CARD_NOT_FOUND: 404,
  INVITATION_INVALID: 410,
  VERIFICATION_INVALID: 410,
  RECOVERY_INVALID: 410,
  EMAIL_NOT_VERIFIED: 403,
  PRESENCE_REQUIRED: 403,
  LAST_PASSKEY: 409,
  ACCOUNT_EXISTS: 409,
  VEHICLE_EXISTS: 409,
  KEY_EXISTS: 409,
  REVOKED: 409,
  // A key whose window starts more than CREDENTIAL_TTL ahead: its credential is asked for later.
  NOT_YET_VALID: 409,
  EPOCH_STALE: 409,
  CONFLICT: 409,
  SUBSCRIPTION_EXISTS: 409,
  TRIAL_UNAVAILABLE: 409,
  SHARED_KEY_LIMIT: 409,
  CARD_IN_USE: 409,
  PAYMENT_METHOD_REQUIRED: 409,
  WITHDRAWAL_UNAVAILABLE: 409,
  STANDARD_SERVICES_INACTIVE: 409,
  SUBSCRIPTION_INACTIVE: 409,
  RATE_LIMITED: 429,
  STORE_UNAVAILABLE: 503,
  TIMEOUT: 504,
  // The car's own codes never reach an HTTP caller from the server; should one arrive (a bug), it is
  // the server's fault, not the caller's.
  BAD_FRAME: 500,
  UNSUPPORTED_VERSION: 500,
  UNKNOWN_COMMAND: 500,
  UNKNOWN_NONCE: 500,
  CREDENTIAL_UNKNOWN: 500,
  RESPONSE_UNVERIFIED: 500,
  BAD_STATE: 500,
  WRONG_VEHICLE: 500,
  CORRUPT_RECORD: 500,
  INTERNAL_ERROR: 500,
} as const satisfies Record<ErrorCode, number>;

export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}
