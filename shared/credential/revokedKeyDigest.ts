/**
 * How a state manifest names a revoked key: the first 8 bytes of SHA-256 of its key id, so a
 * manifest of 100 revocations stays under a kilobyte on the air. A car compares the digest of the
 * key id in a verified credential; two key ids sharing a digest (2^-64 per pair) would at worst
 * refuse an innocent key, never admit a revoked one.
 */
import { createHash } from 'node:crypto';

export const REVOKED_DIGEST_BYTES = 8;

/** The digest of a key id, as the manifest carries it. */
export function revokedKeyDigest(keyId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(keyId, 'utf8').digest().subarray(0, REVOKED_DIGEST_BYTES));
}

/** The same digest as 16 lowercase hex characters (how the car stores it). */
export function revokedKeyDigestHex(keyId: string): string {
  return Buffer.from(revokedKeyDigest(keyId)).toString('hex');
}
