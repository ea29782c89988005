/**
 * A CWT (RFC 8392) in a COSE_Sign1 (RFC 9052), signed by the issuer: what the key credential and
 * the state manifest are. The protected header holds exactly alg ES256 (1), the issuer key's COSE
 * key id (4, issuerCoseKeys.ts) and the token kind as `typ` (16, RFC 9596), so a manifest can never
 * pass as a credential nor the reverse. The payload is a claims map with integer keys, read strictly
 * (deterministic CBOR, no duplicate keys, no trailing bytes: strictCbor.ts) and only after the
 * signature has verified with a provisioned key.
 */
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { ErrorCode } from '../errors/errorCode.js';
import { decodeCoseSign1, ES256, HEADER, signCoseSign1, verifyCoseSign1, type CoseSigner } from '../cose/coseSign1.js';
import { decodeStrictCbor, encodeDeterministic, integerKeyedMap } from '../cose/strictCbor.js';
import { COSE_KID_BYTES, coseKidOf, trustedCoseKey } from './issuerCoseKeys.js';
import type { IssuerSigningKey } from './issuerKey.js';
import type { TrustedIssuer } from './trustedIssuer.js';

/** Registered CWT claim keys (RFC 8392 §4, RFC 8747 §3.1). */
export const CWT_CLAIM = { iss: 1, sub: 2, aud: 3, exp: 4, nbf: 5, iat: 6, cnf: 8 } as const;
/** The longest signed token either kind may be. */
export const MAX_SIGNED_CWT_BYTES = 16_384;

/** The COSE key id of each signing key, computed once per key (a thumbprint is a hash of JSON). */
const kids = new WeakMap<IssuerSigningKey, Uint8Array>();

function kidOf(key: IssuerSigningKey): Uint8Array {
  let kid = kids.get(key);
  if (!kid) {
    kid = coseKidOf(key.publicJwk);
    kids.set(key, kid);
  }
  return kid;
}

/** Sign `claims` as a COSE_Sign1 CWT of kind `typ` with the issuer key. */
export async function signCwt(opts: { key: IssuerSigningKey; typ: string; claims: Map<number, unknown> }): Promise<Uint8Array> {
  if (opts.key.publicJwk.kty !== 'EC') throw new TypeError('the issuer key must be P-256');
  const signer: CoseSigner = opts.key;
  const protectedHeader = new Map<number, unknown>([
    [HEADER.alg, ES256],
    [HEADER.kid, kidOf(opts.key)],
    [HEADER.typ, opts.typ],
  ]);
  return signCoseSign1({ signer, protectedHeader, payload: encodeDeterministic(opts.claims) });
}

/**
 * Decode, check the kind and the signature with a trusted key, and return the claims map. Throws
 * DigitalKeyError: `malformed` (the kind's own code) for anything that does not parse or is of
 * another kind, BAD_SIGNATURE for an unknown key or a signature that does not verify.
 */
export function verifyCwt(opts: { token: Uint8Array; trust: TrustedIssuer; typ: string; malformed: ErrorCode }): Map<number, unknown> {
  const malformed = (why: string) => new DigitalKeyError(opts.malformed, why);
  if (!(opts.token instanceof Uint8Array) || opts.token.length === 0 || opts.token.length > MAX_SIGNED_CWT_BYTES) throw malformed('token missing or too long');
  let message;
  try {
    message = decodeCoseSign1(opts.token, { allowedLabels: [HEADER.alg, HEADER.kid, HEADER.typ] });
  } catch (err) {
    throw new DigitalKeyError(opts.malformed, `not a strict COSE_Sign1: ${err instanceof Error ? err.message : 'unreadable'}`);
  }
  if (message.protectedHeader.get(HEADER.typ) !== opts.typ) throw malformed('another kind of token');
  const kid = message.protectedHeader.get(HEADER.kid);
  if (!(kid instanceof Uint8Array) || kid.length !== COSE_KID_BYTES) throw malformed('no key id');
  const key = trustedCoseKey(opts.trust, kid);
  if (!key || !verifyCoseSign1(message, key)) throw new DigitalKeyError('BAD_SIGNATURE');
  let claims: unknown;
  try {
    claims = decodeStrictCbor(message.payload);
  } catch {
    throw malformed('claims are not strict CBOR');
  }
  const map = integerKeyedMap(claims);
  if (!map) throw malformed('claims are not a map with integer keys');
  return map;
}

/** The claims of a signed CWT without verifying anything (a phone reading its own credential). */
export function readCwtClaims(token: Uint8Array): Map<number, unknown> {
  const message = decodeCoseSign1(token, { allowedLabels: [HEADER.alg, HEADER.kid, HEADER.typ] });
  const claims = integerKeyedMap(decodeStrictCbor(message.payload));
  if (!claims) throw new TypeError('claims are not a map with integer keys');
  return claims;
}

/** A claim value that is a non-negative safe integer (times, seq, epoch). */
export function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A claims map holding exactly `allowed` keys (those in `required` present): the reason it does not, or null. */
export function claimKeysProblem(claims: Map<number, unknown>, required: readonly number[], allowed: readonly number[]): string | null {
  for (const k of claims.keys()) if (!allowed.includes(k)) return `unknown claim ${k}`;
  for (const k of required) if (!claims.has(k)) return `missing claim ${k}`;
  return null;
}
