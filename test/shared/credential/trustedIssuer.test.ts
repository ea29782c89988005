/**
 * What a JWS verifier trusts (verifyIssuerToken, verifyStateToken): the issuer's provisioned JWKS,
 * and nothing the token says about keys. Trust updates are the issuer-signed JWS kind that remains
 * (key credentials and manifests are COSE: issuerCoseKeys.test.ts), so they carry these cases. Key
 * rotation and removal must take effect at once, also when the same JWKS object is updated in place
 * (the verifier caches jose key sets per JWKS object).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { verifyIssuerToken, type TrustedIssuer } from '../../../shared/credential/trustedIssuer.js';
import { TRUST_UPDATE_AUDIENCE, TRUST_UPDATE_TYP, signTrustUpdate, trustedIssuerKey, verifyTrustUpdate, type TrustUpdateClaims } from '../../../shared/credential/trustUpdate.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import {
  GARBAGE_TOKENS,
  ISSUER,
  KEY_NAMING_HEADERS,
  NOW,
  algNoneToken,
  embeddedJwkToken,
  flipSignatureBit,
  hs256KeyConfusionTokens,
  impostorKey,
  issuerHeader,
  jkuToken,
  replaceHeader,
  signRaw,
  tamperPayload,
  withoutClaims,
} from '../../support/tokenFixtures.js';

let current: LocalIssuerKey;
let next: LocalIssuerKey;
/** Trust-update claims naming `current` (what a trusted key may sign). */
let claims: TrustUpdateClaims;

beforeAll(async () => {
  current = await LocalIssuerKey.generate();
  next = await LocalIssuerKey.generate();
  claims = { iss: ISSUER, aud: TRUST_UPDATE_AUDIENCE, iat: NOW, keys: [await trustedIssuerKey(current.publicJwk)] };
});

/** The generic JWS verifier, as a trust-update verifier calls it (with a 60 s tolerance). */
function verify(token: string, trust: TrustedIssuer, malformed: 'BAD_CREDENTIAL' | 'BAD_STATE' = 'BAD_STATE') {
  return verifyIssuerToken({
    token,
    trust,
    typ: TRUST_UPDATE_TYP,
    audience: TRUST_UPDATE_AUDIENCE,
    requiredClaims: ['iss', 'aud', 'iat'],
    nowSeconds: NOW,
    clockToleranceSeconds: 60,
    malformed,
  });
}

const issueWith = (key: LocalIssuerKey) => signTrustUpdate({ key, issuer: ISSUER, keys: [current.publicJwk, next.publicJwk], nowSeconds: NOW });
const only = (...keys: LocalIssuerKey[]): TrustedIssuer => ({ issuer: ISSUER, jwks: { keys: keys.map((k) => k.publicJwk) } });

describe('key rotation', () => {
  it('a JWKS with the current and the next key accepts tokens of both', async () => {
    const trust = only(current, next);
    await expect(verify(await issueWith(current), trust)).resolves.toMatchObject({ iss: ISSUER, aud: TRUST_UPDATE_AUDIENCE });
    await expect(verify(await issueWith(next), trust)).resolves.toMatchObject({ iss: ISSUER, aud: TRUST_UPDATE_AUDIENCE });
  });

  it('a key dropped from a new JWKS object is no longer trusted → BAD_SIGNATURE', async () => {
    const token = await issueWith(current);
    await expect(verify(token, only(current, next))).resolves.toMatchObject({ iat: NOW });
    await expectRejectsWithCode(verify(token, only(next)), 'BAD_SIGNATURE');
  });

  it('a compromised key removed from the same JWKS object in place is no longer trusted → BAD_SIGNATURE', async () => {
    const trust = only(current, next);
    const token = await issueWith(current);
    await expect(verify(token, trust)).resolves.toMatchObject({ iat: NOW }); // warms the key-set cache
    trust.jwks.keys.splice(0, 1);
    await expectRejectsWithCode(verify(token, trust), 'BAD_SIGNATURE');
  });

  it('a key added to the same JWKS object in place is trusted on the next verify', async () => {
    const trust = only(current);
    const token = await issueWith(next);
    await expectRejectsWithCode(verify(token, trust), 'BAD_SIGNATURE');
    trust.jwks.keys.push(next.publicJwk);
    await expect(verify(token, trust)).resolves.toMatchObject({ iat: NOW });
  });

  it('a token without kid is checked against the only trusted key, and refused when it does not match', async () => {
    const header = { alg: 'ES256', typ: TRUST_UPDATE_TYP };
    await expect(verify(await signRaw(current, header, claims), only(current))).resolves.toMatchObject({ iat: NOW });
    await expectRejectsWithCode(verify(await signRaw(next, header, claims), only(current)), 'BAD_SIGNATURE');
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

  it("the malformed code is the token kind's own (BAD_CREDENTIAL when the caller says so)", async () => {
    const token = await signRaw(current, { ...issuerHeader(current), jku: 'https://attacker.example/jwks.json' }, claims);
    await expectRejectsWithCode(verify(token, only(current), 'BAD_CREDENTIAL'), 'BAD_CREDENTIAL');
    await expectRejectsWithCode(verify(token, only(current), 'BAD_STATE'), 'BAD_STATE');
  });
});

describe('trust updates: forged signatures are refused with BAD_SIGNATURE', () => {
  const verifyUpdate = (token: string) => verifyTrustUpdate({ token, trust: only(current), nowSeconds: NOW });

  it("payload tampering: the attacker's key added to a genuine update, original signature kept", async () => {
    const attacker = await trustedIssuerKey((await LocalIssuerKey.generate()).publicJwk);
    const forged = tamperPayload(await signTrustUpdate({ key: current, issuer: ISSUER, keys: [current.publicJwk], nowSeconds: NOW }), (p) => {
      p.keys = [attacker];
    });
    await expectRejectsWithCode(verifyUpdate(forged), 'BAD_SIGNATURE');
  });

  it('one flipped signature bit', async () => {
    await expectRejectsWithCode(verifyUpdate(flipSignatureBit(await issueWith(current))), 'BAD_SIGNATURE');
  });

  it('signature stripped (empty third segment) with alg still ES256', async () => {
    const [h, p] = (await issueWith(current)).split('.');
    await expectRejectsWithCode(verifyUpdate(`${h}.${p}.`), 'BAD_SIGNATURE');
  });

  it('key substitution: signed by another key that claims the trusted kid', async () => {
    const forged = await signTrustUpdate({ key: await impostorKey(current), issuer: ISSUER, keys: [current.publicJwk], nowSeconds: NOW });
    await expectRejectsWithCode(verifyUpdate(forged), 'BAD_SIGNATURE');
  });

  it('unknown kid: a genuine signature under a kid the vehicle does not know', async () => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, { ...issuerHeader(current), kid: 'retired-key-2019' }, claims)), 'BAD_SIGNATURE');
  });
});

describe('trust updates: algorithm attacks are refused with BAD_SIGNATURE (only ES256)', () => {
  const verifyUpdate = (token: string) => verifyTrustUpdate({ token, trust: only(current), nowSeconds: NOW });

  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, unsigned (RFC 7519 unsecured JWT)', async (alg) => {
    await expectRejectsWithCode(verifyUpdate(algNoneToken({ alg, typ: TRUST_UPDATE_TYP, kid: current.kid }, claims)), 'BAD_SIGNATURE');
  });

  it('alg none with the genuine ES256 signature left in place', async () => {
    await expectRejectsWithCode(verifyUpdate(replaceHeader(await issueWith(current), { alg: 'none', typ: TRUST_UPDATE_TYP, kid: current.kid })), 'BAD_SIGNATURE');
  });

  it.each(['SPKI PEM', 'SPKI DER', 'JWK JSON'])('key confusion: HS256 with the issuer public key (%s) as the HMAC secret', async (variant) => {
    await expectRejectsWithCode(verifyUpdate(hs256KeyConfusionTokens(current, TRUST_UPDATE_TYP, claims)[variant]!), 'BAD_SIGNATURE');
  });

  it.each(['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'ES256K', 'HS512'])('alg swapped to %s on a genuine ES256 signature', async (alg) => {
    await expectRejectsWithCode(verifyUpdate(replaceHeader(await issueWith(current), { alg, typ: TRUST_UPDATE_TYP, kid: current.kid })), 'BAD_SIGNATURE');
  });
});

describe('trust updates: keys named by the token itself are never used', () => {
  const verifyUpdate = (token: string) => verifyTrustUpdate({ token, trust: only(current), nowSeconds: NOW });

  it.each<[string, string | undefined]>([
    ['no kid', undefined],
    ['the trusted kid', 'TRUSTED'],
    ['its own thumbprint as kid', 'attacker-thumbprint'],
  ])('embedded jwk attack: signed by the key in its own jwk header (%s) → BAD_SIGNATURE', async (_name, kid) => {
    const token = await embeddedJwkToken({ typ: TRUST_UPDATE_TYP, payload: claims, ...(kid === undefined ? {} : { kid: kid === 'TRUSTED' ? current.kid : kid }) });
    await expectRejectsWithCode(verifyUpdate(token), 'BAD_SIGNATURE');
  });

  it('jku attack: signed by the attacker with jku pointing at the attacker JWKS → BAD_SIGNATURE', async () => {
    await expectRejectsWithCode(verifyUpdate(await jkuToken({ typ: TRUST_UPDATE_TYP, payload: claims })), 'BAD_SIGNATURE');
  });

  it.each(Object.keys(KEY_NAMING_HEADERS))('a genuinely signed update carrying a %s header is refused anyway → BAD_STATE', async (name) => {
    const header = { ...issuerHeader(current), [name]: KEY_NAMING_HEADERS[name] };
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, header, claims)), 'BAD_STATE');
  });
});

describe('trust updates: kind, claims and encoding', () => {
  const verifyUpdate = (token: string) => verifyTrustUpdate({ token, trust: only(current), nowSeconds: NOW });

  it.each(['JWT', 'sdk-key+jwt', 'sdk-state+jwt', 'sdk-trust'])('typ %j → BAD_STATE', async (typ) => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, issuerHeader(current, typ), claims)), 'BAD_STATE');
  });

  it('typ missing or not a string → BAD_STATE', async () => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, { alg: 'ES256', kid: current.kid }, claims)), 'BAD_STATE');
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, { alg: 'ES256', kid: current.kid, typ: [TRUST_UPDATE_TYP] }, claims)), 'BAD_STATE');
  });

  it('typ is compared as a media type (RFC 7515 §4.1.9: case-insensitive, optional "application/")', async () => {
    // jose's comparison; only the issuer can sign either spelling, and no other token kind matches.
    for (const typ of [`application/${TRUST_UPDATE_TYP}`, TRUST_UPDATE_TYP.toUpperCase()]) {
      await expect(verifyUpdate(await signRaw(current, issuerHeader(current, typ), claims))).resolves.toMatchObject({ iat: NOW });
    }
  });

  it.each(['iss', 'aud', 'iat', 'keys'])('missing %s → BAD_STATE', async (name) => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, issuerHeader(current), withoutClaims(claims, name))), 'BAD_STATE');
  });

  it('a genuine signature over another iss → BAD_STATE', async () => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, issuerHeader(current), { ...claims, iss: 'https://evil.example' })), 'BAD_STATE');
  });

  it('iat more than a day ahead → BAD_STATE (a state token, not a credential: no time codes)', async () => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, issuerHeader(current), { ...claims, iat: NOW + 86_400 + 61 })), 'BAD_STATE');
  });

  it.each(Object.entries(GARBAGE_TOKENS))('garbage: %s → BAD_STATE', async (_name, token) => {
    await expectRejectsWithCode(verifyUpdate(token), 'BAD_STATE');
  });

  it.each([
    ['payload not JSON', 'not json'],
    ['payload a JSON array', '[1,2,3]'],
    ['payload JSON null', 'null'],
    ['payload a JSON string', '"sub"'],
  ])('genuinely signed, %s → BAD_STATE', async (_name, payload) => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, issuerHeader(current), payload)), 'BAD_STATE');
  });

  it('an unknown critical header → BAD_STATE', async () => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, { ...issuerHeader(current), crit: ['exp-ext'], 'exp-ext': 1 }, claims)), 'BAD_STATE');
  });

  it('an unencoded payload (b64: false) → BAD_STATE', async () => {
    await expectRejectsWithCode(verifyUpdate(await signRaw(current, { ...issuerHeader(current), b64: false, crit: ['b64'] }, claims)), 'BAD_STATE');
  });

  it('not a string at all → BAD_STATE', async () => {
    for (const value of [undefined, null, 42, { token: 'x' }, new Uint8Array(4)]) {
      await expectRejectsWithCode(verifyUpdate(value as unknown as string), 'BAD_STATE');
    }
  });

  it('size cap: the longest genuine token of at most 4096 characters passes, one character more is refused', async () => {
    let below: string | undefined;
    let above: string | undefined;
    const bare = await signRaw(current, issuerHeader(current), { ...claims, x: '' });
    // Each filler byte adds 4/3 base64url characters: start a few bytes short of the cap.
    const start = Math.floor(((4096 - bare.length) * 3) / 4) - 4;
    for (let filler = start; filler < start + 12 && above === undefined; filler++) {
      const token = await signRaw(current, issuerHeader(current), { ...claims, x: 'f'.repeat(filler) });
      if (token.length <= 4096) below = token;
      else above = token;
    }
    expect(below!.length).toBeLessThanOrEqual(4096);
    expect(above!.length).toBeGreaterThan(4096);
    await expect(verifyUpdate(below!)).resolves.toMatchObject({ iat: NOW });
    await expectRejectsWithCode(verifyUpdate(above!), 'BAD_STATE');
  });

  it('a refusal keeps the jose error as the cause, never as the thrown value', async () => {
    const err = await expectRejectsWithCode(verify(await signRaw(current, issuerHeader(current), { ...claims, aud: 'someone-else' }), only(current)), 'WRONG_VEHICLE');
    expect(err).toBeInstanceOf(DigitalKeyError);
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.message).not.toMatch(/jose|JWTClaim/);
  });
});
