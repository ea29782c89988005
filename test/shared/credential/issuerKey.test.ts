/**
 * The issuer's ES256 signing key behind the IssuerSigningKey interface, and the compact JWS it
 * signs: what jose (the verifier's library) must accept, and what the key refuses to load.
 */
import { createPublicKey, generateKeyPairSync, verify as nodeVerify, type JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { signCompactJws } from '../../../shared/credential/signCompactJws.js';

describe('LocalIssuerKey', () => {
  it('publishes a public JWK only, with kid = its RFC 7638 thumbprint, alg ES256, use sig', async () => {
    const key = await LocalIssuerKey.generate();
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: key.kid });
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
  });

  it('reloads from its exported private JWK with the same kid', async () => {
    const key = await LocalIssuerKey.generate();
    const again = await LocalIssuerKey.fromPrivateJwk(key.exportPrivateJwk());
    expect(again.kid).toBe(key.kid);
    expect(again.publicJwk).toEqual(key.publicJwk);
  });

  it('signs raw P1363 signatures (r || s, 64 bytes) that verify with the public key', async () => {
    const key = await LocalIssuerKey.generate();
    const input = new TextEncoder().encode('signing input');
    const signature = await key.sign(input);
    expect(signature).toHaveLength(64);
    const publicKey = createPublicKey({ key: key.publicJwk as JsonWebKey, format: 'jwk' });
    expect(nodeVerify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it.each([
    ['a public JWK (no d)', async () => (await LocalIssuerKey.generate()).publicJwk],
    ['a P-384 key', async () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })],
    ['an RSA key', async () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })],
    ['an Ed25519 key', async () => generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })],
  ])('refuses to load %s as the issuer key', async (_name, makeJwk) => {
    await expect(LocalIssuerKey.fromPrivateJwk((await makeJwk()) as Parameters<typeof LocalIssuerKey.fromPrivateJwk>[0])).rejects.toThrow(TypeError);
  });
});

describe('signCompactJws', () => {
  it('makes a compact JWS jose verifies, with exactly {alg, typ, kid} and the payload as JSON', async () => {
    const key = await LocalIssuerKey.generate();
    const jws = await signCompactJws({ key, typ: 'sdk-test+jwt', payload: { hello: 'car', n: 1 } });
    const { protectedHeader, payload } = await compactVerify(jws, await importJWK(key.publicJwk, 'ES256'), { algorithms: ['ES256'] });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'sdk-test+jwt', kid: key.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ hello: 'car', n: 1 });
    expect(jws).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
  });
});
