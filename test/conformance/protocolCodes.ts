/**
 * The response codes as protocol.md numbers them ("Response codes"), copied by hand rather than
 * imported from shared/ble/bleResponseCode.ts: the kit checks the car against the document, so a
 * renumbering in the car's code table shows up as a failing vector instead of being blessed by it.
 * conformance.test.ts checks that protocol.md still says exactly this.
 */

/** protocol.md, "Response codes", in its order. */
export const PROTOCOL_CODE_NUMBERS = {
  OK: 0, BAD_FRAME: 1, BAD_MESSAGE: 2, UNSUPPORTED_VERSION: 3, UNKNOWN_COMMAND: 4, UNKNOWN_NONCE: 5,
  BAD_SIGNATURE: 6, BAD_CREDENTIAL: 7, BAD_STATE: 8, WRONG_VEHICLE: 9, NOT_YET_VALID: 10, EXPIRED: 11,
  REVOKED: 12, EPOCH_STALE: 13, PERMISSION_DENIED: 14, BAD_ASSERTION: 15, USER_NOT_VERIFIED: 16,
  COUNTER_REGRESSION: 17, CREDENTIAL_UNKNOWN: 18, INTERNAL_ERROR: 31,
} as const;

/** A code a car may say over the air. */
export type AirCode = keyof typeof PROTOCOL_CODE_NUMBERS;

/** The name protocol.md gives a code number, or undefined for a number it does not define. */
export function airCodeOfNumber(n: number): AirCode | undefined {
  return Object.keys(PROTOCOL_CODE_NUMBERS)
    .filter(isAirCode)
    .find((code) => PROTOCOL_CODE_NUMBERS[code] === n);
}

/** Whether a string names a code protocol.md defines. */
export function isAirCode(value: string): value is AirCode {
  return Object.hasOwn(PROTOCOL_CODE_NUMBERS, value);
}

/** The codes as protocol.md writes them in one sentence ("OK 0, BAD_FRAME 1, …"). */
export function protocolCodeSentence(): string {
  return Object.entries(PROTOCOL_CODE_NUMBERS)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}
