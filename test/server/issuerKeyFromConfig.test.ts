/** ISSUER_EXTRA_JWKS (issuer key rotation): public keys are published, private ones also sign; bad values are refused with a sentence. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { otherIssuerKeysFromConfig } from '../../server/issuerKeyFromConfig.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';

const config = (extra: string | undefined) => loadConfig({ LOG_LEVEL: 'silent', ...(extra === undefined ? {} : { ISSUER_EXTRA_JWKS: extra }) });

describe('ISSUER_EXTRA_JWKS', () => {
  it('unset: no other key', async () => {
    expect(await otherIssuerKeysFromConfig(config(undefined))).toEqual([]);
  });

  it('a public JWK is published without a signer; a private one signs as itself and is published without d', async () => {
    const next = await LocalIssuerKey.generate();
    const previous = await LocalIssuerKey.generate();
    const others = await otherIssuerKeysFromConfig(config(JSON.stringify([next.publicJwk, previous.exportPrivateJwk()])));
    expect(others.map((o) => [o.publicJwk.kid, o.signer?.kid ?? null])).toEqual([
      [next.kid, null],
      [previous.kid, previous.kid],
    ]);
    expect(others.every((o) => !('d' in o.publicJwk))).toBe(true);
  });

  it('refuses what is not JSON, not an array of P-256 JWKs, too many keys, or a kid that is not the thumbprint', async () => {
    const key = await LocalIssuerKey.generate();
    await expect(otherIssuerKeysFromConfig(config('{nope'))).rejects.toThrow('ISSUER_EXTRA_JWKS is not JSON');
    await expect(otherIssuerKeysFromConfig(config(JSON.stringify({ keys: [key.publicJwk] })))).rejects.toThrow(/JSON array of at most 3 P-256 EC JWKs/);
    await expect(otherIssuerKeysFromConfig(config(JSON.stringify([{ ...key.publicJwk, crv: 'P-384' }])))).rejects.toThrow(/P-256/);
    await expect(otherIssuerKeysFromConfig(config(JSON.stringify(Array.from({ length: 4 }, () => key.publicJwk))))).rejects.toThrow(/at most 3/);
    await expect(otherIssuerKeysFromConfig(config(JSON.stringify([{ ...key.publicJwk, kid: 'mine' }])))).rejects.toThrow(/thumbprint/);
  });
});
