/**
 * How a request names a credential the car already holds (protocol.md, "Credentials the car
 * holds"): the first 8 bytes of SHA-256 of its COSE bytes. The phone and the car both take it from
 * here, so the reference has one definition.
 */
import { CREDENTIAL_REF_BYTES } from './messages.js';

/** The reference of the credential whose SHA-256 is `credentialDigest`. */
export function credentialRef(credentialDigest: Uint8Array): Uint8Array {
  return credentialDigest.subarray(0, CREDENTIAL_REF_BYTES);
}
