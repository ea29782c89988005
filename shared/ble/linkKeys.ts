/**
 * Keys derived from a vehicle's link secret (32 random bytes made at provisioning; the car and the
 * server hold it, never a phone). A phone receives, with each credential, the two keys it needs:
 * - the advertising key, one per vehicle, to resolve the car's rotating advertisement;
 * - the response key, one per credential, with which the car authenticates its answers to requests
 *   made with that credential (responseMac.ts): a relay or a fake car cannot report "unlocked".
 */
import { createHash, createHmac } from 'node:crypto';

export const LINK_SECRET_BYTES = 32;

export function deriveAdvertisingKey(linkSecret: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', linkSecret).update('sdk-digital-key/advertising/v2').digest());
}

export function deriveResponseKey(linkSecret: Uint8Array, credentialDigest: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', linkSecret).update('sdk-digital-key/response/v2').update(credentialDigest).digest());
}

/** SHA-256 of a credential as the API hands it out (base64url of its COSE bytes). */
export function credentialDigest(credential: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Buffer.from(credential, 'base64url')).digest());
}
