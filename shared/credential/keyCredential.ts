/**
 * The key credential: the short-lived signed proof of a digital key that a phone shows the car
 * (DESIGN.md §2). A CWT in a COSE_Sign1 (signedCwt.ts), ES256, `typ: sdk-key+cwt`, bound to one
 * passkey by `cnf` — about 300 bytes instead of the 720-character JWS it replaces. Claims:
 *
 * | key | claim | value |
 * |---|---|---|
 * | 2 | sub | the key id: a UUID as its 16 bytes, any other id as text |
 * | 3 | aud | the VIN (text) |
 * | 4, 5, 6 | exp, nbf, iat | seconds |
 * | 8 | cnf | `{1: COSE_Key}`: kty EC2 (1: 2), crv P-256 (-1: 1), x (-2), the sign of y (-3: bool) |
 * | -65537 | sdk | `[role (0 main, 1 shared), perms (bit i: COMMANDS[i]), ep]` |
 *
 * `iss` is not carried: the issuer is the one whose provisioned key verifies the signature, and the
 * verified claims name it from the trust. Nothing else may appear (one reading only).
 *
 * @example
 * const credential = await issueKeyCredential({ key, claims });          // COSE bytes
 * const verified = verifyKeyCredential({ credential, trust, vin, nowSeconds });
 */
import { z } from 'zod';
import { COMMANDS, permsSchema, type Command } from '../commands.js';
import { idSchema, isId, isVin, UUID_PATTERN, vinSchema, type KeyId, type Vin } from '../ids.js';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import { compressedPointOfCoseKey } from '../cose/p256Point.js';
import type { IssuerSigningKey } from './issuerKey.js';
import { claimKeysProblem, CWT_CLAIM, isUint, readCwtClaims, signCwt, verifyCwt } from './signedCwt.js';
import type { TrustedIssuer } from './trustedIssuer.js';

export const KEY_CREDENTIAL_TYP = 'sdk-key+cwt';
/**
 * The longest a credential may be valid (`exp - nbf`), whatever the issuer says: CREDENTIAL_TTL is
 * capped at this, and verifiers refuse longer ones, so a mis-issued credential cannot live for years.
 */
export const MAX_CREDENTIAL_LIFETIME_SECONDS = 7 * 86_400;
/** Accepted clock skew between the issuer and the vehicle, in seconds. */
export const DEFAULT_SKEW_SECONDS = 60;
/** Private-use claim key (RFC 8392 §9.1: below -65536) of `[role, perms, ep]`. */
export const SDK_KEY_CLAIM = -65537;
const COSE_KEY = { kty: 1, crv: -1, x: -2, y: -3 } as const;
const ROLES = ['main', 'shared'] as const;

/** What the issuer signs (the passkey's public key as registration stored it: COSE, base64url). */
export const keyCredentialClaimsSchema = z.object({
  iss: z.string().min(1),
  sub: idSchema,
  aud: vinSchema,
  iat: z.number().int().nonnegative(),
  nbf: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
  role: z.enum(ROLES),
  perms: permsSchema,
  ep: z.number().int().nonnegative(),
  cnf: z.object({
    wa: z.object({
      /**
       * The bound passkey's COSE public key (base64url); only EC2 P-256 passkeys can be carried. Its
       * credential id is not: the phone knows which of its passkeys holds this key.
       */
      pk: z.string().regex(/^[A-Za-z0-9_-]{20,1024}$/),
    }),
  }),
});
export type KeyCredentialClaims = z.infer<typeof keyCredentialClaimsSchema>;

/** A credential as a verifier (or the phone) reads it: the passkey as its id and compressed point. */
export interface KeyCredential {
  iss: string;
  sub: KeyId;
  aud: Vin;
  iat: number;
  nbf: number;
  exp: number;
  role: (typeof ROLES)[number];
  perms: Command[];
  ep: number;
  /** The bound passkey's P-256 public key, compressed (33 bytes). */
  passkeyPoint: Uint8Array;
}

/** A UUID key id travels as its 16 bytes (20 fewer on the air), any other id as text. */
function subjectOf(keyId: KeyId): Uint8Array | string {
  return UUID_PATTERN.test(keyId) ? new Uint8Array(Buffer.from(keyId.replaceAll('-', ''), 'hex')) : keyId;
}

/** The key id back from `sub`: 16 bytes are a UUID (lower case, dashed), text an id. */
function keyIdOf(sub: unknown): KeyId | null {
  if (sub instanceof Uint8Array) {
    if (sub.length !== 16) return null;
    const h = Buffer.from(sub).toString('hex');
    const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    return UUID_PATTERN.test(id) ? id : null;
  }
  // Text that spells a UUID would give one key two encodings: only the byte form is accepted.
  return isId(sub) && !UUID_PATTERN.test(sub) ? sub : null;
}

function permsMask(perms: readonly Command[]): number {
  return perms.reduce((mask, p) => mask | (1 << COMMANDS.indexOf(p)), 0);
}

/** Sign a credential; returns its COSE bytes (the API hands them out as base64url). */
export async function issueKeyCredential(opts: { key: IssuerSigningKey; claims: KeyCredentialClaims }): Promise<Uint8Array> {
  const c = keyCredentialClaimsSchema.parse(opts.claims);
  if (c.exp <= c.nbf) throw new RangeError('exp must be after nbf');
  if (c.exp - c.nbf > MAX_CREDENTIAL_LIFETIME_SECONDS) throw new RangeError('credential lifetime over the maximum');
  // Never signed more than the longest lifetime ahead of its start (the issuer's own rule is CREDENTIAL_TTL).
  if (c.nbf - c.iat > MAX_CREDENTIAL_LIFETIME_SECONDS) throw new RangeError('credential issued too far ahead of its nbf');
  const point = compressedPointOfCoseKey(Buffer.from(c.cnf.wa.pk, 'base64url'));
  const coseKey = new Map<number, unknown>([
    [COSE_KEY.kty, 2],
    [COSE_KEY.crv, 1],
    [COSE_KEY.x, point.subarray(1)],
    [COSE_KEY.y, point[0] === 3],
  ]);
  const claims = new Map<number, unknown>([
    [CWT_CLAIM.sub, subjectOf(c.sub)],
    [CWT_CLAIM.aud, c.aud],
    [CWT_CLAIM.exp, c.exp],
    [CWT_CLAIM.nbf, c.nbf],
    [CWT_CLAIM.iat, c.iat],
    [CWT_CLAIM.cnf, new Map([[1, coseKey]])],
    [SDK_KEY_CLAIM, [ROLES.indexOf(c.role), permsMask(c.perms), c.ep]],
  ]);
  return signCwt({ key: opts.key, typ: KEY_CREDENTIAL_TYP, claims });
}

const MAX_PERMS = (1 << COMMANDS.length) - 1;
const REQUIRED = [CWT_CLAIM.sub, CWT_CLAIM.aud, CWT_CLAIM.exp, CWT_CLAIM.nbf, CWT_CLAIM.iat, CWT_CLAIM.cnf, SDK_KEY_CLAIM];

/**
 * The bound passkey's point from `cnf` — exactly `{1: COSE_Key}` with exactly kty EC2, crv P-256, x
 * (32 bytes) and the sign of y — or null. Hand-checked rather than through zod: this runs on every
 * command and is a few microseconds this way, a few hundred through zod's map and tuple schemas.
 */
function passkeyPointOf(cnf: unknown): Uint8Array | null {
  if (!(cnf instanceof Map) || cnf.size !== 1) return null;
  const key: unknown = cnf.get(1);
  if (!(key instanceof Map) || key.size !== 4) return null;
  const x: unknown = key.get(COSE_KEY.x);
  const y: unknown = key.get(COSE_KEY.y);
  if (key.get(COSE_KEY.kty) !== 2 || key.get(COSE_KEY.crv) !== 1 || !(x instanceof Uint8Array) || x.length !== 32 || typeof y !== 'boolean') return null;
  const point = new Uint8Array(33);
  point[0] = y ? 3 : 2;
  point.set(x, 1);
  return point;
}

/** The credential's claims from its map, or throws BAD_CREDENTIAL (nothing about trust or time). */
function credentialOf(claims: Map<number, unknown>, issuer: string): KeyCredential {
  const bad = (why: string) => new DigitalKeyError('BAD_CREDENTIAL', why);
  const problem = claimKeysProblem(claims, REQUIRED, REQUIRED);
  if (problem !== null) throw bad(problem);
  const sub = keyIdOf(claims.get(CWT_CLAIM.sub));
  const aud = claims.get(CWT_CLAIM.aud);
  const iat = claims.get(CWT_CLAIM.iat);
  const nbf = claims.get(CWT_CLAIM.nbf);
  const exp = claims.get(CWT_CLAIM.exp);
  const sdk = claims.get(SDK_KEY_CLAIM);
  if (sub === null || !isVin(aud) || !isUint(iat) || !isUint(nbf) || !isUint(exp)) throw bad('credential claims do not match the schema');
  if (!Array.isArray(sdk) || sdk.length !== 3) throw bad('credential claims do not match the schema: sdk is not [role, perms, ep]');
  const [role, mask, ep]: unknown[] = sdk;
  if ((role !== 0 && role !== 1) || !isUint(mask) || mask < 1 || mask > MAX_PERMS || !isUint(ep)) throw bad('credential claims do not match the schema: sdk is not [role, perms, ep]');
  const passkeyPoint = passkeyPointOf(claims.get(CWT_CLAIM.cnf));
  if (!passkeyPoint) throw bad('credential claims do not match the schema: cnf is not a compressed P-256 COSE_Key');
  return {
    iss: issuer,
    sub,
    aud,
    iat,
    nbf,
    exp,
    role: ROLES[role],
    perms: COMMANDS.filter((_, i) => (mask & (1 << i)) !== 0),
    ep,
    passkeyPoint,
  };
}

/**
 * Verify the signature (ES256 with a provisioned issuer key only), the kind, `aud` = this VIN, and
 * the time window. Epoch, revocation and permissions depend on the vehicle's state and are checked
 * by the vehicle's verifier. Throws DigitalKeyError: BAD_SIGNATURE, BAD_CREDENTIAL, WRONG_VEHICLE,
 * NOT_YET_VALID, EXPIRED.
 */
export function verifyKeyCredential(opts: { credential: Uint8Array; trust: TrustedIssuer; vin: string; nowSeconds: number; skewSeconds?: number }): KeyCredential {
  const claims = verifyCwt({ token: opts.credential, trust: opts.trust, typ: KEY_CREDENTIAL_TYP, malformed: 'BAD_CREDENTIAL' });
  const credential = credentialOf(claims, opts.trust.issuer);
  const skew = opts.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (credential.aud !== opts.vin) throw new DigitalKeyError('WRONG_VEHICLE');
  if (credential.exp <= credential.nbf || credential.exp - credential.nbf > MAX_CREDENTIAL_LIFETIME_SECONDS) {
    throw new DigitalKeyError('BAD_CREDENTIAL', 'credential lifetime out of bounds');
  }
  if (opts.nowSeconds - skew >= credential.exp) throw new DigitalKeyError('EXPIRED');
  if (credential.nbf > opts.nowSeconds + skew || credential.iat > opts.nowSeconds + skew) throw new DigitalKeyError('NOT_YET_VALID');
  return credential;
}

/** The credential's claims without verifying them: for the phone (which passkey to use, when it expires). */
export function readKeyCredential(credential: Uint8Array): KeyCredential {
  return credentialOf(readCwtClaims(credential), '');
}
