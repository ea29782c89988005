/**
 * The key credential: the short-lived signed proof of a digital key that a phone shows the car
 * (DESIGN.md §2). Compact JWS, ES256, `typ: sdk-key+jwt`, bound to one passkey by `cnf.wa`.
 *
 * @example
 * const jws = await issueKeyCredential({ key, claims: { iss, sub: keyId, aud: vin, iat, nbf, exp,
 *   role: 'main', perms: ['unlock', 'lock'], ep: 0, cnf: { wa: { id, pk } } } });
 * const claims = await verifyKeyCredential({ credential: jws, trust, vin, nowSeconds });
 */
import { z } from 'zod';
import { permsSchema } from '../commands.js';
import { BASE64URL_ID_PATTERN, idSchema, vinSchema } from '../ids.js';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { IssuerSigningKey } from './issuerKey.js';
import { signCompactJws } from './signCompactJws.js';
import { verifyIssuerToken, type TrustedIssuer } from './trustedIssuer.js';

export const KEY_CREDENTIAL_TYP = 'sdk-key+jwt';
/**
 * The longest a credential may be valid (`exp - nbf`), whatever the issuer says: CREDENTIAL_TTL is
 * capped at this, and verifiers refuse longer ones, so a mis-issued credential cannot live for years.
 */
export const MAX_CREDENTIAL_LIFETIME_SECONDS = 7 * 86_400;
/** Accepted clock skew between the issuer and the vehicle, in seconds. */
export const DEFAULT_SKEW_SECONDS = 60;

export const keyCredentialClaimsSchema = z.object({
  iss: z.string().min(1),
  sub: idSchema,
  aud: vinSchema,
  iat: z.number().int().nonnegative(),
  nbf: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
  role: z.enum(['main', 'shared']),
  perms: permsSchema,
  ep: z.number().int().nonnegative(),
  cnf: z.object({
    wa: z.object({
      /** The WebAuthn credential id of the bound passkey (base64url). */
      id: z.string().regex(BASE64URL_ID_PATTERN),
      /** Its COSE public key (base64url). */
      pk: z.string().regex(/^[A-Za-z0-9_-]{20,1024}$/),
    }),
  }),
});

export type KeyCredentialClaims = z.infer<typeof keyCredentialClaimsSchema>;

export async function issueKeyCredential(opts: { key: IssuerSigningKey; claims: KeyCredentialClaims }): Promise<string> {
  const claims = keyCredentialClaimsSchema.parse(opts.claims);
  if (claims.exp <= claims.nbf) throw new RangeError('exp must be after nbf');
  if (claims.exp - claims.nbf > MAX_CREDENTIAL_LIFETIME_SECONDS) throw new RangeError('credential lifetime over the maximum');
  // Never signed more than the longest lifetime ahead of its start (the issuer's own rule is CREDENTIAL_TTL).
  if (claims.nbf - claims.iat > MAX_CREDENTIAL_LIFETIME_SECONDS) throw new RangeError('credential issued too far ahead of its nbf');
  return signCompactJws({ key: opts.key, typ: KEY_CREDENTIAL_TYP, payload: claims });
}

/**
 * Verify signature (ES256 with a trusted issuer key only), `typ`, `iss`, `aud` = this VIN, and the
 * time window. Epoch, revocation and permissions depend on the vehicle's state and are checked by
 * the vehicle's verifier. Throws DigitalKeyError: BAD_SIGNATURE, BAD_CREDENTIAL, WRONG_VEHICLE,
 * NOT_YET_VALID, EXPIRED.
 */
export async function verifyKeyCredential(opts: {
  credential: string;
  trust: TrustedIssuer;
  vin: string;
  nowSeconds: number;
  skewSeconds?: number;
}): Promise<KeyCredentialClaims> {
  const payload = await verifyIssuerToken({
    token: opts.credential,
    trust: opts.trust,
    typ: KEY_CREDENTIAL_TYP,
    audience: opts.vin,
    requiredClaims: ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp'],
    nowSeconds: opts.nowSeconds,
    clockToleranceSeconds: opts.skewSeconds ?? DEFAULT_SKEW_SECONDS,
    malformed: 'BAD_CREDENTIAL',
  });
  const parsed = keyCredentialClaimsSchema.safeParse(payload);
  if (!parsed.success) throw new DigitalKeyError('BAD_CREDENTIAL', 'credential claims do not match the schema');
  if (parsed.data.exp - parsed.data.nbf > MAX_CREDENTIAL_LIFETIME_SECONDS) throw new DigitalKeyError('BAD_CREDENTIAL', 'credential lifetime over the maximum');
  return parsed.data;
}
