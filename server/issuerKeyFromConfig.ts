/** The issuer signing key the configuration names, or a fresh development key. */
import { z } from 'zod';
import { LocalIssuerKey, type IssuerSigningKey } from '../shared/credential/issuerKey.js';
import type { Config } from './config.js';

/** A private P-256 key as a JWK: the only kind of issuer key there is (ES256). */
const issuerPrivateJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string() });

export async function issuerKeyFromConfig(config: Config): Promise<IssuerSigningKey> {
  if (!config.ISSUER_PRIVATE_JWK) return LocalIssuerKey.generate();
  let json: unknown;
  try {
    json = JSON.parse(config.ISSUER_PRIVATE_JWK);
  } catch {
    throw new Error('ISSUER_PRIVATE_JWK is not JSON');
  }
  const jwk = issuerPrivateJwkSchema.safeParse(json);
  if (!jwk.success) throw new TypeError('ISSUER_PRIVATE_JWK must be a private P-256 EC JWK (kty "EC", crv "P-256", x, y and d)');
  return LocalIssuerKey.fromPrivateJwk(jwk.data);
}
