/** The issuer signing key the configuration names (or a fresh development key), and the other issuer keys of a rotation. */
import { z } from 'zod';
import { LocalIssuerKey, type IssuerSigningKey } from '../shared/credential/issuerKey.js';
import { trustedIssuerKey } from '../shared/credential/trustUpdate.js';
import type { Config } from './config.js';
import type { OtherIssuerKey } from './vehicles/trustUpdates.js';

/** A private P-256 key as a JWK: the only kind of issuer key there is (ES256). */
const issuerPrivateJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string() });

/** A setting that holds JSON, parsed; a sentence naming it when it is not JSON. */
function jsonSetting(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${name} is not JSON`);
  }
}

export async function issuerKeyFromConfig(config: Pick<Config, 'ISSUER_PRIVATE_JWK'>): Promise<IssuerSigningKey> {
  if (!config.ISSUER_PRIVATE_JWK) return LocalIssuerKey.generate();
  const jwk = issuerPrivateJwkSchema.safeParse(jsonSetting('ISSUER_PRIVATE_JWK', config.ISSUER_PRIVATE_JWK));
  if (!jwk.success) throw new TypeError('ISSUER_PRIVATE_JWK must be a private P-256 EC JWK (kty "EC", crv "P-256", x, y and d)');
  return LocalIssuerKey.fromPrivateJwk(jwk.data);
}

/** ISSUER_EXTRA_JWKS: a JSON array of P-256 JWKs, each public (published, trusted) or private (also co-signs trust updates). */
const extraJwksSchema = z
  .array(z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string().exactOptional(), kid: z.string().exactOptional() }))
  .max(3);

export async function otherIssuerKeysFromConfig(config: Config): Promise<OtherIssuerKey[]> {
  if (!config.ISSUER_EXTRA_JWKS) return [];
  const jwks = extraJwksSchema.safeParse(jsonSetting('ISSUER_EXTRA_JWKS', config.ISSUER_EXTRA_JWKS));
  if (!jwks.success) throw new TypeError('ISSUER_EXTRA_JWKS must be a JSON array of at most 3 P-256 EC JWKs (kty "EC", crv "P-256", x, y; d for a private one)');
  return Promise.all(
    jwks.data.map(async (jwk) => {
      if (jwk.d === undefined) return { publicJwk: await trustedIssuerKey(jwk), signer: null };
      const signer = await LocalIssuerKey.fromPrivateJwk({ ...jwk, d: jwk.d });
      return { publicJwk: signer.publicJwk, signer };
    }),
  );
}
