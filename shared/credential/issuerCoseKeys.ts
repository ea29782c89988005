/**
 * The trusted issuer keys as COSE messages name them. A COSE credential or manifest names its key by
 * an 8-byte key id: the first 8 bytes of the key's RFC 7638 SHA-256 thumbprint, which a verifier
 * computes from the public key itself (never from the JWKS's own `kid` text, never from the message),
 * so a key is found only among the provisioned ones. Only P-256 keys (ES256) are considered; keys
 * are imported once per JWKS content and kept (a trust update that changes the set is seen at once).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { p256PublicJwkSchema } from './jwkSchema.js';
import type { TrustedIssuer } from './trustedIssuer.js';

/** Bytes of a COSE key id. */
export const COSE_KID_BYTES = 8;

/** The COSE key id of a P-256 public JWK: the first 8 bytes of its RFC 7638 SHA-256 thumbprint. */
export function coseKidOf(jwk: Pick<JWK, 'kty' | 'crv' | 'x' | 'y'>): Uint8Array {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new TypeError('not a P-256 public JWK');
  // RFC 7638 §3.2: the required members, in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return new Uint8Array(createHash('sha256').update(canonical).digest().subarray(0, COSE_KID_BYTES));
}

/**
 * Imported key sets by their JSON content: a car builds its trust object afresh from its state for
 * every command (after a trust update), so a cache keyed by the object would import the keys again
 * each time. A handful of sets ever matters (the provisioned one, the newest update).
 */
const keySets = new Map<string, Map<string, KeyObject>>();
const KEY_SETS_KEPT = 8;

function importKeys(jwks: JSONWebKeySet): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const jwk of jwks.keys) {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || (jwk.alg !== undefined && jwk.alg !== 'ES256') || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    const parsed = p256PublicJwkSchema.safeParse(jwk);
    if (!parsed.success) continue;
    try {
      keys.set(Buffer.from(coseKidOf(parsed.data)).toString('hex'), createPublicKey({ key: parsed.data, format: 'jwk' }));
    } catch {
      // A malformed key in the set is simply not trusted.
    }
  }
  return keys;
}

/** The trusted key a COSE key id names, or undefined. */
export function trustedCoseKey(trust: TrustedIssuer, kid: Uint8Array): KeyObject | undefined {
  if (kid.length !== COSE_KID_BYTES) return undefined;
  const json = JSON.stringify(trust.jwks);
  let keys = keySets.get(json);
  if (!keys) {
    keys = importKeys(trust.jwks);
    keySets.set(json, keys);
    for (const oldest of keySets.keys()) {
      if (keySets.size <= KEY_SETS_KEPT) break;
      keySets.delete(oldest);
    }
  }
  return keys.get(Buffer.from(kid).toString('hex'));
}
