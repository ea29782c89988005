/**
 * A trust update (`typ: sdk-trust+jwt`): the issuer's public signing keys, as the vehicles must
 * trust them from now on, signed by an issuer key. A vehicle takes a new key set only from an
 * update signed by a key it already trusts and newer (`iat`) than the last one it took, so issuer
 * keys rotate without a workshop visit and without trusting whoever can reach the car's sync
 * channel.
 *
 * Rotation in three steps (docs/operations.md): announce the next key beside the current one,
 * promote it (the previous key still verifies, and co-signs the update for cars that slept through
 * the announcement), then retire the previous key once every credential it signed has expired.
 *
 * @example
 * const tokens = await Promise.all(signers.map((key) => signTrustUpdate({ key, issuer, keys, nowSeconds })));
 * const { keys } = await verifyTrustUpdate({ token: tokens[0], trust, nowSeconds });
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import { z } from 'zod';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { IssuerSigningKey } from './issuerKey.js';
import { p256PublicJwkSchema } from './jwkSchema.js';
import { signCompactJws } from './signCompactJws.js';
import { verifyStateToken, type TrustedIssuer } from './trustedIssuer.js';

export const TRUST_UPDATE_TYP = 'sdk-trust+jwt';
/** Every vehicle of the issuer is the audience of a trust update (it names no VIN). */
export const TRUST_UPDATE_AUDIENCE = 'sdk-vehicles';
/** A vehicle holds at most this many issuer keys (current, next, previous, with room to spare). */
export const MAX_TRUSTED_ISSUER_KEYS = 4;

/** An issuer public key as a trust update carries it: P-256, its RFC 7638 thumbprint as `kid`. */
const trustedKeySchema = p256PublicJwkSchema.extend({ kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/), alg: z.literal('ES256'), use: z.literal('sig') }).strict();
export type TrustedIssuerKey = z.infer<typeof trustedKeySchema>;

const trustUpdateClaimsSchema = z.object({
  iss: z.string().min(1),
  aud: z.literal(TRUST_UPDATE_AUDIENCE),
  iat: z.number().int().nonnegative(),
  keys: z.array(trustedKeySchema).min(1).max(MAX_TRUSTED_ISSUER_KEYS),
});
export type TrustUpdateClaims = z.infer<typeof trustUpdateClaimsSchema>;

/** The key as a trust update lists it: only its public members, `kid` its thumbprint. */
export async function trustedIssuerKey(jwk: JWK): Promise<TrustedIssuerKey> {
  const { kty, crv, x, y } = p256PublicJwkSchema.parse(jwk);
  const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
  if (jwk.kid !== undefined && jwk.kid !== kid) throw new TypeError(`an issuer key's kid must be its RFC 7638 thumbprint (${kid})`);
  return { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' };
}

export async function signTrustUpdate(opts: { key: IssuerSigningKey; issuer: string; keys: JWK[]; nowSeconds: number }): Promise<string> {
  const keys = await Promise.all(opts.keys.map(trustedIssuerKey));
  const claims = trustUpdateClaimsSchema.parse({ iss: opts.issuer, aud: TRUST_UPDATE_AUDIENCE, iat: opts.nowSeconds, keys });
  return signCompactJws({ key: opts.key, typ: TRUST_UPDATE_TYP, payload: claims });
}

/**
 * Verify a trust update against the keys trusted now. Throws DigitalKeyError BAD_SIGNATURE (no
 * trusted key signed it) or BAD_STATE (not a trust update of this issuer, or malformed).
 */
export async function verifyTrustUpdate(opts: { token: string; trust: TrustedIssuer; nowSeconds: number }): Promise<TrustUpdateClaims> {
  const payload = await verifyStateToken({ token: opts.token, trust: opts.trust, typ: TRUST_UPDATE_TYP, audience: TRUST_UPDATE_AUDIENCE, nowSeconds: opts.nowSeconds, what: 'trust update' });
  const parsed = trustUpdateClaimsSchema.safeParse(payload);
  if (!parsed.success) throw new DigitalKeyError('BAD_STATE', 'trust update claims do not match the schema');
  const kids = parsed.data.keys.map((k) => k.kid);
  if (new Set(kids).size !== kids.length) throw new DigitalKeyError('BAD_STATE', 'a trust update lists a key twice');
  return parsed.data;
}
