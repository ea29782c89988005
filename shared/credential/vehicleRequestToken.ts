/**
 * How a vehicle authenticates to the vehicle API: a short-lived ES256 JWT it signs with its own
 * provisioned key, `typ: sdk-vehicle+jwt`, `iss` = `sub` = its VIN, audience the API, lifetime at
 * most MAX_VEHICLE_TOKEN_SECONDS, and a `jti` the server accepts once (replay-safe).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, errors, importJWK, jwtVerify, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { z } from 'zod';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import { isVin, uuidSchema } from '../ids.js';
import { strictJwsProblem } from './strictCompactJws.js';

export const VEHICLE_TOKEN_TYP = 'sdk-vehicle+jwt';
export const MAX_VEHICLE_TOKEN_SECONDS = 120;

export function vehicleApiAudience(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/v1/vehicle-api`;
}

/** The claims the API relies on once jose has verified the token (it requires them, so they are there). */
const vehicleTokenClaimsSchema = z.object({ iat: z.number(), exp: z.number(), jti: uuidSchema });

/** A key given as a JWK (it has `kty`), not as a KeyObject or CryptoKey. */
function isJwk(key: CryptoKey | KeyObject | JWK): key is JWK {
  return 'kty' in key;
}

export async function signVehicleRequestToken(opts: { vin: string; privateKey: CryptoKey | KeyObject | JWK; issuer: string; nowSeconds: number }): Promise<string> {
  const key = isJwk(opts.privateKey) ? await importJWK(opts.privateKey, 'ES256') : opts.privateKey;
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: VEHICLE_TOKEN_TYP })
    .setIssuer(opts.vin)
    .setSubject(opts.vin)
    .setAudience(vehicleApiAudience(opts.issuer))
    .setIssuedAt(opts.nowSeconds)
    .setExpirationTime(opts.nowSeconds + 60)
    .setJti(randomUUID())
    .sign(key);
}

/** The VIN a token claims to be from (unverified: only to find which key to verify it with). */
export function claimedVin(token: string): string {
  // A token read two ways (a repeated `sub`, slack in an encoding) is refused before anything else.
  if (strictJwsProblem(token) !== null) throw new DigitalKeyError('UNAUTHENTICATED');
  try {
    const sub = decodeJwt(token).sub;
    if (isVin(sub)) return sub;
  } catch {
    // fall through
  }
  throw new DigitalKeyError('UNAUTHENTICATED');
}

/** Verify with the vehicle's provisioned public key; returns the `jti` for the single-use check. */
export async function verifyVehicleRequestToken(opts: { token: string; vin: string; publicJwk: JWK; issuer: string; nowSeconds: number }): Promise<{ jti: string; exp: number }> {
  const problem = strictJwsProblem(opts.token);
  if (problem !== null) throw new DigitalKeyError('UNAUTHENTICATED', problem.message);
  try {
    const key = await importJWK({ ...opts.publicJwk, alg: 'ES256' }, 'ES256');
    const { payload } = await jwtVerify(opts.token, key, {
      algorithms: ['ES256'],
      typ: VEHICLE_TOKEN_TYP,
      issuer: opts.vin,
      subject: opts.vin,
      audience: vehicleApiAudience(opts.issuer),
      requiredClaims: ['iat', 'exp', 'jti', 'sub', 'iss', 'aud'],
      currentDate: new Date(opts.nowSeconds * 1000),
      maxTokenAge: MAX_VEHICLE_TOKEN_SECONDS,
      clockTolerance: 5,
    });
    const { iat, exp, jti } = vehicleTokenClaimsSchema.parse(payload);
    if (exp - iat > MAX_VEHICLE_TOKEN_SECONDS || iat > opts.nowSeconds + 5) throw new DigitalKeyError('UNAUTHENTICATED');
    return { jti, exp };
  } catch (err) {
    if (err instanceof DigitalKeyError) throw err;
    if (err instanceof errors.JOSEError || err instanceof Error) throw new DigitalKeyError('UNAUTHENTICATED', undefined, { cause: err });
    throw err;
  }
}
