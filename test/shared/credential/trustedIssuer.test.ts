/**
 * What a verifier trusts: the issuer's provisioned JWKS, and nothing the token says about keys.
 * Key rotation and removal must take effect at once, also when the same JWKS object is updated in
 * place (the verifier caches jose key sets per JWKS object).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { KEY_CREDENTIAL_TYP, issueKeyCredential } from '../../../shared/credential/keyCredential.js';
import { verifyIssuerToken, type TrustedIssuer } from '../../../shared/credential/trustedIssuer.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import { ISSUER, NOW, VIN, credentialClaims, issuerHeader, signRaw } from '../../support/tokenFixtures.js';

let current: LocalIssuerKey;
let next: LocalIssuerKey;

beforeAll(async () => {
  current = await LocalIssuerKey.generate();
  next = await LocalIssuerKey.generate();
});

function verify(token: string, trust: TrustedIssuer, malformed: 'BAD_CREDENTIAL' | 'BAD_STATE' = 'BAD_CREDENTIAL') {
  return verifyIssuerToken({
    token,
    trust,
    typ: KEY_CREDENTIAL_TYP,
    audience: VIN,
    requiredClaims: ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp'],
    nowSeconds: NOW,
    clockToleranceSeconds: 60,
    malformed,
  });
}

const issueWith = (key: LocalIssuerKey) => issueKeyCredential({ key, claims: credentialClaims() });

describe('key rotation', () => {
  it('a JWKS with the current and the next key accepts tokens of both', async () => {
    const trust = { issuer: ISSUER, jwks: { keys: [current.publicJwk, next.publicJwk] } };
    await expect(verify(await issueWith(current), trust)).resolves.toMatchObject({ sub: credentialClaims().sub });
    await expect(verify(await issueWith(next), trust)).resolves.toMatchObject({ sub: credentialClaims().sub });
  });

  it('a key dropped from a new JWKS object is no longer trusted → BAD_SIGNATURE', async () => {
    const token = await issueWith(current);
    await expect(verify(token, { issuer: ISSUER, jwks: { keys: [current.publicJwk, next.publicJwk] } })).resolves.toMatchObject({ sub: credentialClaims().sub, aud: credentialClaims().aud });
    await expectRejectsWithCode(verify(token, { issuer: ISSUER, jwks: { keys: [next.publicJwk] } }), 'BAD_SIGNATURE');
  });

  it('a compromised key removed from the same JWKS object in place is no longer trusted → BAD_SIGNATURE', async () => {
    const trust = { issuer: ISSUER, jwks: { keys: [current.publicJwk, next.publicJwk] } };
    const token = await issueWith(current);
    await expect(verify(token, trust)).resolves.toMatchObject({ sub: credentialClaims().sub, aud: credentialClaims().aud }); // warms the key-set cache
    trust.jwks.keys.splice(0, 1);
    await expectRejectsWithCode(verify(token, trust), 'BAD_SIGNATURE');
  });

  it('a key added to the same JWKS object in place is trusted on the next verify', async () => {
    const trust = { issuer: ISSUER, jwks: { keys: [current.publicJwk] } };
    const token = await issueWith(next);
    await expectRejectsWithCode(verify(token, trust), 'BAD_SIGNATURE');
    trust.jwks.keys.push(next.publicJwk);
    await expect(verify(token, trust)).resolves.toMatchObject({ sub: credentialClaims().sub, aud: credentialClaims().aud });
  });

  it('a token without kid is checked against the only trusted key, and refused when it does not match', async () => {
    const trust = { issuer: ISSUER, jwks: { keys: [current.publicJwk] } };
    const header = { alg: 'ES256', typ: KEY_CREDENTIAL_TYP };
    await expect(verify(await signRaw(current, header, credentialClaims()), trust)).resolves.toMatchObject({ sub: credentialClaims().sub, aud: credentialClaims().aud });
    await expectRejectsWithCode(verify(await signRaw(next, header, credentialClaims()), trust), 'BAD_SIGNATURE');
  });
});

describe('provisioning mistakes fail closed', () => {
  it('an empty JWKS trusts nothing → BAD_SIGNATURE', async () => {
    await expectRejectsWithCode(verify(await issueWith(current), { issuer: ISSUER, jwks: { keys: [] } }), 'BAD_SIGNATURE');
  });

  it('a trusted key marked for encryption (use: enc) is not used to verify → BAD_SIGNATURE', async () => {
    const trust = { issuer: ISSUER, jwks: { keys: [{ ...current.publicJwk, use: 'enc' }] } };
    await expectRejectsWithCode(verify(await issueWith(current), trust), 'BAD_SIGNATURE');
  });

  it('the malformed code is the token kind\'s own (BAD_STATE for manifests)', async () => {
    const trust = { issuer: ISSUER, jwks: { keys: [current.publicJwk] } };
    const token = await signRaw(current, { ...issuerHeader(current), jku: 'https://attacker.example/jwks.json' }, credentialClaims());
    await expectRejectsWithCode(verify(token, trust, 'BAD_STATE'), 'BAD_STATE');
  });
});
