/**
 * The state manifest (DESIGN.md §2): the signed revocation state a vehicle applies. A forged or
 * confused manifest could bring a revoked key back (R6, R13), so every refusal is checked by code.
 */
import { decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueKeyCredential } from '../../../shared/credential/keyCredential.js';
import {
  STATE_MANIFEST_TYP,
  signStateManifest,
  verifyStateManifest,
  type StateManifestClaims,
} from '../../../shared/credential/stateManifest.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import {
  DAY,
  GARBAGE_TOKENS,
  KEY_ID,
  KEY_NAMING_HEADERS,
  NOW,
  OTHER_VIN,
  VIN,
  algNoneToken,
  credentialClaims,
  embeddedJwkToken,
  hs256KeyConfusionTokens,
  impostorKey,
  issuerHeader,
  makeIssuer,
  manifestClaims,
  signManifestPayload,
  signRaw,
  tamperPayload,
  withoutClaims,
  type TestIssuer,
} from '../../support/tokenFixtures.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await makeIssuer();
});

function verify(manifest: string, opts: { vin?: string; nowSeconds?: number } = {}): Promise<StateManifestClaims> {
  return verifyStateManifest({ manifest, trust: issuer.trust, vin: opts.vin ?? VIN, nowSeconds: opts.nowSeconds ?? NOW });
}

function sign(overrides: Partial<StateManifestClaims> = {}): Promise<string> {
  return signStateManifest({ key: issuer.key, claims: manifestClaims(overrides) });
}

const UUID = '3f0b8c52-6f1e-4c1a-9d0e-2b7f5e8a9c10';

describe('signStateManifest / verifyStateManifest round trip', () => {
  it('verifies what it signed and returns seq, ep and revoked unchanged', async () => {
    const claims = manifestClaims({ seq: 12, ep: 3, revoked: [KEY_ID, UUID] });
    await expect(verify(await signStateManifest({ key: issuer.key, claims }))).resolves.toEqual(claims);
  });

  it('signs with ES256, typ sdk-state+jwt and the issuer kid', async () => {
    expect(decodeProtectedHeader(await sign())).toEqual({ alg: 'ES256', typ: STATE_MANIFEST_TYP, kid: issuer.key.kid });
  });

  it('accepts an empty revocation list and seq/ep 0 (a freshly provisioned vehicle)', async () => {
    await expect(verify(await sign({ seq: 0, ep: 0, revoked: [] }))).resolves.toMatchObject({ seq: 0, ep: 0, revoked: [] });
  });

  it('has no lifetime: a manifest issued a year ago still verifies (a newer seq replaces it)', async () => {
    await expect(verify(await sign({ iat: NOW - 365 * DAY }))).resolves.toMatchObject({ seq: 7 });
  });

  it.each<[string, Partial<StateManifestClaims>]>([
    ['a negative seq', { seq: -1 }],
    ['a fractional epoch', { ep: 0.5 }],
    ['a revoked id with a colon', { revoked: ['a:b:c:d:e:f:g:h:i'] }],
  ])('refuses to sign a manifest with %s', async (_name, overrides) => {
    await expect(sign(overrides)).rejects.toThrow();
  });
});

describe('iat tolerance: a vehicle with a slow clock still takes a manifest up to a day ahead', () => {
  it.each<[string, number, boolean]>([
    ['iat exactly a day ahead', NOW + DAY, true],
    ['iat a day and a second ahead', NOW + DAY + 1, false],
    ['iat ten years ahead (would drag the forward-only clock past every credential)', NOW + 3650 * DAY, false],
  ])('%s', async (_name, iat, accepted) => {
    const verifying = verify(await sign({ iat }));
    if (accepted) await expect(verifying).resolves.toMatchObject({ iat });
    else await expectRejectsWithCode(verifying, 'BAD_STATE');
  });

  it('a manifest carrying an exp long past is refused → BAD_STATE', async () => {
    const jws = await signManifestPayload(issuer.key, { ...manifestClaims(), exp: NOW - 2 * DAY });
    await expectRejectsWithCode(verify(jws), 'BAD_STATE');
  });
});

describe('forged manifests are refused with BAD_SIGNATURE', () => {
  it('revocation stripping: a revoked key removed from a genuine manifest, signature kept', async () => {
    const forged = tamperPayload(await sign({ revoked: [KEY_ID] }), (p) => {
      p.revoked = [];
    });
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('epoch rollback: ep lowered on a genuine manifest, signature kept', async () => {
    const forged = tamperPayload(await sign({ ep: 5 }), (p) => {
      p.ep = 4;
    });
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('key substitution: signed by another key that claims the issuer kid', async () => {
    const forged = await signStateManifest({ key: await impostorKey(issuer.key.kid), claims: manifestClaims({ revoked: [] }) });
    await expectRejectsWithCode(verify(forged), 'BAD_SIGNATURE');
  });

  it('alg none', async () => {
    const token = algNoneToken({ alg: 'none', typ: STATE_MANIFEST_TYP }, manifestClaims({ revoked: [] }));
    await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
  });

  it('key confusion: HS256 with the issuer public key as the HMAC secret', async () => {
    for (const token of Object.values(hs256KeyConfusionTokens(issuer.key, STATE_MANIFEST_TYP, manifestClaims({ revoked: [] })))) {
      await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
    }
  });

  it('embedded jwk attack: signed by the key in its own header', async () => {
    const token = await embeddedJwkToken({ typ: STATE_MANIFEST_TYP, payload: manifestClaims({ revoked: [] }), kid: issuer.key.kid });
    await expectRejectsWithCode(verify(token), 'BAD_SIGNATURE');
  });

  it.each(Object.keys(KEY_NAMING_HEADERS))('a genuinely signed manifest carrying a %s header → BAD_STATE', async (name) => {
    const header = { ...issuerHeader(issuer.key, STATE_MANIFEST_TYP), [name]: KEY_NAMING_HEADERS[name] };
    await expectRejectsWithCode(verify(await signRaw(issuer.key, header, manifestClaims())), 'BAD_STATE');
  });
});

describe('audience and kind', () => {
  it('a manifest for another VIN → WRONG_VEHICLE', async () => {
    await expectRejectsWithCode(verify(await sign({ aud: OTHER_VIN })), 'WRONG_VEHICLE');
  });

  it('a genuine key credential presented as a state manifest → BAD_STATE', async () => {
    const credential = await issueKeyCredential({ key: issuer.key, claims: credentialClaims() });
    await expectRejectsWithCode(verify(credential), 'BAD_STATE');
  });

  it.each(['JWT', 'sdk-key+jwt', 'sdk-state'])('typ %j → BAD_STATE', async (typ) => {
    await expectRejectsWithCode(verify(await signRaw(issuer.key, issuerHeader(issuer.key, typ), manifestClaims())), 'BAD_STATE');
  });

  it('typ missing → BAD_STATE', async () => {
    await expectRejectsWithCode(verify(await signRaw(issuer.key, { alg: 'ES256', kid: issuer.key.kid }, manifestClaims())), 'BAD_STATE');
  });

  it('wrong iss on a genuine signature → BAD_STATE', async () => {
    await expectRejectsWithCode(verify(await signManifestPayload(issuer.key, manifestClaims({ iss: 'https://evil.example' }))), 'BAD_STATE');
  });
});

describe('claims that fail the schema are refused with BAD_STATE, even when genuinely signed', () => {
  const base = manifestClaims();
  const claimsWith = (change: Record<string, unknown>): Record<string, unknown> => ({ ...base, ...change });
  it.each<[string, Record<string, unknown>]>([
    ['seq missing', withoutClaims(base, 'seq')],
    ['seq negative', claimsWith({ seq: -1 })],
    ['seq not an integer', claimsWith({ seq: 7.5 })],
    ['seq a string', claimsWith({ seq: '8' })],
    ['ep missing', withoutClaims(base, 'ep')],
    ['ep negative', claimsWith({ ep: -1 })],
    ['ep not an integer', claimsWith({ ep: 2.5 })],
    ['revoked missing', withoutClaims(base, 'revoked')],
    ['revoked not a list', claimsWith({ revoked: KEY_ID })],
    ['revoked with a hash-tag brace', claimsWith({ revoked: ['{AAAAAAAAAAAAAAAAAAAA}'] })],
    ['revoked with a space', claimsWith({ revoked: ['AAAAAAAA AAAAAAAAAAA'] })],
    ['revoked with a number', claimsWith({ revoked: [42] })],
    ['revoked with an id too short', claimsWith({ revoked: ['short'] })],
    ['iat missing', withoutClaims(base, 'iat')],
    ['iat negative', claimsWith({ iat: -1 })],
    ['iss missing', withoutClaims(base, 'iss')],
    ['aud missing', withoutClaims(base, 'aud')],
  ])('%s', async (_name, payload) => {
    await expectRejectsWithCode(verify(await signManifestPayload(issuer.key, payload)), 'BAD_STATE');
  });
});

describe('garbage is refused with BAD_STATE', () => {
  it.each(Object.entries(GARBAGE_TOKENS))('%s', async (_name, token) => {
    await expectRejectsWithCode(verify(token), 'BAD_STATE');
  });
});
