/**
 * The car's authentication of an answer (protocol.md, "Authenticated responses"):
 * `mac = HMAC-SHA256(responseKey, "sdk-response/v2" ‖ tx ‖ body)[0..8]`, where `tx` is the
 * request's transaction hash (it binds the nonce, the VIN, the command and the credential) and
 * `body` the encoded response without its MAC. The response key belongs to one credential
 * (linkKeys.ts), so only the car that verified this credential can make it, and only for this
 * request: a relay cannot turn a refusal into "unlocked", nor replay an old "unlocked".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RESPONSE_MAC_BYTES } from './messages.js';

export function responseMac(opts: { responseKey: Uint8Array; tx: Uint8Array; body: Uint8Array }): Uint8Array {
  const full = createHmac('sha256', opts.responseKey).update('sdk-response/v2').update(opts.tx).update(opts.body).digest();
  return new Uint8Array(full.subarray(0, RESPONSE_MAC_BYTES));
}

/** Constant-time check of a received MAC. */
export function responseMacMatches(opts: { responseKey: Uint8Array; tx: Uint8Array; body: Uint8Array; mac: Uint8Array | undefined }): boolean {
  if (!opts.mac || opts.mac.length !== RESPONSE_MAC_BYTES) return false;
  return timingSafeEqual(responseMac(opts), opts.mac);
}
