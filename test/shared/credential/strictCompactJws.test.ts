/**
 * Strict JWS parsing: a token has one reading. Repeated header or claim names and slack in an
 * encoding are refused for every JWS the product verifies — trust updates, session tokens and the
 * vehicle's signed requests — with the kind's own error code. (Key credentials and state manifests
 * are COSE now: their strictness cases are in signedCwt.test.ts.)
 */
import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { TRUST_UPDATE_AUDIENCE, TRUST_UPDATE_TYP, trustedIssuerKey, verifyTrustUpdate } from '../../../shared/credential/trustUpdate.js';
import { duplicateMemberName, strictJwsProblem } from '../../../shared/credential/strictCompactJws.js';
import { claimedVin, signVehicleRequestToken, verifyVehicleRequestToken } from '../../../shared/credential/vehicleRequestToken.js';
import { issueSessionToken, verifySessionToken } from '../../../server/accounts/sessionTokens.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import { ISSUER, NOW, OTHER_VIN, VIN, makeIssuer, nonCanonicalSignature, signRawText, type TestIssuer } from '../../support/tokenFixtures.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await makeIssuer();
});

/** JSON text of an object with one member written twice: first `first`, then the object's own value. */
function withRepeatedMember(value: Record<string, unknown>, name: string, first: unknown): string {
  return `{${JSON.stringify(name)}:${JSON.stringify(first)},${JSON.stringify(value).slice(1)}`;
}

describe('duplicateMemberName', () => {
  it.each([
    ['{"a":1,"b":2}', null],
    ['{"a":1,"a":2}', 'a'],
    ['{"aud":"X","\\u0061ud":"Y"}', 'aud'],
    ['{"a":{"b":1,"c":{"b":2}},"b":[{"a":1},{"a":2}]}', null],
    ['{"a":{"b":1,"b":2}}', 'b'],
    ['{"a":"a","b":"a"}', null],
    ['{"a\\"":1,"a\\"":2}', 'a"'],
    ['[{"x":1},{"x":1,"x":2}]', 'x'],
  ])('%s → %s', (json, duplicate) => {
    expect(duplicateMemberName(json)).toBe(duplicate);
  });
});

describe('trust updates (the issuer-signed JWS a vehicle takes new keys from)', () => {
  const verify = (token: string) => verifyTrustUpdate({ token, trust: issuer.trust, nowSeconds: NOW });
  const header = () => ({ alg: 'ES256', typ: TRUST_UPDATE_TYP, kid: issuer.key.kid });
  let claims: Record<string, unknown>;
  let attackerKey: Record<string, unknown>;
  beforeAll(async () => {
    claims = { iss: ISSUER, aud: TRUST_UPDATE_AUDIENCE, iat: NOW, keys: [await trustedIssuerKey(issuer.key.publicJwk)] };
    attackerKey = await trustedIssuerKey((await LocalIssuerKey.generate()).publicJwk);
  });

  it('the well-formed control token verifies; a payload segment with a stray character is a structure problem', async () => {
    const token = await signRawText(issuer.key, JSON.stringify(header()), JSON.stringify(claims));
    expect(strictJwsProblem(token)).toBeNull();
    await expect(verify(token)).resolves.toMatchObject({ aud: TRUST_UPDATE_AUDIENCE });
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    expect(strictJwsProblem(`${token.split('.')[0]}.${payload}A.${token.split('.')[2]}`)).toMatchObject({ in: 'structure' });
  });

  it("attack: an update listing keys twice (the attacker's key set first) is refused, not judged by the last one", async () => {
    const token = await signRawText(issuer.key, JSON.stringify(header()), withRepeatedMember(claims, 'keys', [attackerKey]));
    await expectRejectsWithCode(verify(token), 'BAD_STATE');
  });

  it('attack: an update with two aud members (a VIN first) is refused', async () => {
    const token = await signRawText(issuer.key, JSON.stringify(header()), withRepeatedMember(claims, 'aud', VIN));
    await expectRejectsWithCode(verify(token), 'BAD_STATE');
  });

  it('attack: a header with alg twice ("none", then "ES256") is refused', async () => {
    const token = await signRawText(issuer.key, withRepeatedMember(header(), 'alg', 'none'), JSON.stringify(claims));
    await expectRejectsWithCode(verify(token), 'BAD_STATE');
  });

  it('attack: the same signature spelled with unused base64url bits set is refused as a bad signature', async () => {
    const token = await signRawText(issuer.key, JSON.stringify(header()), JSON.stringify(claims));
    const respelled = nonCanonicalSignature(token);
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(token.split('.')[2]!, 'base64url'));
    await expectRejectsWithCode(verify(respelled), 'BAD_SIGNATURE');
  });

  it('attack: a signature with a byte appended is refused', async () => {
    const token = await signRawText(issuer.key, JSON.stringify(header()), JSON.stringify(claims));
    const [h, p, sig] = token.split('.') as [string, string, string];
    const longer = `${h}.${p}.${Buffer.concat([Buffer.from(sig, 'base64url'), Buffer.from([0])]).toString('base64url')}`;
    await expectRejectsWithCode(verify(longer), 'BAD_SIGNATURE');
  });
});

describe('session tokens', () => {
  it('attack: a session naming another account first in a repeated sub is refused', async () => {
    const token = await issueSessionToken({ key: issuer.key, issuer: ISSUER, accountId: 'acct_AAAAAAAAAAAAAAAAAAAAAA', passkeyId: 'pk_AAAAAAAAAAAAAAAAAAAAAA', generation: 0, nowSeconds: NOW, ttlSeconds: 900 });
    await expect(verifySessionToken({ token, trust: issuer.trust, nowSeconds: NOW })).resolves.toMatchObject({ accountId: 'acct_AAAAAAAAAAAAAAAAAAAAAA' });
    const [h, p] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const header = Buffer.from(h, 'base64url').toString();
    const forged = await signRawText(issuer.key, header, withRepeatedMember(claims, 'sub', 'acct_BBBBBBBBBBBBBBBBBBBBBB'));
    await expectRejectsWithCode(verifySessionToken({ token: forged, trust: issuer.trust, nowSeconds: NOW }), 'UNAUTHENTICATED');
    await expectRejectsWithCode(verifySessionToken({ token: nonCanonicalSignature(token), trust: issuer.trust, nowSeconds: NOW }), 'UNAUTHENTICATED');
  });
});

describe("a vehicle's signed requests", () => {
  it('attack: a repeated sub (another VIN first) or a respelled signature is refused', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    const token = await signVehicleRequestToken({ vin: VIN, privateKey: privateKey.export({ format: 'jwk' }) as JWK, issuer: ISSUER, nowSeconds: NOW });
    const verify = (t: string) => verifyVehicleRequestToken({ token: t, vin: VIN, publicJwk, issuer: ISSUER, nowSeconds: NOW });
    await expect(verify(token)).resolves.toMatchObject({ jti: expect.any(String) });
    const [h, p] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const vehicleKey = { kid: 'vehicle', alg: 'ES256' as const, publicJwk, sign: async (input: Uint8Array) => {
      const { sign } = await import('node:crypto');
      return new Uint8Array(sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    } };
    const repeated = await signRawText(vehicleKey, Buffer.from(h, 'base64url').toString(), withRepeatedMember(claims, 'sub', OTHER_VIN));
    expect(() => claimedVin(repeated)).toThrow();
    await expectRejectsWithCode(verify(repeated), 'UNAUTHENTICATED');
    await expectRejectsWithCode(verify(nonCanonicalSignature(token)), 'UNAUTHENTICATED');
  });
});
