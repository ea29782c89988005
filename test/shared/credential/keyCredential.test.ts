/**
 * The key credential (DESIGN.md §2), a CWT in a COSE_Sign1: issue/verify round trip, its wire format
 * against hand-written known answers, and every way a forged, confused, out-of-window or malformed
 * credential is refused, each with its exact error code. Encoding strictness shared with the state
 * manifest (non-deterministic CBOR, foreign header labels, wrong alg…) is in signedCwt.test.ts.
 */
import { ECDH, createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SKEW_SECONDS,
  MAX_CREDENTIAL_LIFETIME_SECONDS,
  issueKeyCredential,
  readKeyCredential,
  verifyKeyCredential,
  type KeyCredential,
  type KeyCredentialClaims,
} from '../../../shared/credential/keyCredential.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { signStateManifest } from '../../../shared/credential/stateManifest.js';
import { encodeDeterministic, tagged } from '../../../shared/cose/strictCbor.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import {
  CLAIM,
  CREDENTIAL_TYP,
  DAY,
  GARBAGE_COSE,
  ISSUER,
  KEY_ID,
  MANIFEST_TYP,
  NOW,
  OTHER_VIN,
  PASSKEY_JWK,
  PASSKEY_POINT,
  VIN,
  concatBytes,
  coseHeader,
  coseParts,
  credentialClaims,
  credentialCwtClaims,
  flipCoseSignatureBit,
  hex,
  impostorKey,
  makeIssuer,
  manifestClaims,
  passkeyWithOddY,
  replaceCoseHeader,
  signCose,
  signCredentialCwt,
  tamperCwtClaims,
  toHex,
  type TestIssuer,
} from '../../support/tokenFixtures.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await makeIssuer();
});

function verify(credential: Uint8Array, opts: { vin?: string; nowSeconds?: number; skewSeconds?: number } = {}): KeyCredential {
  return verifyKeyCredential({
    credential,
    trust: issuer.trust,
    vin: opts.vin ?? VIN,
    nowSeconds: opts.nowSeconds ?? NOW,
    ...(opts.skewSeconds === undefined ? {} : { skewSeconds: opts.skewSeconds }),
  });
}

function issue(overrides: Partial<KeyCredentialClaims> = {}): Promise<Uint8Array> {
  return issueKeyCredential({ key: issuer.key, claims: credentialClaims(overrides) });
}

/** Require `token` (awaited) to be refused by the verifier with exactly `code`. */
async function expectRefused(token: Uint8Array | Promise<Uint8Array>, code: ErrorCode, opts: Parameters<typeof verify>[1] = {}) {
  const bytes = await token;
  return expectThrowsWithCode(() => verify(bytes, opts), code);
}

/** A genuinely issuer-signed credential whose claims map `change` has edited. */
function signedWith(change: (claims: Map<number, unknown>) => void, overrides: Partial<KeyCredentialClaims> = {}): Promise<Uint8Array> {
  const claims = credentialCwtClaims(overrides);
  change(claims);
  return signCredentialCwt(issuer.key, claims);
}

/** The claims map with `marker` (an integer value somewhere in it) replaced by raw CBOR bytes: a float, a big integer. */
function withRawValue(claims: Map<number, unknown>, marker: number, raw: Uint8Array): Uint8Array {
  const encoded = toHex(encodeDeterministic(claims));
  const markerHex = toHex(encodeDeterministic(marker));
  expect(encoded.split(markerHex)).toHaveLength(2);
  return hex(encoded.replace(markerHex, toHex(raw)));
}
const MARKER = 0x7eadbeef;

/** The passkey's compressed point computed by node:crypto from the full key, not by the product. */
function compressedByNode(jwk: { x?: string; y?: string }): Uint8Array {
  const uncompressed = concatBytes([0x04], Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url'));
  return new Uint8Array(ECDH.convertKey(uncompressed, 'prime256v1', undefined, undefined, 'compressed') as Buffer);
}

describe('issueKeyCredential / verifyKeyCredential round trip', () => {
  it('verifies what it issued and reads the claims back, the passkey as its compressed point (its credential id is not carried)', async () => {
    expect(verify(await issue())).toEqual({
      iss: ISSUER,
      sub: KEY_ID,
      aud: VIN,
      iat: NOW,
      nbf: NOW,
      exp: NOW + DAY,
      role: 'main',
      perms: ['unlock', 'lock', 'start', 'trunk'],
      ep: 0,
      passkeyPoint: PASSKEY_POINT,
    });
  });

  it('iss is not carried: the bytes hold no issuer name, and the verified claims name the issuer whose key verified them', async () => {
    const credential = await issue();
    expect(Buffer.from(credential).includes(Buffer.from(ISSUER))).toBe(false);
    const renamed = verifyKeyCredential({ credential, trust: { ...issuer.trust, issuer: 'https://renamed.example' }, vin: VIN, nowSeconds: NOW });
    expect(renamed.iss).toBe('https://renamed.example');
  });

  it('carries the passkey as the compressed point node:crypto computes, for an even and for an odd y', async () => {
    expect(PASSKEY_POINT).toEqual(compressedByNode(PASSKEY_JWK));
    expect(verify(await issue()).passkeyPoint[0]).toBe(0x02);
    const odd = passkeyWithOddY();
    const verified = verify(await issue({ cnf: { wa: { pk: odd.cose } } }));
    expect(verified.passkeyPoint).toEqual(odd.point);
    expect(verified.passkeyPoint[0]).toBe(0x03);
    // The point is a usable key: node imports it.
    expect(createPublicKey({ key: Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), verified.passkeyPoint]), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ec');
  });

  it('keeps a restricted shared key restricted (role and perms round-trip, perms as bit 1 = lock on the wire)', async () => {
    const credential = await issue({ role: 'shared', perms: ['lock'] });
    expect(verify(credential)).toMatchObject({ role: 'shared', perms: ['lock'] });
    const claims = credentialCwtClaims({ role: 'shared', perms: ['lock'] });
    expect(toHex(coseParts(credential).payload)).toBe(toHex(encodeDeterministic(claims)));
  });

  it('perms are a set: issued in any order, they read back in the order of COMMANDS', async () => {
    expect(verify(await issue({ perms: ['trunk', 'unlock'] })).perms).toEqual(['unlock', 'trunk']);
  });

  it.each([0, 1, 41, 2 ** 31, Number.MAX_SAFE_INTEGER])('round-trips the key epoch ep=%i (the vehicle compares it with its own)', async (ep) => {
    expect(verify(await issue({ ep }))).toMatchObject({ ep });
  });

  it('drops claims that are not part of the credential: exactly the seven claims of the table are signed', async () => {
    const claims = { ...credentialClaims(), admin: true } as KeyCredentialClaims;
    const credential = await issueKeyCredential({ key: issuer.key, claims });
    expect(verify(credential)).not.toHaveProperty('admin');
    expect(toHex(coseParts(credential).payload)).toBe(toHex(encodeDeterministic(credentialCwtClaims())));
  });

  it.each<[string, Partial<KeyCredentialClaims>]>([
    ['exp equal to nbf', { exp: NOW }],
    ['exp before nbf', { exp: NOW - 1 }],
    ['a lifetime one second over the maximum', { exp: NOW + MAX_CREDENTIAL_LIFETIME_SECONDS + 1 }],
    ['nbf more than the longest lifetime after iat', { nbf: NOW + MAX_CREDENTIAL_LIFETIME_SECONDS + 1, exp: NOW + MAX_CREDENTIAL_LIFETIME_SECONDS + 2 }],
    ['an unknown command in perms', { perms: ['fly'] as unknown as KeyCredentialClaims['perms'] }],
    ['a negative epoch', { ep: -1 }],
    ['a VIN with an O', { aud: 'WVWZZZ1JZXW00000O' }],
    ['an Ed25519 passkey (only P-256 can be carried)', { cnf: { wa: { pk: Buffer.from(encodeDeterministic(new Map<number, unknown>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(32)]]))).toString('base64url') } } }],
    ['a passkey that is not a COSE key', { cnf: { wa: { pk: Buffer.from('pQECAyYgASFYIPAKEcosekeyfixturebytes0123456789').toString('base64url') } } }],
  ])('refuses to issue a credential with %s', async (_name, overrides) => {
    await expect(issue(overrides)).rejects.toThrow();
  });
});

describe('wire format (known answers, RFC 8392 claims in an RFC 9052 COSE_Sign1)', () => {
  // RFC 8392 A.2.3's P-256 key as the issuer: its COSE kid is the first 8 bytes of its RFC 7638 thumbprint.
  const RFC8392_A23_PRIVATE = {
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from('143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f', 'hex').toString('base64url'),
    y: Buffer.from('60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9', 'hex').toString('base64url'),
    d: Buffer.from('6c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858bc206c19', 'hex').toString('base64url'),
  };
  // The first 8 bytes of the key's RFC 7638 thumbprint, as jose's calculateJwkThumbprint computes it.
  const KID = '2944fa8cf52aab3e';
  const x = Buffer.from(PASSKEY_JWK.x, 'base64url').toString('hex');
  const PROTECTED = `a3 01 26 04 48 ${KID} 10 6b ${Buffer.from('sdk-key+cwt').toString('hex')}`;
  const PAYLOAD = [
    'a7',
    `02 78 1a ${Buffer.from(KEY_ID).toString('hex')}`, // 2 sub
    `03 71 ${Buffer.from(VIN).toString('hex')}`, // 3 aud
    '04 1a 69570a80', // 4 exp 2026-01-02T00:00:00Z
    '05 1a 6955b900', // 5 nbf 2026-01-01T00:00:00Z
    '06 1a 6955b900', // 6 iat
    `08 a1 01 a4 01 02 20 01 21 58 20 ${x} 22 f4`, // 8 cnf {1: {kty EC2, crv P-256, x, y even}}
    '3a 00010000 83 00 0f 00', // -65537 [main, unlock|lock|start|trunk, ep 0]
  ].join(' ');

  it('a credential signed by the RFC 8392 A.2.3 key is, byte for byte, tag 18, [bstr {1: -7, 4: kid, 16: "sdk-key+cwt"}, {}, bstr claims, bstr 64-byte signature]', async () => {
    const key = await LocalIssuerKey.fromPrivateJwk(RFC8392_A23_PRIVATE);
    const credential = await issueKeyCredential({ key, claims: credentialClaims() });
    const protectedBytes = hex(PROTECTED);
    const payload = hex(PAYLOAD);
    expect(protectedBytes).toHaveLength(26);
    expect(payload).toHaveLength(0x79);
    const expected = `d2 84 58 1a ${PROTECTED} a0 58 79 ${PAYLOAD} 58 40`.replace(/\s+/g, '');
    expect(toHex(credential.subarray(0, credential.length - 64))).toBe(expected);
    expect(credential).toHaveLength(expected.length / 2 + 64);
    // …and the last 64 bytes are a signature the A.2.3 public key verifies.
    const trust = { issuer: ISSUER, jwks: { keys: [key.publicJwk] } };
    expect(verifyKeyCredential({ credential, trust, vin: VIN, nowSeconds: NOW })).toMatchObject({ sub: KEY_ID });
  });

  it('a credential built from the hand-written bytes and signed by the issuer verifies (the table is what the verifier reads)', async () => {
    const token = await signCose(issuer.key, { header: coseHeader(issuer.key), payload: hex(PAYLOAD) });
    expect(verify(token)).toMatchObject({ sub: KEY_ID, aud: VIN, exp: NOW + DAY, role: 'main', perms: ['unlock', 'lock', 'start', 'trunk'], passkeyPoint: PASSKEY_POINT });
  });
});

describe('lifetime cap', () => {
  it('a credential the issuer signed for a year is refused: BAD_CREDENTIAL (at most MAX_CREDENTIAL_LIFETIME_SECONDS)', async () => {
    const claims = credentialClaims({ nbf: NOW, exp: NOW + 365 * DAY });
    await expectRefused(signCredentialCwt(issuer.key, credentialCwtClaims(claims)), 'BAD_CREDENTIAL');
    await expect(issueKeyCredential({ key: issuer.key, claims })).rejects.toThrow(/lifetime/);
  });

  it.each<[string, number, 'ok' | ErrorCode]>([
    ['exactly the maximum lifetime is accepted', MAX_CREDENTIAL_LIFETIME_SECONDS, 'ok'],
    ['one second over the maximum', MAX_CREDENTIAL_LIFETIME_SECONDS + 1, 'BAD_CREDENTIAL'],
    ['exp equal to nbf (no lifetime at all)', 0, 'BAD_CREDENTIAL'],
    ['exp a second before nbf', -1, 'BAD_CREDENTIAL'],
  ])('%s (signed raw)', async (_name, lifetime, result) => {
    const credential = await signCredentialCwt(issuer.key, credentialCwtClaims({ iat: NOW - DAY, nbf: NOW - DAY, exp: NOW - DAY + lifetime }));
    if (result === 'ok') expect(verify(credential)).toMatchObject({ exp: NOW - DAY + lifetime });
    else expect(expectThrowsWithCode(() => verify(credential), result).message).toMatch(/lifetime/);
  });
});

describe('forged signatures are refused with BAD_SIGNATURE', () => {
  it('payload tampering: perms widened from lock to every command, original signature kept', async () => {
    const forged = tamperCwtClaims(await issue({ role: 'shared', perms: ['lock'] }), (c) => {
      c.set(CLAIM.sdk, [1, 0b1111, 0]);
    });
    expectThrowsWithCode(() => verify(forged), 'BAD_SIGNATURE');
  });

  it('payload tampering: a shared key made main, original signature kept', async () => {
    const forged = tamperCwtClaims(await issue({ role: 'shared', perms: ['lock'] }), (c) => {
      c.set(CLAIM.sdk, [0, 0b0010, 0]);
    });
    expectThrowsWithCode(() => verify(forged), 'BAD_SIGNATURE');
  });

  it('payload tampering: exp pushed a year ahead, original signature kept', async () => {
    const forged = tamperCwtClaims(await issue(), (c) => {
      c.set(CLAIM.exp, NOW + 365 * DAY);
    });
    expectThrowsWithCode(() => verify(forged), 'BAD_SIGNATURE');
  });

  it("payload tampering: the attacker's passkey put in cnf, original signature kept", async () => {
    const attacker = passkeyWithOddY();
    const forged = tamperCwtClaims(await issue(), (c) => {
      c.set(CLAIM.cnf, credentialCwtClaims({ cnf: { wa: { pk: attacker.cose } } }).get(CLAIM.cnf));
    });
    expectThrowsWithCode(() => verify(forged), 'BAD_SIGNATURE');
  });

  it('one flipped signature bit', async () => {
    await expectRefused(flipCoseSignatureBit(await issue()), 'BAD_SIGNATURE');
  });

  it('a signature of 64 zero bytes', async () => {
    const parts = coseParts(await issue());
    const zeroed = encodeDeterministic(tagged(18, [parts.protectedBytes, parts.unprotected, parts.payload, new Uint8Array(64)]));
    expectThrowsWithCode(() => verify(zeroed), 'BAD_SIGNATURE');
  });

  it('key substitution: signed by another key that names the issuer key (its COSE kid) in the header', async () => {
    const forged = await issueKeyCredential({ key: await impostorKey(issuer.key), claims: credentialClaims() });
    expect(coseParts(forged).protectedBytes).toEqual(coseParts(await issue()).protectedBytes);
    expectThrowsWithCode(() => verify(forged), 'BAD_SIGNATURE');
  });

  it('header swap: a genuine signature with the kid changed to another trusted key', async () => {
    const second = await LocalIssuerKey.generate();
    const trust = { issuer: ISSUER, jwks: { keys: [issuer.key.publicJwk, second.publicJwk] } };
    const swapped = replaceCoseHeader(await issue(), coseHeader(second));
    expectThrowsWithCode(() => verifyKeyCredential({ credential: swapped, trust, vin: VIN, nowSeconds: NOW }), 'BAD_SIGNATURE');
  });

  it('unknown key: signed by an untrusted key under its own kid', async () => {
    const forged = await issueKeyCredential({ key: await impostorKey(), claims: credentialClaims() });
    expectThrowsWithCode(() => verify(forged), 'BAD_SIGNATURE');
  });

  it('unknown kid: a genuine issuer signature under an 8-byte kid the vehicle does not know', async () => {
    const header = coseHeader(issuer.key);
    header.set(4, hex('0102030405060708'));
    const credential = await signCose(issuer.key, { header, payload: credentialCwtClaims() });
    expectThrowsWithCode(() => verify(credential), 'BAD_SIGNATURE');
  });

  it('a credential of another issuer with the same issuer name but a key the vehicle was never given', async () => {
    const other = await makeIssuer(ISSUER);
    await expectRefused(issueKeyCredential({ key: other.key, claims: credentialClaims() }), 'BAD_SIGNATURE');
  });
});

describe('token-kind confusion is refused with BAD_CREDENTIAL (wrong typ)', () => {
  it('a genuine state manifest presented as a key credential', async () => {
    const manifest = await signStateManifest({ key: issuer.key, claims: manifestClaims() });
    expect(expectThrowsWithCode(() => verify(manifest), 'BAD_CREDENTIAL').message).toBe('another kind of token');
  });

  it('valid credential claims signed with the state-manifest typ', async () => {
    expect((await expectRefused(signCredentialCwt(issuer.key, credentialCwtClaims(), MANIFEST_TYP), 'BAD_CREDENTIAL')).message).toBe('another kind of token');
  });

  it.each<[string, unknown]>([
    ['the JWS kind it replaced, "sdk-key+jwt"', 'sdk-key+jwt'],
    ['"sdk-key"', 'sdk-key'],
    ['a trailing space', `${CREDENTIAL_TYP} `],
    ['upper case (compared exactly: one spelling only)', CREDENTIAL_TYP.toUpperCase()],
    ['with "application/" (compared exactly)', `application/${CREDENTIAL_TYP}`],
    ['"application/cwt"', 'application/cwt'],
    ['the CoAP content format of application/cwt (61)', 61],
    ['the kind as bytes', new TextEncoder().encode(CREDENTIAL_TYP)],
  ])('typ %s', async (_name, typ) => {
    const header = coseHeader(issuer.key);
    header.set(16, typ);
    expect((await expectRefused(signCose(issuer.key, { header, payload: credentialCwtClaims() }), 'BAD_CREDENTIAL')).message).toBe('another kind of token');
  });

  it('typ missing', async () => {
    const header = coseHeader(issuer.key);
    header.delete(16);
    expect((await expectRefused(signCose(issuer.key, { header, payload: credentialCwtClaims() }), 'BAD_CREDENTIAL')).message).toBe('another kind of token');
  });
});

describe('claims: exactly the seven of the table, or BAD_CREDENTIAL', () => {
  it.each(Object.entries({ sub: CLAIM.sub, aud: CLAIM.aud, exp: CLAIM.exp, nbf: CLAIM.nbf, iat: CLAIM.iat, cnf: CLAIM.cnf, 'sdk [role, perms, ep]': CLAIM.sdk }))(
    'missing %s',
    async (_name, key) => {
      expect((await expectRefused(signedWith((c) => c.delete(key)), 'BAD_CREDENTIAL')).message).toBe(`missing claim ${key}`);
    },
  );

  it.each<[string, number, unknown]>([
    ['iss (1), even naming the trusted issuer', CLAIM.iss, ISSUER],
    ['cti (7)', CLAIM.cti, hex('01')],
    ["the manifest's state claim (-65538)", CLAIM.state, [7, 2, []]],
    ['claim 0', 0, 1],
    ['a private claim -70000 ("admin")', -70_000, true],
  ])('an unknown claim: %s', async (_name, key, value) => {
    expect((await expectRefused(signedWith((c) => c.set(key, value)), 'BAD_CREDENTIAL')).message).toBe(`unknown claim ${key}`);
  });
});

describe('audience', () => {
  it('aud is another VIN → WRONG_VEHICLE', async () => {
    await expectRefused(issue({ aud: OTHER_VIN }), 'WRONG_VEHICLE');
  });

  it('the same credential shown to another car → WRONG_VEHICLE', async () => {
    const credential = await issue();
    expectThrowsWithCode(() => verify(credential, { vin: OTHER_VIN }), 'WRONG_VEHICLE');
  });

  it.each<[string, unknown]>([
    ['an array of other VINs', [OTHER_VIN, 'WVWZZZ1JZXW000003']],
    ['an array of only this VIN', [VIN]],
    ['an array including this VIN', [VIN, OTHER_VIN]],
    ['the VIN as bytes', new TextEncoder().encode(VIN)],
  ])('aud %s is not a credential for exactly this car → BAD_CREDENTIAL', async (_name, aud) => {
    await expectRefused(signedWith((c) => c.set(CLAIM.aud, aud)), 'BAD_CREDENTIAL');
  });

  // aud must be a well-formed VIN, whatever the verifier is configured with.
  it.each([
    ['lowercase', VIN.toLowerCase()],
    ['with an I', 'WVWZZZ1JZXW00000I'],
    ['16 characters', VIN.slice(0, 16)],
  ])('aud a malformed VIN (%s), even for a verifier configured with that same string → BAD_CREDENTIAL', async (_name, badVin) => {
    const credential = await signedWith((c) => c.set(CLAIM.aud, badVin));
    expectThrowsWithCode(() => verify(credential, { vin: badVin }), 'BAD_CREDENTIAL');
  });
});

describe('validity window with clock skew (table)', () => {
  // nbf is the first valid second: with skew S the first accepted second is nbf - S.
  // exp is the first invalid second (RFC 8392 §3.1.4 / RFC 7519 §4.1.4 "on or after"): the last
  // accepted second is exp + S - 1, and exp + S is refused. iat may be at most S ahead.
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
    { name: 'skew 0: iat one second ahead', claims: { iat: NOW + 1, nbf: NOW }, skew: 0, result: 'NOT_YET_VALID' },
  ];

  it.each(rows)('$name → $result', async ({ claims, skew, result }) => {
    // Signed raw: issueKeyCredential is not the thing under test, and iat/nbf/exp are set freely.
    const credential = await signCredentialCwt(issuer.key, credentialCwtClaims(claims));
    const verifying = () => verify(credential, skew === undefined ? {} : { skewSeconds: skew });
    if (result === 'ok') expect(verifying()).toMatchObject({ sub: KEY_ID });
    else expectThrowsWithCode(verifying, result);
  });
});

describe('claims that fail the schema are refused with BAD_CREDENTIAL, even when genuinely signed', () => {
  const cnfWith = (change: (key: Map<number, unknown>) => void) => (c: Map<number, unknown>) => {
    const key = (c.get(CLAIM.cnf) as Map<number, Map<number, unknown>>).get(1)!;
    change(key);
  };
  const rows: [string, (c: Map<number, unknown>) => void][] = [
    ['perms bitmask 0 (no command at all)', (c) => c.set(CLAIM.sdk, [0, 0, 0])],
    ['perms with an unknown bit (16)', (c) => c.set(CLAIM.sdk, [0, 0b1_0000, 0])],
    ['perms with every bit of a 32-bit word set', (c) => c.set(CLAIM.sdk, [0, 0xffff_ffff, 0])],
    ['perms negative', (c) => c.set(CLAIM.sdk, [0, -1, 0])],
    ['perms as a list of names', (c) => c.set(CLAIM.sdk, [0, ['unlock'], 0])],
    ['role 2', (c) => c.set(CLAIM.sdk, [2, 0b1111, 0])],
    ['role -1', (c) => c.set(CLAIM.sdk, [-1, 0b1111, 0])],
    ['role as the text "main"', (c) => c.set(CLAIM.sdk, ['main', 0b1111, 0])],
    ['role as true', (c) => c.set(CLAIM.sdk, [true, 0b1111, 0])],
    ['sdk with two elements (no ep)', (c) => c.set(CLAIM.sdk, [0, 0b1111])],
    ['sdk with four elements', (c) => c.set(CLAIM.sdk, [0, 0b1111, 0, 0])],
    ['sdk a map', (c) => c.set(CLAIM.sdk, new Map([[0, 0]]))],
    ['ep negative', (c) => c.set(CLAIM.sdk, [0, 0b1111, -1])],
    ['ep a text', (c) => c.set(CLAIM.sdk, [0, 0b1111, '3'])],
    ['cnf not a map', (c) => c.set(CLAIM.cnf, hex('02'))],
    ['cnf an empty map (not bound to a passkey)', (c) => c.set(CLAIM.cnf, new Map())],
    ['cnf holding an Encrypted_COSE_Key (2) instead of a COSE_Key (1)', (c) => c.set(CLAIM.cnf, new Map([[2, (c.get(CLAIM.cnf) as Map<number, unknown>).get(1)]]))],
    ['cnf holding two keys', (c) => c.set(CLAIM.cnf, new Map([[1, (c.get(CLAIM.cnf) as Map<number, unknown>).get(1)], [3, hex('00')]]))],
    ['cnf: kty OKP (1), not EC2', cnfWith((k) => k.set(1, 1))],
    ['cnf: crv P-384 (2)', cnfWith((k) => k.set(-1, 2))],
    ['cnf: x of 31 bytes', cnfWith((k) => k.set(-2, new Uint8Array(31)))],
    ['cnf: x of 33 bytes (a whole compressed point)', cnfWith((k) => k.set(-2, PASSKEY_POINT))],
    ['cnf: y as the full coordinate (an uncompressed key)', cnfWith((k) => k.set(-3, Buffer.from(PASSKEY_JWK.y, 'base64url')))],
    ['cnf: y missing', cnfWith((k) => k.delete(-3))],
    ['cnf: y as 0 instead of false', cnfWith((k) => k.set(-3, 0))],
    ['cnf: an alg label (3) beside the four', cnfWith((k) => k.set(3, -7))],
    ['cnf: a kid (2, the passkey id) beside the four', cnfWith((k) => k.set(2, new Uint8Array(16)))],
    ['sub with a hash-tag brace', (c) => c.set(CLAIM.sub, 'key_{AAAAAAAAAAAAAAAAAA}')],
    ['sub with a colon', (c) => c.set(CLAIM.sub, 'key:AAAAAAAAAAAAAAAAAAAA')],
    ['sub too short', (c) => c.set(CLAIM.sub, 'short')],
    ['sub as bytes', (c) => c.set(CLAIM.sub, new TextEncoder().encode(KEY_ID))],
    ['exp a text', (c) => c.set(CLAIM.exp, String(NOW + DAY))],
    ['exp negative', (c) => c.set(CLAIM.exp, -1)],
    ['exp as a CBOR date (tag 1)', (c) => c.set(CLAIM.exp, tagged(1, NOW + DAY))],
    ['nbf a text', (c) => c.set(CLAIM.nbf, String(NOW))],
    ['iat negative', (c) => c.set(CLAIM.iat, -1)],
  ];

  it('control: the unedited claims, signed the same way, verify', async () => {
    expect(verify(await signedWith(() => {}))).toMatchObject({ sub: KEY_ID });
  });

  it.each(rows)('%s', async (_name, change) => {
    expect((await expectRefused(signedWith(change), 'BAD_CREDENTIAL')).message).toMatch(/do not match the schema|no COSE_Key/);
  });

  it.each<[string, number, string]>([
    ['ep a float (1.5)', CLAIM.sdk, 'f93e00'],
    ['exp a float', CLAIM.exp, 'fb41da55c2a0000000'],
    ['exp beyond 2^53', CLAIM.exp, '1b0020000000000000'],
  ])('%s', async (_name, key, raw) => {
    const claims = credentialCwtClaims();
    claims.set(key, key === CLAIM.sdk ? [0, 0b1111, MARKER] : MARKER);
    const credential = await signCredentialCwt(issuer.key, withRawValue(claims, MARKER, hex(raw)));
    expect(expectThrowsWithCode(() => verify(credential), 'BAD_CREDENTIAL').message).toBe('claims are not strict CBOR');
  });
});

describe('garbage is refused with BAD_CREDENTIAL', () => {
  it.each(Object.entries(GARBAGE_COSE))('%s', (_name, token) => {
    expectThrowsWithCode(() => verify(token), 'BAD_CREDENTIAL');
  });

  it('the base64url text of a genuine credential, not decoded to its bytes', async () => {
    const text = Buffer.from(await issue()).toString('base64url');
    expectThrowsWithCode(() => verify(text as unknown as Uint8Array), 'BAD_CREDENTIAL');
    expectThrowsWithCode(() => verify(new TextEncoder().encode(text)), 'BAD_CREDENTIAL');
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array of byte values', [0xd2, 0x84]],
    ['an object', { credential: 'x' }],
  ])('not bytes at all: %s', (_name, value) => {
    expectThrowsWithCode(() => verify(value as Uint8Array), 'BAD_CREDENTIAL');
  });
});

describe('readKeyCredential (the phone reading its own credential, unverified)', () => {
  it('reads the claims without any trust (iss is unknown without it)', async () => {
    const read = readKeyCredential(await issue({ role: 'shared', perms: ['unlock'] }));
    expect(read).toMatchObject({ iss: '', sub: KEY_ID, role: 'shared', perms: ['unlock'], passkeyPoint: PASSKEY_POINT });
  });

  it('verifies nothing: a credential signed by an untrusted key reads the same, so reading is never a check', async () => {
    const forged = await issueKeyCredential({ key: await impostorKey(), claims: credentialClaims() });
    expect(readKeyCredential(forged)).toEqual(readKeyCredential(await issue()));
  });

  it('still refuses what is not a strict credential: a manifest, a trailing byte, garbage', async () => {
    const manifest = await signStateManifest({ key: issuer.key, claims: manifestClaims() });
    expectThrowsWithCode(() => readKeyCredential(manifest), 'BAD_CREDENTIAL');
    const trailing = concatBytes(await issue(), [0]);
    expect(() => readKeyCredential(trailing)).toThrow();
    expect(() => readKeyCredential(new Uint8Array(0))).toThrow();
  });
});
