/** The issuer signing key the configuration names, or a fresh development key. */
import type { JWK } from 'jose';
import { LocalIssuerKey, type IssuerSigningKey } from '../shared/credential/issuerKey.js';
import type { Config } from './config.js';

export async function issuerKeyFromConfig(config: Config): Promise<IssuerSigningKey> {
  if (!config.ISSUER_PRIVATE_JWK) return LocalIssuerKey.generate();
  let jwk: JWK;
  try {
    jwk = JSON.parse(config.ISSUER_PRIVATE_JWK) as JWK;
  } catch {
    throw new Error('ISSUER_PRIVATE_JWK is not JSON');
  }
  return LocalIssuerKey.fromPrivateJwk(jwk);
}
