/**
 * The trusted issuer keys as COSE credentials and manifests name them: an 8-byte kid that is the
 * first 8 bytes of the key's RFC 7638 thumbprint, computed from the provisioned public key (never
 * from the JWKS's own `kid` text). Only P-256 signing keys for ES256 are trusted, and a change to
 * the JWKS — also in place, on the same object — takes effect on the next verify.
 */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { COSE_KID_BYTES, coseKidOf, trustedCoseKey } from '../../../shared/credential/issuerCoseKeys.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { issueKeyCredential, verifyKeyCredential } from '../../../shared/credential/keyCredential.js';
import { signStateManifest, verifyStateManifest } from '../../../shared/credential/stateManifest.js';
import type { TrustedIssuer } from '../../../shared/credential/trustedIssuer.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import { ISSUER, KEY_ID, NOW, VIN, coseParts, credentialClaims, manifestClaims, toHex } from '../../support/tokenFixtures.js';

let current: LocalIssuerKey;
let next: LocalIssuerKey;
let credential: Uint8Array;

beforeAll(async () => {
  current = await LocalIssuerKey.generate();
  next = await LocalIssuerKey.generate();
  credential = await issueKeyCredential({ key: current, claims: credentialClaims() });
});

const trustOf = (...keys: JWK[]): TrustedIssuer => ({ issuer: ISSUER, jwks: { keys } });
const verify = (token: Uint8Array, trust: TrustedIssuer) => verifyKeyCredential({ credential: token, trust, vin: VIN, nowSeconds: NOW });

describe('coseKidOf', () => {
  it('is the first 8 bytes of the RFC 7638 SHA-256 thumbprint (RFC 8392 A.2.3 key, checked against jose)', async () => {
    const a23 = {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from('143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f', 'hex').toString('base64url'),
      y: Buffer.from('60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9', 'hex').toString('base64url'),
    };
    expect(toHex(coseKidOf(a23))).toBe('2944fa8cf52aab3e');
    expect(toHex(coseKidOf(a23))).toBe(Buffer.from(await calculateJwkThumbprint(a23, 'sha256'), 'base64url').subarray(0, 8).toString('hex'));
  });

  it('ignores every member but kty, crv, x and y (the JWKS kid, alg and use do not change it)', () => {
    expect(coseKidOf({ ...current.publicJwk, kid: 'something-else' } as JWK)).toEqual(coseKidOf(current.publicJwk));
    expect(coseKidOf(current.publicJwk)).toHaveLength(COSE_KID_BYTES);
  });

  it('is what the issuer puts in the protected header of its credentials', () => {
    expect(toHex(coseParts(credential).protectedBytes)).toContain(`0448${toHex(coseKidOf(current.publicJwk))}`);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an RSA key', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
    ['a P-384 key', { kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' }],
    ['a P-256 key without y', { kty: 'EC', crv: 'P-256', x: 'AA' }],
  ])('refuses %s', (_name, jwk) => {
    expect(() => coseKidOf(jwk as JWK)).toThrow(TypeError);
  });
});

describe('trustedCoseKey', () => {
  it('finds a provisioned key by its COSE kid, and nothing for a kid of another length', () => {
    const trust = trustOf(current.publicJwk, next.publicJwk);
    expect(trustedCoseKey(trust, coseKidOf(next.publicJwk))?.export({ format: 'jwk' })).toMatchObject({ x: next.publicJwk.x, y: next.publicJwk.y });
    expect(trustedCoseKey(trust, coseKidOf(next.publicJwk).subarray(0, 7))).toBeUndefined();
    expect(trustedCoseKey(trust, new Uint8Array(8))).toBeUndefined();
  });

  it("finds a key by its public key even when the JWKS's kid text is wrong: the kid member is never trusted", () => {
    const trust = trustOf({ ...current.publicJwk, kid: next.kid });
    expect(verify(credential, trust)).toMatchObject({ sub: KEY_ID });
    expect(trustedCoseKey(trust, coseKidOf(next.publicJwk))).toBeUndefined();
  });
});

describe('key rotation for COSE tokens', () => {
  it('a JWKS with the current and the next key accepts credentials and manifests of both', async () => {
    const trust = trustOf(current.publicJwk, next.publicJwk);
    for (const key of [current, next]) {
      expect(verify(await issueKeyCredential({ key, claims: credentialClaims() }), trust)).toMatchObject({ sub: KEY_ID });
      expect(verifyStateManifest({ manifest: await signStateManifest({ key, claims: manifestClaims() }), trust, vin: VIN, nowSeconds: NOW })).toMatchObject({ seq: 7 });
    }
  });

  it('a key dropped from a new JWKS object is no longer trusted → BAD_SIGNATURE', () => {
    expect(verify(credential, trustOf(current.publicJwk, next.publicJwk))).toMatchObject({ sub: KEY_ID });
    expectThrowsWithCode(() => verify(credential, trustOf(next.publicJwk)), 'BAD_SIGNATURE');
  });

  it('a compromised key removed from the same JWKS object in place stops verifying at once → BAD_SIGNATURE', () => {
    const trust = trustOf(current.publicJwk, next.publicJwk);
    expect(verify(credential, trust)).toMatchObject({ sub: KEY_ID }); // warms the key cache
    trust.jwks.keys.splice(0, 1);
    expectThrowsWithCode(() => verify(credential, trust), 'BAD_SIGNATURE');
  });

  it('a key added to the same JWKS object in place is trusted on the next verify', () => {
    const trust = trustOf(next.publicJwk);
    expectThrowsWithCode(() => verify(credential, trust), 'BAD_SIGNATURE');
    trust.jwks.keys.push(current.publicJwk);
    expect(verify(credential, trust)).toMatchObject({ sub: KEY_ID });
  });

  it('a key changed in place (x replaced with another key’s) stops verifying', () => {
    const trust = trustOf({ ...current.publicJwk });
    expect(verify(credential, trust)).toMatchObject({ sub: KEY_ID });
    trust.jwks.keys[0]!.x = next.publicJwk.x!;
    expectThrowsWithCode(() => verify(credential, trust), 'BAD_SIGNATURE');
  });
});

describe('only P-256 signing keys for ES256 are trusted (provisioning mistakes fail closed)', () => {
  it('an empty JWKS trusts nothing → BAD_SIGNATURE', () => {
    expectThrowsWithCode(() => verify(credential, trustOf()), 'BAD_SIGNATURE');
  });

  it.each<[string, Partial<JWK>]>([
    ['use "enc"', { use: 'enc' }],
    ['use "" (empty)', { use: '' }],
    ['alg "ES384"', { alg: 'ES384' }],
    ['alg "ECDH-ES"', { alg: 'ECDH-ES' }],
    ['alg "es256" (case matters)', { alg: 'es256' }],
    ['alg "HS256"', { alg: 'HS256' }],
  ])('the issuer key marked %s is not used to verify → BAD_SIGNATURE', (_name, change) => {
    expectThrowsWithCode(() => verify(credential, trustOf({ ...current.publicJwk, ...change })), 'BAD_SIGNATURE');
  });

  it('the same key without alg and use is trusted (both are optional in a JWK)', () => {
    const { alg: _alg, use: _use, ...bare } = current.publicJwk;
    expect(verify(credential, trustOf(bare))).toMatchObject({ sub: KEY_ID });
  });

  it('a malformed key in the set is skipped; the good one beside it still verifies', () => {
    const broken = { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', alg: 'ES256', use: 'sig' };
    expect(verify(credential, trustOf(broken, current.publicJwk))).toMatchObject({ sub: KEY_ID });
    expectThrowsWithCode(() => verify(credential, trustOf(broken)), 'BAD_SIGNATURE');
  });

  it('a P-384 key in the set is never used', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }) as JWK;
    expectThrowsWithCode(() => verify(credential, trustOf(p384)), 'BAD_SIGNATURE');
  });
});

describe('trustedCoseKey imports a key set once per content', () => {
  it('an equal key set in a new object (a car builds its trust afresh for every command) gives the same imported key', () => {
    const kid = coseKidOf(current.publicJwk);
    const first = trustedCoseKey(trustOf(current.publicJwk), kid);
    const again = trustedCoseKey(trustOf({ ...current.publicJwk }), kid);
    expect(first).toBeDefined();
    expect(again).toBe(first);
    // Another content is another set: the key is imported for it.
    expect(trustedCoseKey(trustOf(next.publicJwk, current.publicJwk), kid)).not.toBe(first);
  });
});
