/**
 * The state manifest: the signed revocation state of one vehicle (DESIGN.md §2), `typ:
 * sdk-state+jwt`. `seq` only grows; `ep` is the key epoch (a wipe is one increment); `revoked` lists
 * individually revoked key ids until their last credential could have expired. Its own `typ` means a
 * manifest can never pass as a key credential, nor the reverse.
 */
import { z } from 'zod';
import { idSchema, vinSchema } from '../ids.js';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { IssuerSigningKey } from './issuerKey.js';
import { signCompactJws } from './signCompactJws.js';
import { verifyStateToken, type TrustedIssuer } from './trustedIssuer.js';

export const STATE_MANIFEST_TYP = 'sdk-state+jwt';

export const stateManifestClaimsSchema = z.object({
  iss: z.string().min(1),
  aud: vinSchema,
  iat: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  ep: z.number().int().nonnegative(),
  revoked: z.array(idSchema).max(1000),
});

export type StateManifestClaims = z.infer<typeof stateManifestClaimsSchema>;

export async function signStateManifest(opts: { key: IssuerSigningKey; claims: StateManifestClaims }): Promise<string> {
  const claims = stateManifestClaimsSchema.parse(opts.claims);
  return signCompactJws({ key: opts.key, typ: STATE_MANIFEST_TYP, payload: claims });
}

/** Verify a manifest for this VIN. Throws DigitalKeyError BAD_SIGNATURE, BAD_STATE or WRONG_VEHICLE. */
export async function verifyStateManifest(opts: {
  manifest: string;
  trust: TrustedIssuer;
  vin: string;
  nowSeconds: number;
}): Promise<StateManifestClaims> {
  const payload = await verifyStateToken({ token: opts.manifest, trust: opts.trust, typ: STATE_MANIFEST_TYP, audience: opts.vin, nowSeconds: opts.nowSeconds, what: 'manifest' });
  const parsed = stateManifestClaimsSchema.safeParse(payload);
  if (!parsed.success) throw new DigitalKeyError('BAD_STATE', 'manifest claims do not match the schema');
  return parsed.data;
}
