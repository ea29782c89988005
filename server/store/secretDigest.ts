/**
 * The SHA-256 (base64url) under which a single-use secret is stored — enrollment tokens, invitation
 * codes, e-mail links, recovery codes — so the store never holds a usable secret, and the digest is
 * a safe storage-key id whatever the secret looked like.
 */
import { createHash } from 'node:crypto';

export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
