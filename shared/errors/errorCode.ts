/**
 * The one error-code vocabulary of Smart Digital Key, shared by the server (HTTP), the vehicle (BLE)
 * and the phone. Codes are stable API: add new ones, never rename or reuse one.
 *
 * `retry` says whether the same request may be sent again unchanged (vehicle-command's
 * `Temporary()`); `mayHaveSucceeded` warns that the effect may already have happened (a timed-out
 * unlock may have unlocked the car), so a phone must not blindly retry it.
 */
export const ERROR_CODES = {
  // --- input and protocol -------------------------------------------------------------------
  VALIDATION_FAILED: { retry: false, message: 'The request does not match its schema' },
  BAD_FRAME: { retry: false, message: 'The BLE frame is malformed, too long or incomplete' },
  BAD_MESSAGE: { retry: false, message: 'The message could not be decoded' },
  UNSUPPORTED_VERSION: { retry: false, message: 'The protocol version is not supported' },
  /** Reserved: in protocol v1 an unknown `cmd` fails the message schema and is BAD_MESSAGE. */
  UNKNOWN_COMMAND: { retry: false, message: 'The command is not known' },
  UNKNOWN_NONCE: { retry: true, message: 'The challenge is unknown, used or expired: read a new one' },
  CREDENTIAL_UNKNOWN: { retry: true, message: 'The car does not hold the credential this request refers to: send it whole' },
  RESPONSE_UNVERIFIED: { retry: false, message: "The car's answer does not carry a valid authentication: it may not come from the car" },
  // --- credentials --------------------------------------------------------------------------
  BAD_SIGNATURE: { retry: false, message: 'The signature does not verify with a trusted issuer key' },
  BAD_CREDENTIAL: { retry: false, message: 'The credential is malformed or of the wrong type' },
  BAD_STATE: { retry: false, message: 'The state manifest is malformed or not trusted' },
  WRONG_VEHICLE: { retry: false, message: 'The credential is for another vehicle' },
  NOT_YET_VALID: { retry: false, message: 'The credential is not valid yet' },
  EXPIRED: { retry: false, message: 'The credential has expired: refresh it online' },
  REVOKED: { retry: false, message: 'The key has been revoked' },
  EPOCH_STALE: { retry: false, message: 'Every key of this vehicle was wiped after this credential was issued' },
  PERMISSION_DENIED: { retry: false, message: 'The key does not allow this command' },
  // --- WebAuthn -----------------------------------------------------------------------------
  BAD_ASSERTION: { retry: false, message: 'The WebAuthn assertion does not verify' },
  USER_NOT_VERIFIED: { retry: false, message: 'The assertion lacks biometric user verification' },
  COUNTER_REGRESSION: { retry: false, message: 'The authenticator signature counter went backwards' },
  REGISTRATION_FAILED: { retry: false, message: 'The passkey registration does not verify' },
  AUTHENTICATION_FAILED: { retry: false, message: 'The passkey login does not verify' },
  CHALLENGE_EXPIRED: { retry: false, message: 'The ceremony challenge is unknown, used or expired' },
  // --- authentication and authorisation -------------------------------------------------------
  UNAUTHENTICATED: { retry: false, message: 'A valid session is required' },
  FORBIDDEN: { retry: false, message: 'This caller may not do this' },
  PASSKEY_DISABLED: { retry: false, message: 'This passkey has been disabled' },
  // --- domain -------------------------------------------------------------------------------
  NOT_FOUND: { retry: false, message: 'No such resource' },
  ACCOUNT_EXISTS: { retry: false, message: 'An account with this e-mail already exists' },
  VEHICLE_NOT_FOUND: { retry: false, message: 'No such vehicle' },
  VEHICLE_EXISTS: { retry: false, message: 'The vehicle is already provisioned' },
  PASSKEY_NOT_FOUND: { retry: false, message: 'No such passkey on this account' },
  KEY_NOT_FOUND: { retry: false, message: 'No such key' },
  KEY_EXISTS: { retry: false, message: 'This passkey already holds a key for this vehicle' },
  TERMS_NOT_ACCEPTED: { retry: false, message: 'The terms of use must be accepted' },
  CLAIM_REJECTED: { retry: false, message: 'The ownership proof does not match the vehicle' },
  NOT_MAIN_USER: { retry: false, message: 'Only the main user of the vehicle may do this' },
  STANDARD_SERVICES_INACTIVE: { retry: false, message: 'Standard Services are not active on this vehicle' },
  SUBSCRIPTION_INACTIVE: { retry: false, message: 'The Smart Digital Key subscription is not active' },
  SUBSCRIPTION_EXISTS: { retry: false, message: 'A subscription is already running: cancel it first' },
  TRIAL_UNAVAILABLE: { retry: false, message: 'The trial has been used or has run out for this vehicle' },
  PAYMENT_FAILED: { retry: true, message: 'The payment was declined' },
  CARD_NOT_FOUND: { retry: false, message: 'No such card' },
  CARD_IN_USE: { retry: false, message: 'The primary card pays an active subscription' },
  PAYMENT_METHOD_REQUIRED: { retry: false, message: 'A paid plan needs a primary payment card: add one first' },
  WITHDRAWAL_UNAVAILABLE: { retry: false, message: 'The withdrawal period is over or does not apply' },
  INVITATION_INVALID: { retry: false, message: 'The invitation is unknown, used or expired' },
  SHARED_KEY_LIMIT: { retry: false, message: 'The vehicle has the most shared keys it may have' },
  EMAIL_NOT_VERIFIED: { retry: false, message: 'The e-mail address of the account must be verified first' },
  VERIFICATION_INVALID: { retry: false, message: 'The e-mail verification link is unknown, used or expired' },
  RECOVERY_INVALID: { retry: false, message: 'The recovery code or link is unknown, used or expired' },
  PRESENCE_REQUIRED: { retry: false, message: 'After e-mail recovery, prove presence at the car (its QR code) or redeem a dealer code first' },
  LAST_PASSKEY: { retry: false, message: 'The only working passkey of the account cannot be removed' },
  CONFLICT: { retry: true, message: 'The resource changed concurrently: try again' },
  RATE_LIMITED: { retry: true, message: 'Too many requests' },
  // --- infrastructure -----------------------------------------------------------------------
  TIMEOUT: { retry: false, message: 'No answer in time: the command may have been carried out' },
  STORE_UNAVAILABLE: { retry: true, message: 'The store is not reachable' },
  CORRUPT_RECORD: { retry: false, message: 'A stored record does not match its schema' },
  INTERNAL_ERROR: { retry: false, message: 'Internal error' },
} as const satisfies Record<string, { retry: boolean; message: string }>;

/** A stable, machine-readable error code (SNAKE_CASE). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes after which the effect may already have happened: never retry these blindly. */
export const MAY_HAVE_SUCCEEDED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['TIMEOUT']);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
