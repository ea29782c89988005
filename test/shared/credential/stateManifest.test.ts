/**
 * The state manifest (DESIGN.md §2), a CWT in a COSE_Sign1: the signed revocation state a vehicle
 * applies. A forged or confused manifest could bring a revoked key back (R6, R13), so every refusal
 * is checked by code. Encoding strictness shared with the key credential is in signedCwt.test.ts.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueKeyCredential } from '../../../shared/credential/keyCredential.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { revokedKeyDigestHex } from '../../../shared/credential/revokedKeyDigest.js';
import { readStateManifest, signStateManifest, verifyStateManifest, type StateManifest, type StateManifestClaims } from '../../../shared/credential/stateManifest.js';
import { encodeDeterministic } from '../../../shared/cose/strictCbor.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import {
  CLAIM,
  CREDENTIAL_TYP,
  DAY,
  GARBAGE_COSE,
  ISSUER,
  KEY_ID,
  NOW,
  OTHER_VIN,
  VIN,
  concatBytes,
  coseHeader,
  coseParts,
  credentialClaims,
  hex,
  impostorKey,
  makeIssuer,
  manifestClaims,
  manifestCwtClaims,
  revokedDigest,
  signCose,
  signManifestCwt,
  tamperCwtClaims,
  toHex,
  type TestIssuer,
} from '../../support/tokenFixtures.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await makeIssuer();
});

function verify(manifest: Uint8Array, opts: { vin?: string; nowSeconds?: number } = {}): StateManifest {
  return verifyStateManifest({ manifest, trust: issuer.trust, vin: opts.vin ?? VIN, nowSeconds: opts.nowSeconds ?? NOW });
}

function sign(overrides: Partial<StateManifestClaims> = {}): Promise<Uint8Array> {
  return signStateManifest({ key: issuer.key, claims: manifestClaims(overrides) });
}

async function expectRefused(token: Uint8Array | Promise<Uint8Array>, code: ErrorCode, opts: Parameters<typeof verify>[1] = {}) {
  const bytes = await token;
  return expectThrowsWithCode(() => verify(bytes, opts), code);
}

/** A genuinely issuer-signed manifest whose claims map `change` has edited. */
function signedWith(change: (claims: Map<number, unknown>) => void, overrides: Partial<StateManifestClaims> = {}): Promise<Uint8Array> {
  const claims = manifestCwtClaims(overrides);
  change(claims);
  return signManifestCwt(issuer.key, claims);
}

const UUID = '3f0b8c52-6f1e-4c1a-9d0e-2b7f5e8a9c10';
/** n distinct key ids (base64url, 22 characters). */
const keyIds = (n: number) => Array.from({ length: n }, (_, i) => `key_${String(i).padStart(18, '0')}`);

describe('signStateManifest / verifyStateManifest round trip', () => {
  it('verifies what it signed and returns seq, ep and the revoked keys as the hex of their digests', async () => {
    const claims = manifestClaims({ seq: 12, ep: 3, revoked: [KEY_ID, UUID] });
    expect(verify(await signStateManifest({ key: issuer.key, claims }))).toEqual({
      iss: ISSUER,
      aud: VIN,
      iat: NOW,
      seq: 12,
      ep: 3,
      revoked: [revokedKeyDigestHex(KEY_ID), revokedKeyDigestHex(UUID)],
    });
  });

  it('names a revoked key by the first 8 bytes of SHA-256 of its id (known answer)', () => {
    expect(revokedKeyDigestHex(KEY_ID)).toBe(createHash('sha256').update(KEY_ID, 'utf8').digest('hex').slice(0, 16));
    expect(revokedKeyDigestHex(KEY_ID)).toMatch(/^[0-9a-f]{16}$/);
    expect(revokedKeyDigestHex(KEY_ID)).not.toBe(revokedKeyDigestHex(UUID));
  });

  it('accepts an empty revocation list and seq/ep 0 (a freshly provisioned vehicle)', async () => {
    expect(verify(await sign({ seq: 0, ep: 0, revoked: [] }))).toMatchObject({ seq: 0, ep: 0, revoked: [] });
  });

  it('has no lifetime: a manifest issued a year ago still verifies (a newer seq replaces it)', async () => {
    expect(verify(await sign({ iat: NOW - 365 * DAY }))).toMatchObject({ seq: 7 });
  });

  it('carries exactly 1000 revocations, and refuses to sign 1001', async () => {
    const manifest = await sign({ revoked: keyIds(1000) });
    expect(verify(manifest).revoked).toHaveLength(1000);
    expect(verify(manifest).revoked[999]).toBe(revokedKeyDigestHex(keyIds(1000)[999]!));
    await expect(sign({ revoked: keyIds(1001) })).rejects.toThrow();
  });

  it.each<[string, Partial<StateManifestClaims>]>([
    ['a negative seq', { seq: -1 }],
    ['a fractional epoch', { ep: 0.5 }],
    ['a revoked id with a colon', { revoked: ['a:b:c:d:e:f:g:h:i'] }],
    ['a VIN with an O', { aud: 'WVWZZZ1JZXW00000O' }],
  ])('refuses to sign a manifest with %s', async (_name, overrides) => {
    await expect(sign(overrides)).rejects.toThrow();
  });
});

describe('wire format (known answer)', () => {
  it('the claims are {3: aud, 6: iat, -65538: [seq, ep, [digest]]} and the header {1: -7, 4: kid, 16: "sdk-state+cwt"}, deterministically encoded', async () => {
    const manifest = await sign();
    const { protectedBytes, payload, unprotected } = coseParts(manifest);
    // The issuer's kid (its RFC 7638 thumbprint, base64url): the COSE kid is its first 8 bytes.
    const kid = Buffer.from(issuer.key.kid, 'base64url').subarray(0, 8).toString('hex');
    expect(toHex(protectedBytes)).toBe(`a301260448${kid}106d${Buffer.from('sdk-state+cwt').toString('hex')}`);
    expect(unprotected.size).toBe(0);
    const digest = createHash('sha256').update(KEY_ID).digest('hex').slice(0, 16);
    expect(toHex(payload)).toBe(`a30371${Buffer.from(VIN).toString('hex')}061a6955b9003a0001000183070281 48${digest}`.replace(/\s/g, ''));
  });

  it('a manifest built from hand-written bytes and signed by the issuer verifies', async () => {
    const bytes = hex(`a3 03 71 ${Buffer.from(VIN).toString('hex')} 06 1a 6955b900 3a 00010001 83 07 02 81 48 ${toHex(revokedDigest(KEY_ID))}`);
    const manifest = await signCose(issuer.key, { header: coseHeader(issuer.key, 'sdk-state+cwt'), payload: bytes });
    expect(verify(manifest)).toEqual({ iss: ISSUER, aud: VIN, iat: NOW, seq: 7, ep: 2, revoked: [revokedKeyDigestHex(KEY_ID)] });
  });
});

describe('iat tolerance: a vehicle with a slow clock still takes a manifest up to a day ahead', () => {
  it.each<[string, number, boolean]>([
    ['iat exactly a day ahead', NOW + DAY, true],
    ['iat a day and a second ahead', NOW + DAY + 1, false],
    ['iat ten years ahead (would drag the forward-only clock past every credential)', NOW + 3650 * DAY, false],
  ])('%s', async (_name, iat, accepted) => {
    const manifest = await sign({ iat });
    if (accepted) expect(verify(manifest)).toMatchObject({ iat });
    else expect(expectThrowsWithCode(() => verify(manifest), 'BAD_STATE').message).toMatch(/time bounds/);
  });

  it('a manifest carrying an exp (long past) is refused → BAD_STATE: a manifest has no lifetime claim', async () => {
    await expectRefused(signedWith((c) => c.set(CLAIM.exp, NOW - 2 * DAY)), 'BAD_STATE');
  });
});

describe('forged manifests are refused with BAD_SIGNATURE', () => {
  it('revocation stripping: a revoked key removed from a genuine manifest, signature kept', async () => {
    const forged = tamperCwtClaims(await sign({ revoked: [KEY_ID] }), (c) => {
      c.set(CLAIM.state, [7, 2, []]);
    });
    await expectRefused(forged, 'BAD_SIGNATURE');
  });

  it('revocation swapping: the revoked digest replaced by another key’s, signature kept', async () => {
    const forged = tamperCwtClaims(await sign({ revoked: [KEY_ID] }), (c) => {
      c.set(CLAIM.state, [7, 2, [revokedDigest(UUID)]]);
    });
    await expectRefused(forged, 'BAD_SIGNATURE');
  });

  it('epoch rollback: ep lowered on a genuine manifest, signature kept', async () => {
    const forged = tamperCwtClaims(await sign({ ep: 5 }), (c) => {
      c.set(CLAIM.state, [7, 4, [revokedDigest(KEY_ID)]]);
    });
    await expectRefused(forged, 'BAD_SIGNATURE');
  });

  it('key substitution: signed by another key that names the issuer key in the header', async () => {
    const forged = await signStateManifest({ key: await impostorKey(issuer.key), claims: manifestClaims({ revoked: [] }) });
    expect(coseParts(forged).protectedBytes).toEqual(coseParts(await sign()).protectedBytes);
    await expectRefused(forged, 'BAD_SIGNATURE');
  });

  it('a manifest signed by a key the vehicle was never given (same issuer name)', async () => {
    const other = await makeIssuer(ISSUER);
    await expectRefused(signStateManifest({ key: other.key, claims: manifestClaims({ revoked: [] }) }), 'BAD_SIGNATURE');
  });

  it('a genuine manifest checked against a JWKS that no longer holds its key', async () => {
    const manifest = await sign();
    const next = await LocalIssuerKey.generate();
    expectThrowsWithCode(() => verifyStateManifest({ manifest, trust: { issuer: ISSUER, jwks: { keys: [next.publicJwk] } }, vin: VIN, nowSeconds: NOW }), 'BAD_SIGNATURE');
  });
});

describe('one reading only (more in signedCwt.test.ts)', () => {
  it('the state claim twice (the revocation first, then an empty list), genuinely signed → BAD_STATE', async () => {
    const entry = (state: unknown[]) => [encodeDeterministic(CLAIM.state), encodeDeterministic(state)];
    const claims = concatBytes(hex('a4'), ...[...manifestCwtClaims()].filter(([k]) => k !== CLAIM.state).flatMap(([k, v]) => [encodeDeterministic(k), encodeDeterministic(v)]), ...entry([7, 2, [revokedDigest(KEY_ID)]]), ...entry([7, 2, []]));
    expect((await expectRefused(signManifestCwt(issuer.key, claims), 'BAD_STATE')).message).toBe('claims are not strict CBOR');
  });
});

describe('audience and kind', () => {
  it('a manifest for another VIN → WRONG_VEHICLE', async () => {
    await expectRefused(sign({ aud: OTHER_VIN }), 'WRONG_VEHICLE');
  });

  it('a genuine manifest shown to another car → WRONG_VEHICLE', async () => {
    await expectRefused(sign(), 'WRONG_VEHICLE', { vin: OTHER_VIN });
  });

  it('a genuine key credential presented as a state manifest → BAD_STATE', async () => {
    const credential = await issueKeyCredential({ key: issuer.key, claims: credentialClaims() });
    expect((await expectRefused(credential, 'BAD_STATE')).message).toBe('another kind of token');
  });

  it.each<[string, unknown]>([
    ['the key-credential kind', CREDENTIAL_TYP],
    ['the JWS kind it replaced, "sdk-state+jwt"', 'sdk-state+jwt'],
    ['"sdk-state"', 'sdk-state'],
    ['upper case', 'SDK-STATE+CWT'],
    ['an integer', 61],
  ])('typ %s → BAD_STATE', async (_name, typ) => {
    const header = coseHeader(issuer.key, 'sdk-state+cwt');
    header.set(16, typ);
    expect((await expectRefused(signCose(issuer.key, { header, payload: manifestCwtClaims() }), 'BAD_STATE')).message).toBe('another kind of token');
  });

  it('typ missing → BAD_STATE', async () => {
    const header = coseHeader(issuer.key, 'sdk-state+cwt');
    header.delete(16);
    await expectRefused(signCose(issuer.key, { header, payload: manifestCwtClaims() }), 'BAD_STATE');
  });
});

describe('claims that fail the schema are refused with BAD_STATE, even when genuinely signed', () => {
  it('control: the unedited claims, signed the same way, verify', async () => {
    expect(verify(await signedWith(() => {}))).toMatchObject({ seq: 7, ep: 2 });
  });

  it.each<[string, number]>([
    ['aud', CLAIM.aud],
    ['iat', CLAIM.iat],
    ['the state claim [seq, ep, revoked]', CLAIM.state],
  ])('missing %s', async (_name, key) => {
    expect((await expectRefused(signedWith((c) => c.delete(key)), 'BAD_STATE')).message).toBe(`missing claim ${key}`);
  });

  it.each<[string, number, unknown]>([
    ['iss (1), even naming the trusted issuer', CLAIM.iss, ISSUER],
    ['exp (4)', CLAIM.exp, NOW + DAY],
    ['sub (2)', CLAIM.sub, KEY_ID],
    ["the credential's sdk claim (-65537)", CLAIM.sdk, [0, 15, 0]],
  ])('an unknown claim: %s', async (_name, key, value) => {
    expect((await expectRefused(signedWith((c) => c.set(key, value)), 'BAD_STATE')).message).toBe(`unknown claim ${key}`);
  });

  const digest = revokedDigest(KEY_ID);
  it.each<[string, (c: Map<number, unknown>) => void]>([
    ['seq missing (two elements)', (c) => c.set(CLAIM.state, [2, [digest]])],
    ['four elements', (c) => c.set(CLAIM.state, [7, 2, [digest], 0])],
    ['the state claim a map', (c) => c.set(CLAIM.state, new Map([[0, 7]]))],
    ['seq negative', (c) => c.set(CLAIM.state, [-1, 2, [digest]])],
    ['seq a text', (c) => c.set(CLAIM.state, ['8', 2, [digest]])],
    ['ep negative', (c) => c.set(CLAIM.state, [7, -1, [digest]])],
    ['ep a text', (c) => c.set(CLAIM.state, [7, '2', [digest]])],
    ['revoked not a list', (c) => c.set(CLAIM.state, [7, 2, digest])],
    ['a revoked digest of 7 bytes', (c) => c.set(CLAIM.state, [7, 2, [digest.subarray(0, 7)]])],
    ['a revoked digest of 9 bytes', (c) => c.set(CLAIM.state, [7, 2, [hex(`${toHex(digest)}00`)]])],
    ['a whole SHA-256 (32 bytes) as the digest', (c) => c.set(CLAIM.state, [7, 2, [createHash('sha256').update(KEY_ID).digest()]])],
    ['an empty digest', (c) => c.set(CLAIM.state, [7, 2, [new Uint8Array(0)]])],
    ['a revoked key by its id in text (the JWS format)', (c) => c.set(CLAIM.state, [7, 2, [KEY_ID]])],
    ['a revoked entry that is a number', (c) => c.set(CLAIM.state, [7, 2, [42]])],
    ['1001 revoked digests', (c) => c.set(CLAIM.state, [7, 2, keyIds(1001).map(revokedDigest)])],
    ['iat negative', (c) => c.set(CLAIM.iat, -1)],
    ['iat a text', (c) => c.set(CLAIM.iat, String(NOW))],
    ['aud as bytes', (c) => c.set(CLAIM.aud, new TextEncoder().encode(VIN))],
    ['aud an array of this VIN', (c) => c.set(CLAIM.aud, [VIN])],
  ])('%s', async (_name, change) => {
    expect((await expectRefused(signedWith(change), 'BAD_STATE')).message).toBe('manifest claims do not match the schema');
  });

  it('exactly 1000 revoked digests, signed raw, verify', async () => {
    expect(verify(await signedWith((c) => c.set(CLAIM.state, [7, 2, keyIds(1000).map(revokedDigest)]))).revoked).toHaveLength(1000);
  });
});

describe('garbage is refused with BAD_STATE', () => {
  it.each(Object.entries(GARBAGE_COSE))('%s', (_name, token) => {
    expectThrowsWithCode(() => verify(token), 'BAD_STATE');
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a string (the base64url text, not decoded)', 'oQECAw'],
    ['a number', 7],
  ])('not bytes at all: %s', (_name, value) => {
    expectThrowsWithCode(() => verify(value as Uint8Array), 'BAD_STATE');
  });
});

describe('readStateManifest (a phone comparing seqs, unverified)', () => {
  it('reads seq, ep and the revoked digests without any trust', async () => {
    expect(readStateManifest(await sign({ seq: 9, revoked: [UUID] }))).toEqual({ iss: '', aud: VIN, iat: NOW, seq: 9, ep: 2, revoked: [revokedKeyDigestHex(UUID)] });
  });

  it('verifies nothing: a manifest signed by an untrusted key reads the same', async () => {
    const forged = await signStateManifest({ key: await impostorKey(), claims: manifestClaims() });
    expect(readStateManifest(forged)).toEqual(readStateManifest(await sign()));
  });

  it('still refuses claims that are not a manifest’s (a key credential)', async () => {
    const credential = await issueKeyCredential({ key: issuer.key, claims: credentialClaims() });
    expectThrowsWithCode(() => readStateManifest(credential), 'BAD_STATE');
  });

  it('reads the deterministic encoding only: a trailing byte is refused', async () => {
    const trailing = new Uint8Array([...(await sign()), 0]);
    expect(() => readStateManifest(trailing)).toThrow();
  });
});
