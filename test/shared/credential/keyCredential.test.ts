/**
 * The key credential (DESIGN.md §2): issue/verify round trip, and every way a forged, confused,
 * out-of-window or malformed credential is refused, each with its exact error code.
 */
import { decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SKEW_SECONDS,
  KEY_CREDENTIAL_TYP,
  MAX_CREDENTIAL_LIFETIME_SECONDS,
  issueKeyCredential,
  verifyKeyCredential,
  type KeyCredentialClaims,
} from '../../../shared/credential/keyCredential.js';
import { STATE_MANIFEST_TYP, signStateManifest } from '../../../shared/credential/stateManifest.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import {
  DAY,
  GARBAGE_TOKENS,
  ISSUER,
  KEY_ID,
  KEY_NAMING_HEADERS,
  NOW,
  OTHER_VIN,
  VIN,
  algNoneToken,
  credentialClaims,
  embeddedJwkToken,
  flipSignatureBit,
  hs256KeyConfusionTokens,
  impostorKey,
  issuerHeader,
  jkuToken,
  makeIssuer,
  manifestClaims,
  replaceHeader,
  signCredentialPayload,
  signRaw,
  tamperPayload,
  withoutClaims,
  type TestIssuer,
} from '../../support/tokenFixtures.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await makeIssuer();
});

function verify(credential: string, opts: { vin?: string; nowSeconds?: number; skewSeconds?: number } = {}): Promise<KeyCredentialClaims> {
  return verifyKeyCredential({
    credential,
    trust: issuer.trust,
    vin: opts.vin ?? VIN,
    nowSeconds: opts.nowSeconds ?? NOW,
    ...(opts.skewSeconds === undefined ? {} : { skewSeconds: opts.skewSeconds }),
  });
}

function issue(overrides: Partial<KeyCredentialClaims> = {}): Promise<string> {
  return issueKeyCredential({ key: issuer.key, claims: credentialClaims(overrides) });
}

describe('issueKeyCredential / verifyKeyCredential round trip', () => {
  it('verifies what it issued and returns the claims unchanged', async () => {
    const claims = credentialClaims();
    const jws = await issueKeyCredential({ key: issuer.key, claims });
    await expect(verify(jws)).resolves.toEqual(claims);
  });

  it('signs with the DESIGN.md header: ES256, typ sdk-key+jwt, the issuer kid, nothing else', async () => {
    const jws = await issue();
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', typ: KEY_CREDENTIAL_TYP, kid: issuer.key.kid });
  });

  it('keeps a restricted shared key restricted (role and perms round-trip)', async () => {
    const claims = credentialClaims({ role: 'shared', perms: ['lock'] });
    await expect(verify(await issueKeyCredential({ key: issuer.key, claims }))).resolves.toMatchObject({ role: 'shared', perms: ['lock'] });
  });

  it.each([0, 1, 41, 2 ** 31])('round-trips the key epoch ep=%i (the vehicle compares it with its own)', async (ep) => {
    await expect(verify(await issue({ ep }))).resolves.toMatchObject({ ep });
  });

  it('drops claims that are not part of the credential', async () => {
    const claims = { ...credentialClaims(), admin: true } as KeyCredentialClaims;
    const verified = await verify(await issueKeyCredential({ key: issuer.key, claims }));
    expect(verified).not.toHaveProperty('admin');
  });

  it.each<[string, Partial<KeyCredentialClaims>]>([
    ['exp equal to nbf', { exp: NOW }],
    ['exp before nbf', { exp: NOW - 1 }],
    ['an unknown command in perms', { perms: ['fly'] as unknown as KeyCredentialClaims['perms'] }],
    ['a negative epoch', { ep: -1 }],
    ['a VIN with an O', { aud: 'WVWZZZ1JZXW00000O' }],
  ])('refuses to issue a credential with %s', async (_name, overrides) => {
    await expect(issue(overrides)).rejects.toThrow();
  });
});

describe('lifetime cap', () => {
  it('a credential the issuer signed for a year is refused: BAD_CREDENTIAL (at most MAX_CREDENTIAL_LIFETIME_SECONDS)', async () => {
    const claims = credentialClaims({ nbf: NOW, exp: NOW + 365 * DAY });
    const jws = await signCredentialPayload(issuer.key, claims);
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
    await expect(issueKeyCredential({ key: issuer.key, claims })).rejects.toThrow(/lifetime/);
  });

  it('exactly the maximum lifetime is accepted', async () => {
    const claims = credentialClaims({ nbf: NOW, exp: NOW + MAX_CREDENTIAL_LIFETIME_SECONDS });
    await expect(verify(await issueKeyCredential({ key: issuer.key, claims }))).resolves.toMatchObject({ exp: claims.exp });
  });
});

describe('forged signatures are refused with BAD_SIGNATURE', () => {
  it('payload tampering: perms widened from lock to every command, original signature kept', async () => {
    const jws = await issue({ role: 'shared', perms: ['lock'] });
    const forged = tamperPayload(jws, (p) => {
      p.perms = ['unlock', 'lock', 'start', 'trunk'];
    });
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('payload tampering: exp pushed a year ahead, original signature kept', async () => {
    const forged = tamperPayload(await issue(), (p) => {
      p.exp = NOW + 365 * DAY;
    });
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('one flipped signature bit', async () => {
    await expectRejectsWithCode(verify(flipSignatureBit(await issue())), 'BAD_SIGNATURE');
  });

  it('signature stripped (empty third segment) with alg still ES256', async () => {
    const [h, p] = (await issue()).split('.');
    await expectRejectsWithCode(verify(`${h}.${p}.`), 'BAD_SIGNATURE');
  });

  it('key substitution: signed by another key that claims the issuer kid', async () => {
    const impostor = await impostorKey(issuer.key.kid);
    const forged = await issueKeyCredential({ key: impostor, claims: credentialClaims() });
    expect(decodeProtectedHeader(forged).kid).toBe(issuer.key.kid);
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('unknown kid: signed by an untrusted key under its own kid', async () => {
    const forged = await issueKeyCredential({ key: await impostorKey(), claims: credentialClaims() });
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('unknown kid: a genuine issuer signature under a kid the vehicle does not know', async () => {
    const jws = await signRaw(issuer.key, { ...issuerHeader(issuer.key), kid: 'retired-key-2019' }, credentialClaims());
    await expectRejectsWithCode(verify(jws), 'BAD_SIGNATURE');
  });

  it('a credential of another issuer with the right iss but a key the vehicle was never given', async () => {
    const other = await makeIssuer(ISSUER);
    const jws = await issueKeyCredential({ key: other.key, claims: credentialClaims() });
    await expectRejectsWithCode(verify(jws), 'BAD_SIGNATURE');
  });
});

describe('algorithm attacks are refused with BAD_SIGNATURE (only ES256 is allowed)', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, unsigned (RFC 7519 unsecured JWT)', async (alg) => {
    const token = algNoneToken({ alg, typ: KEY_CREDENTIAL_TYP, kid: issuer.key.kid }, credentialClaims());
    await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
  });

  it('alg none with the genuine ES256 signature left in place', async () => {
    const jws = await issue();
    await expectRejectsWithCode(verify(replaceHeader(jws, { alg: 'none', typ: KEY_CREDENTIAL_TYP, kid: issuer.key.kid })), 'BAD_SIGNATURE');
  });

  it.each(['SPKI PEM', 'SPKI DER', 'JWK JSON'])(
    'key confusion: HS256 with the issuer public key (%s) as the HMAC secret',
    async (variant) => {
      const token = hs256KeyConfusionTokens(issuer.key, KEY_CREDENTIAL_TYP, credentialClaims())[variant]!;
      await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
    },
  );

  it.each(['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'ES256K', 'HS512'])(
    'alg swapped to %s on a genuine ES256 signature',
    async (alg) => {
      const jws = await issue();
      await expectRejectsWithCode(verify(replaceHeader(jws, { alg, typ: KEY_CREDENTIAL_TYP, kid: issuer.key.kid })), 'BAD_SIGNATURE');
    },
  );
});

describe('keys named by the token itself are never used', () => {
  it.each<[string, string | undefined]>([
    ['no kid', undefined],
    ['the issuer kid', 'ISSUER'],
    ['its own thumbprint as kid', 'attacker-thumbprint'],
  ])('embedded jwk attack: token signed by the key in its own jwk header (%s) → BAD_SIGNATURE', async (_name, kid) => {
    const token = await embeddedJwkToken({
      typ: KEY_CREDENTIAL_TYP,
      payload: credentialClaims(),
      ...(kid === undefined ? {} : { kid: kid === 'ISSUER' ? issuer.key.kid : kid }),
    });
    await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
  });

  it('jku attack: token signed by the attacker with jku pointing at the attacker JWKS → BAD_SIGNATURE', async () => {
    const token = await jkuToken({ typ: KEY_CREDENTIAL_TYP, payload: credentialClaims() });
    await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
  });

  it.each(Object.keys(KEY_NAMING_HEADERS))(
    'a genuinely signed credential carrying a %s header is refused anyway → BAD_CREDENTIAL',
    async (name) => {
      const header = { ...issuerHeader(issuer.key), [name]: KEY_NAMING_HEADERS[name] };
      await expectRejectsWithCode(verify(await signRaw(issuer.key, header, credentialClaims())), 'BAD_CREDENTIAL');
    },
  );
});

describe('token-kind confusion is refused with BAD_CREDENTIAL (wrong typ)', () => {
  it('a genuine state manifest presented as a key credential', async () => {
    const manifest = await signStateManifest({ key: issuer.key, claims: manifestClaims() });
    await expectRejectsWithCode(verify(manifest), 'BAD_CREDENTIAL');
  });

  it('valid credential claims signed with the state-manifest typ', async () => {
    await expectRejectsWithCode(verify(await signCredentialPayload(issuer.key, credentialClaims(), STATE_MANIFEST_TYP)), 'BAD_CREDENTIAL');
  });

  it.each(['JWT', 'at+jwt', 'sdk-session+jwt', 'sdk-key', 'sdk-key+jwt '])('typ %j', async (typ) => {
    await expectRejectsWithCode(verify(await signCredentialPayload(issuer.key, credentialClaims(), typ)), 'BAD_CREDENTIAL');
  });

  it('typ missing', async () => {
    const jws = await signRaw(issuer.key, { alg: 'ES256', kid: issuer.key.kid }, credentialClaims());
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
  });

  it('typ not a string', async () => {
    const jws = await signRaw(issuer.key, { alg: 'ES256', kid: issuer.key.kid, typ: ['sdk-key+jwt'] }, credentialClaims());
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
  });

  it('typ is compared as a media type (RFC 7515 §4.1.9: case-insensitive, optional "application/")', async () => {
    // jose's comparison; only the issuer can sign either spelling, and no other token kind matches.
    for (const typ of ['application/sdk-key+jwt', 'SDK-KEY+JWT']) {
      await expect(verify(await signCredentialPayload(issuer.key, credentialClaims(), typ))).resolves.toMatchObject({ sub: KEY_ID });
    }
  });
});

describe('required claims: a credential missing any of them is refused with BAD_CREDENTIAL', () => {
  it.each(['exp', 'nbf', 'iat', 'sub', 'aud', 'iss'])('missing %s', async (claim) => {
    const jws = await signCredentialPayload(issuer.key, withoutClaims(credentialClaims(), claim));
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
  });
});

describe('audience: a credential for another car is refused with WRONG_VEHICLE', () => {
  it('aud is another VIN', async () => {
    await expectRejectsWithCode(verify(await issue({ aud: OTHER_VIN })), 'WRONG_VEHICLE');
  });

  it('the same credential shown to another car', async () => {
    await expectRejectsWithCode(verify(await issue(), { vin: OTHER_VIN }), 'WRONG_VEHICLE');
  });

  it('aud an array of other VINs', async () => {
    const jws = await signCredentialPayload(issuer.key, { ...credentialClaims(), aud: [OTHER_VIN, 'WVWZZZ1JZXW000003'] });
    await expectRejectsWithCode(verify(jws), 'WRONG_VEHICLE');
  });

  it('aud an array that includes this VIN is still not a credential for exactly this car → BAD_CREDENTIAL', async () => {
    for (const aud of [[VIN], [VIN, OTHER_VIN]]) {
      await expectRejectsWithCode(verify(await signCredentialPayload(issuer.key, { ...credentialClaims(), aud })), 'BAD_CREDENTIAL');
    }
  });
});

describe('validity window with clock skew (table)', () => {
  // nbf is the first valid second: with skew S the first accepted second is nbf - S.
  // exp is the first invalid second (RFC 7519 §4.1.4 "before"): the last accepted second is
  // exp + S - 1, and exp + S is refused. Both bounds are the jose comparisons with clockTolerance.
  const S = DEFAULT_SKEW_SECONDS;
  const rows: { name: string; claims: Partial<KeyCredentialClaims>; skew?: number; result: 'ok' | ErrorCode }[] = [
    { name: 'nbf exactly now', claims: { nbf: NOW, iat: NOW }, result: 'ok' },
    { name: 'nbf exactly skew (60 s) ahead', claims: { nbf: NOW + S, iat: NOW, exp: NOW + DAY }, result: 'ok' },
    { name: 'nbf one second beyond the skew', claims: { nbf: NOW + S + 1, iat: NOW, exp: NOW + DAY }, result: 'NOT_YET_VALID' },
    { name: 'nbf a day ahead (shared key window not started)', claims: { nbf: NOW + DAY, iat: NOW, exp: NOW + 2 * DAY }, result: 'NOT_YET_VALID' },
    { name: 'skew 0: nbf now', claims: { nbf: NOW, iat: NOW }, skew: 0, result: 'ok' },
    { name: 'skew 0: nbf one second ahead', claims: { nbf: NOW + 1, iat: NOW }, skew: 0, result: 'NOT_YET_VALID' },
    { name: 'skew 300: nbf exactly 300 s ahead', claims: { nbf: NOW + 300, iat: NOW }, skew: 300, result: 'ok' },
    { name: 'skew 300: nbf 301 s ahead', claims: { nbf: NOW + 301, iat: NOW }, skew: 300, result: 'NOT_YET_VALID' },
    { name: 'exp one second ahead', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW + 1 }, result: 'ok' },
    { name: 'exp exactly now (inside the skew)', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW }, result: 'ok' },
    { name: 'exp passed by exactly skew - 1 s (last accepted second)', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW - S + 1 }, result: 'ok' },
    { name: 'exp passed by exactly the skew', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW - S }, result: 'EXPIRED' },
    { name: 'exp passed by a day', claims: { nbf: NOW - 2 * DAY, iat: NOW - 2 * DAY, exp: NOW - DAY }, result: 'EXPIRED' },
    { name: 'skew 0: exp one second ahead', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW + 1 }, skew: 0, result: 'ok' },
    { name: 'skew 0: exp exactly now', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW }, skew: 0, result: 'EXPIRED' },
    { name: 'skew 300: exp passed by 299 s', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW - 299 }, skew: 300, result: 'ok' },
    { name: 'skew 300: exp passed by 300 s', claims: { nbf: NOW - DAY, iat: NOW - DAY, exp: NOW - 300 }, skew: 300, result: 'EXPIRED' },
    { name: 'iat exactly skew ahead', claims: { iat: NOW + S, nbf: NOW }, result: 'ok' },
    { name: 'iat one second beyond the skew (issued "in the future")', claims: { iat: NOW + S + 1, nbf: NOW }, result: 'NOT_YET_VALID' },
  ];

  it.each(rows)('$name → $result', async ({ claims, skew, result }) => {
    // Signed raw: issueKeyCredential is not the thing under test, and iat/nbf/exp are set freely.
    const jws = await signCredentialPayload(issuer.key, credentialClaims(claims));
    const verifying = verify(jws, skew === undefined ? {} : { skewSeconds: skew });
    if (result === 'ok') await expect(verifying).resolves.toMatchObject({ sub: KEY_ID });
    else await expectRejectsWithCode(verifying, result);
  });
});

describe('wrong issuer', () => {
  it('a genuine issuer signature over another iss → BAD_CREDENTIAL', async () => {
    const jws = await signCredentialPayload(issuer.key, credentialClaims({ iss: 'https://evil.example' }));
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
  });

  it('a token from an issuer the vehicle does not trust, with its own iss → BAD_SIGNATURE', async () => {
    const evil = await makeIssuer('https://evil.example');
    const jws = await issueKeyCredential({ key: evil.key, claims: credentialClaims({ iss: 'https://evil.example' }) });
    await expectRejectsWithCode(verify(jws), 'BAD_SIGNATURE');
  });
});

describe('claims that fail the schema are refused with BAD_CREDENTIAL, even when genuinely signed', () => {
  const base = credentialClaims();
  const claimsWith = (change: Record<string, unknown>): Record<string, unknown> => ({ ...base, ...change });
  const rows: [string, Record<string, unknown>][] = [
    ['perms with an unknown command', claimsWith({ perms: ['unlock', 'fly'] })],
    ['perms empty', claimsWith({ perms: [] })],
    ['perms repeating a command', claimsWith({ perms: ['unlock', 'unlock'] })],
    ['perms a string, not a list', claimsWith({ perms: 'unlock' })],
    ['perms with every command twice', claimsWith({ perms: ['unlock', 'lock', 'start', 'trunk', 'unlock', 'lock', 'start', 'trunk'] })],
    ['role "owner"', claimsWith({ role: 'owner' })],
    ['role "dealer"', claimsWith({ role: 'dealer' })],
    ['role missing', withoutClaims(base, 'role')],
    ['ep negative', claimsWith({ ep: -1 })],
    ['ep not an integer', claimsWith({ ep: 1.5 })],
    ['ep a string', claimsWith({ ep: '3' })],
    ['ep missing', withoutClaims(base, 'ep')],
    ['cnf missing (not bound to a passkey)', withoutClaims(base, 'cnf')],
    ['cnf.wa.id too short', claimsWith({ cnf: { wa: { id: 'c2hvcnQ', pk: base.cnf.wa.pk } } })],
    ['cnf.wa.pk not base64url', claimsWith({ cnf: { wa: { id: base.cnf.wa.id, pk: 'a+b/c='.repeat(5) } } })],
    ['sub with a hash-tag brace', claimsWith({ sub: 'key_{AAAAAAAAAAAAAAAAAA}' })],
    ['sub with a colon', claimsWith({ sub: 'key:AAAAAAAAAAAAAAAAAAAA' })],
    ['exp not an integer', claimsWith({ exp: NOW + 0.5 })],
    ['exp a string', claimsWith({ exp: String(NOW + DAY) })],
    ['nbf a string', claimsWith({ nbf: String(NOW) })],
    ['iat negative', claimsWith({ iat: -1 })],
  ];

  it.each(rows)('%s', async (_name, payload) => {
    await expectRejectsWithCode(verify(await signCredentialPayload(issuer.key, payload)), 'BAD_CREDENTIAL');
  });

  it.each([
    ['lowercase', VIN.toLowerCase()],
    ['with an I', 'WVWZZZ1JZXW00000I'],
    ['16 characters', VIN.slice(0, 16)],
  ])('aud a malformed VIN (%s), even for a verifier configured with that same string', async (_name, badVin) => {
    const jws = await signCredentialPayload(issuer.key, { ...base, aud: badVin });
    await expectRejectsWithCode(verify(jws, { vin: badVin }), 'BAD_CREDENTIAL');
  });
});

describe('garbage and oversized input is refused with BAD_CREDENTIAL', () => {
  it.each(Object.entries(GARBAGE_TOKENS))('%s', async (_name, token) => {
    await expectRejectsWithCode(verify(token), 'BAD_CREDENTIAL');
  });

  it.each([
    ['payload not JSON', 'not json'],
    ['payload a JSON array', '[1,2,3]'],
    ['payload JSON null', 'null'],
    ['payload a JSON string', '"sub"'],
  ])('genuinely signed, %s', async (_name, payload) => {
    await expectRejectsWithCode(verify(await signRaw(issuer.key, issuerHeader(issuer.key), payload)), 'BAD_CREDENTIAL');
  });

  it('an unknown critical header', async () => {
    const jws = await signRaw(issuer.key, { ...issuerHeader(issuer.key), crit: ['exp-ext'], 'exp-ext': 1 }, credentialClaims());
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
  });

  it('an unencoded payload (b64: false)', async () => {
    const jws = await signRaw(issuer.key, { ...issuerHeader(issuer.key), b64: false, crit: ['b64'] }, credentialClaims());
    await expectRejectsWithCode(verify(jws), 'BAD_CREDENTIAL');
  });

  it('not a string at all', async () => {
    for (const value of [undefined, null, 42, { credential: 'x' }]) {
      await expectRejectsWithCode(verify(value as unknown as string), 'BAD_CREDENTIAL');
    }
  });

  it('size cap: the longest genuine token of at most 4096 characters passes, one character more is refused', async () => {
    let below: string | undefined;
    let above: string | undefined;
    const bare = await signCredentialPayload(issuer.key, { ...credentialClaims(), x: '' });
    // Each filler byte adds 4/3 base64url characters: start a few bytes short of the cap.
    const start = Math.floor(((4096 - bare.length) * 3) / 4) - 4;
    for (let filler = start; filler < start + 12 && above === undefined; filler++) {
      const jws = await signCredentialPayload(issuer.key, { ...credentialClaims(), x: 'f'.repeat(filler) });
      if (jws.length <= 4096) below = jws;
      else above = jws;
    }
    expect(below!.length).toBeLessThanOrEqual(4096);
    expect(above!.length).toBeGreaterThan(4096);
    await expect(verify(below!)).resolves.toMatchObject({ sub: KEY_ID });
    await expectRejectsWithCode(verify(above!), 'BAD_CREDENTIAL');
  });
});

describe('a refusal never leaks a jose error', () => {
  it('keeps the jose error as the cause, not as the thrown value', async () => {
    const err = await expectRejectsWithCode(verify(await issue({ aud: OTHER_VIN })), 'WRONG_VEHICLE');
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.message).not.toMatch(/jose|JWTClaim/);
  });
});
