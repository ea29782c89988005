/**
 * The state manifest: the signed revocation state of one vehicle (DESIGN.md §2), a CWT in a
 * COSE_Sign1 of kind `sdk-state+cwt` (signedCwt.ts), so it can never pass as a key credential nor
 * the reverse. `seq` only grows; `ep` is the key epoch (a wipe is one increment); `revoked` names
 * the individually revoked keys whose credentials could still be unexpired, each by an 8-byte
 * digest of its key id (revokedKeyDigest.ts). Claims:
 *
 * | key | claim | value |
 * |---|---|---|
 * | 3 | aud | the VIN |
 * | 6 | iat | seconds (moves the car's trusted time forward) |
 * | -65538 | sdk-state | `[seq, ep, [digest (8 bytes), …]]` |
 *
 * As for credentials, `iss` is the issuer whose provisioned key verifies the signature.
 */
import { z } from 'zod';
import { idSchema, isVin, vinSchema, type Vin } from '../ids.js';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { IssuerSigningKey } from './issuerKey.js';
import { REVOKED_DIGEST_BYTES, revokedKeyDigest } from './revokedKeyDigest.js';
import { claimKeysProblem, CWT_CLAIM, isUint, readCwtClaims, signCwt, verifyCwt } from './signedCwt.js';
import type { TrustedIssuer } from './trustedIssuer.js';

export const STATE_MANIFEST_TYP = 'sdk-state+cwt';
/** Private-use claim key of `[seq, ep, revoked]`. */
export const SDK_STATE_CLAIM = -65538;
/** The most revocations one manifest carries. */
export const MAX_REVOKED = 1000;
/** A `state` claim's `iat` may be this far ahead of the car's clock (a car with a slow clock still takes it). */
const FUTURE_IAT_TOLERANCE_SECONDS = 86_400;

/** What the issuer signs: the revoked keys by id. */
export const stateManifestClaimsSchema = z.object({
  iss: z.string().min(1),
  aud: vinSchema,
  iat: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  ep: z.number().int().nonnegative(),
  revoked: z.array(idSchema).max(MAX_REVOKED),
});
export type StateManifestClaims = z.infer<typeof stateManifestClaimsSchema>;

/** A manifest as a verifier reads it: the revoked keys as hex digests. */
export interface StateManifest {
  iss: string;
  aud: Vin;
  iat: number;
  seq: number;
  ep: number;
  /** Revoked keys, each as the 16 hex characters of its revokedKeyDigest. */
  revoked: string[];
}

export async function signStateManifest(opts: { key: IssuerSigningKey; claims: StateManifestClaims }): Promise<Uint8Array> {
  const c = stateManifestClaimsSchema.parse(opts.claims);
  const claims = new Map<number, unknown>([
    [CWT_CLAIM.aud, c.aud],
    [CWT_CLAIM.iat, c.iat],
    [SDK_STATE_CLAIM, [c.seq, c.ep, c.revoked.map(revokedKeyDigest)]],
  ]);
  return signCwt({ key: opts.key, typ: STATE_MANIFEST_TYP, claims });
}

const REQUIRED = [CWT_CLAIM.aud, CWT_CLAIM.iat, SDK_STATE_CLAIM];

/** The manifest's claims from its map (hand-checked, as for credentials), or throws BAD_STATE. */
function manifestOf(claims: Map<number, unknown>, issuer: string): StateManifest {
  const bad = (why: string) => new DigitalKeyError('BAD_STATE', why);
  const problem = claimKeysProblem(claims, REQUIRED, REQUIRED);
  if (problem !== null) throw bad(problem);
  const aud = claims.get(CWT_CLAIM.aud);
  const iat = claims.get(CWT_CLAIM.iat);
  const state = claims.get(SDK_STATE_CLAIM);
  if (!isVin(aud) || !isUint(iat)) throw bad('manifest claims do not match the schema');
  if (!Array.isArray(state) || state.length !== 3) throw bad('manifest claims do not match the schema');
  const [seq, ep, revoked]: unknown[] = state;
  if (!isUint(seq) || !isUint(ep) || !Array.isArray(revoked) || revoked.length > MAX_REVOKED) throw bad('manifest claims do not match the schema');
  const digests: string[] = [];
  for (const d of revoked) {
    if (!(d instanceof Uint8Array) || d.length !== REVOKED_DIGEST_BYTES) throw bad('manifest claims do not match the schema');
    digests.push(Buffer.from(d).toString('hex'));
  }
  return { iss: issuer, aud, iat, seq, ep, revoked: digests };
}

/** Verify a manifest for this VIN. Throws DigitalKeyError BAD_SIGNATURE, BAD_STATE or WRONG_VEHICLE. */
export function verifyStateManifest(opts: { manifest: Uint8Array; trust: TrustedIssuer; vin: string; nowSeconds: number }): StateManifest {
  const claims = verifyCwt({ token: opts.manifest, trust: opts.trust, typ: STATE_MANIFEST_TYP, malformed: 'BAD_STATE' });
  const manifest = manifestOf(claims, opts.trust.issuer);
  if (manifest.aud !== opts.vin) throw new DigitalKeyError('WRONG_VEHICLE');
  if (manifest.iat > opts.nowSeconds + FUTURE_IAT_TOLERANCE_SECONDS) throw new DigitalKeyError('BAD_STATE', 'manifest outside its time bounds');
  return manifest;
}

/** A manifest's claims without verifying them (a phone comparing seqs, a test). */
export function readStateManifest(manifest: Uint8Array): StateManifest {
  return manifestOf(readCwtClaims(manifest), '');
}
