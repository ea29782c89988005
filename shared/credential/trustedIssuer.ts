/**
 * What a verifier (the vehicle, a phone, the server itself) trusts: the issuer id and its public
 * keys, provisioned ahead of time. Keys are never taken from the token (`jku`, `x5u`, `jwk`, `x5c`).
 */
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { ErrorCode } from '../errors/errorCode.js';
import { strictJwsProblem } from './strictCompactJws.js';

export interface TrustedIssuer {
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The issuer's public keys (the JWKS it publishes). */
  readonly jwks: JSONWebKeySet;
}

const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'];
const keySets = new WeakMap<JSONWebKeySet, { json: string; set: ReturnType<typeof createLocalJWKSet> }>();

/**
 * jose's local key set is a snapshot of the JWKS, so the cache is keyed by the set's content too:
 * a key removed from (or added to) the same `jwks` object in place is honoured on the next verify,
 * never left trusted by a stale snapshot.
 */
function keySetOf(jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  const json = JSON.stringify(jwks);
  let entry = keySets.get(jwks);
  if (!entry || entry.json !== json) {
    entry = { json, set: createLocalJWKSet(jwks) };
    keySets.set(jwks, entry);
  }
  return entry.set;
}

/**
 * Verify a compact JWS of one token kind. Strictly encoded (strictCompactJws.ts), only ES256, the
 * exact `typ`, the trusted issuer, and the listed required claims; jose errors become our codes (`malformed` is the kind's own code).
 */
export async function verifyIssuerToken(opts: {
  token: string;
  trust: TrustedIssuer;
  typ: string;
  audience: string;
  requiredClaims: string[];
  nowSeconds: number;
  clockToleranceSeconds: number;
  malformed: ErrorCode;
}): Promise<JWTPayload> {
  if (typeof opts.token !== 'string' || opts.token.length > 4096) {
    throw new DigitalKeyError(opts.malformed, 'token missing or too long');
  }
  // One reading only: no repeated header or claim names, no slack in any encoding.
  const problem = strictJwsProblem(opts.token);
  if (problem !== null) throw new DigitalKeyError(problem.in === 'signature' ? 'BAD_SIGNATURE' : opts.malformed, problem.message);
  try {
    const { payload, protectedHeader } = await jwtVerify(opts.token, keySetOf(opts.trust.jwks), {
      algorithms: ['ES256'],
      typ: opts.typ,
      issuer: opts.trust.issuer,
      audience: opts.audience,
      requiredClaims: opts.requiredClaims,
      currentDate: new Date(opts.nowSeconds * 1000),
      clockTolerance: opts.clockToleranceSeconds,
    });
    for (const name of FORBIDDEN_HEADERS) {
      if (name in protectedHeader) throw new DigitalKeyError(opts.malformed, `header ${name} is not allowed`);
    }
    // jose checks a future `iat` only when `maxTokenAge` is set: check it here, with the same
    // tolerance, so a token cannot claim to be issued later than the verifier's clock allows.
    if (typeof payload.iat === 'number' && payload.iat > opts.nowSeconds + opts.clockToleranceSeconds) {
      throw new DigitalKeyError('NOT_YET_VALID', 'iat is in the future');
    }
    return payload;
  } catch (err) {
    throw mapJoseError(err, opts.malformed);
  }
}

function mapJoseError(err: unknown, malformed: ErrorCode): DigitalKeyError {
  if (err instanceof DigitalKeyError) return err;
  if (err instanceof errors.JWTExpired) return new DigitalKeyError('EXPIRED', undefined, { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' && err.reason === 'check_failed') return new DigitalKeyError('NOT_YET_VALID', undefined, { cause: err });
    if (err.claim === 'iat' && err.reason === 'check_failed') return new DigitalKeyError('NOT_YET_VALID', undefined, { cause: err });
    if (err.claim === 'aud' && err.reason === 'check_failed') return new DigitalKeyError('WRONG_VEHICLE', undefined, { cause: err });
    return new DigitalKeyError(malformed, `claim ${err.claim}: ${err.reason}`, { cause: err });
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return new DigitalKeyError('BAD_SIGNATURE', undefined, { cause: err });
  }
  return new DigitalKeyError(malformed, undefined, { cause: err });
}

/**
 * Verify a token of signed state — a state manifest, a trust update — that has no lifetime (a newer
 * one replaces it): `iat` in the future is tolerated by a day, so a car with a slow clock still takes
 * it (its clock then moves forward), and any fault of it is BAD_STATE (or BAD_SIGNATURE,
 * WRONG_VEHICLE): the time codes speak of credentials ("refresh it online"), which this is not.
 */
export async function verifyStateToken(opts: { token: string; trust: TrustedIssuer; typ: string; audience: string; nowSeconds: number; what: string }): Promise<JWTPayload> {
  return verifyIssuerToken({
    token: opts.token,
    trust: opts.trust,
    typ: opts.typ,
    audience: opts.audience,
    requiredClaims: ['iss', 'aud', 'iat'],
    nowSeconds: opts.nowSeconds,
    clockToleranceSeconds: 86_400,
    malformed: 'BAD_STATE',
  }).catch((err: unknown) => {
    if (err instanceof DigitalKeyError && (err.code === 'NOT_YET_VALID' || err.code === 'EXPIRED')) {
      throw new DigitalKeyError('BAD_STATE', `${opts.what} outside its time bounds`, { cause: err });
    }
    throw err;
  });
}
