/**
 * Strict COSE for both signed CWTs: a key credential or a state manifest has one reading. Every
 * encoding with slack in it (non-preferred integers and lengths, indefinite lengths, unsorted or
 * repeated map keys, bytes after the item), every header the verifier did not ask for (another alg,
 * crit, a key carried by the message, an unprotected header) and every envelope that is not a
 * tagged COSE_Sign1 with a 64-byte signature is refused with the kind's own code, also when the
 * issuer's key genuinely signed it. Only a signature problem is BAD_SIGNATURE. These replace the
 * compact-JWS strictness cases the two kinds had (strictCompactJws.test.ts keeps the JWS kinds).
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type JsonWebKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyKeyCredential } from '../../../shared/credential/keyCredential.js';
import { MAX_SIGNED_CWT_BYTES } from '../../../shared/credential/signedCwt.js';
import { verifyStateManifest } from '../../../shared/credential/stateManifest.js';
import { encodeDeterministic } from '../../../shared/cose/strictCbor.js';
import type { ErrorCode } from '../../../shared/errors/errorCode.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import {
  CLAIM,
  CREDENTIAL_TYP,
  ES256,
  LABEL,
  MANIFEST_TYP,
  NOW,
  OTHER_VIN,
  VIN,
  b64urlJson,
  cborBytes,
  cborHead,
  concatBytes,
  coseHeader,
  coseParts,
  credentialClaims,
  credentialCwtClaims,
  hex,
  hmacKeyConfusionTokens,
  impostorKey,
  makeIssuer,
  manifestClaims,
  manifestCwtClaims,
  signCose,
  sigStructure,
  toHex,
  type CoseParts,
  type TestIssuer,
} from '../../support/tokenFixtures.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await makeIssuer();
});

interface Kind {
  name: string;
  typ: string;
  /** The kind's malformed code. */
  code: ErrorCode;
  claims(): Map<number, unknown>;
  /** The same claims as JSON, as the JWS format carried them. */
  jsonClaims(): unknown;
  verify(token: Uint8Array): unknown;
}

const KINDS: Kind[] = [
  {
    name: 'key credential',
    typ: CREDENTIAL_TYP,
    code: 'BAD_CREDENTIAL',
    claims: () => credentialCwtClaims(),
    jsonClaims: () => credentialClaims(),
    verify: (credential) => verifyKeyCredential({ credential, trust: issuer.trust, vin: VIN, nowSeconds: NOW }),
  },
  {
    name: 'state manifest',
    typ: MANIFEST_TYP,
    code: 'BAD_STATE',
    claims: () => manifestCwtClaims(),
    jsonClaims: () => manifestClaims(),
    verify: (manifest) => verifyStateManifest({ manifest, trust: issuer.trust, vin: VIN, nowSeconds: NOW }),
  },
];

/** The CBOR encoding of one value (a map key, a claim value). */
const cbor = (value: unknown): Uint8Array => encodeDeterministic(value);

/** A map written entry by entry in the given order, with the given head: what no deterministic encoder writes. */
function rawMap(entries: Array<[unknown, unknown]>, head: Uint8Array = cborHead(5, entries.length)): Uint8Array {
  return concatBytes(head, ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)]));
}

/** The four items of a COSE_Sign1, each already encoded, behind a head (tag and array): reassembled byte by byte. */
interface RawCose {
  head: Uint8Array;
  protected: Uint8Array;
  unprotected: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
  tail: Uint8Array;
}

function rawItems(parts: CoseParts): RawCose {
  return {
    head: hex('d284'),
    protected: cborBytes(parts.protectedBytes),
    unprotected: cbor(parts.unprotected),
    payload: cborBytes(parts.payload),
    signature: cborBytes(parts.signature),
    tail: new Uint8Array(0),
  };
}

/** Rebuild a genuine token with some of its encoded items replaced. */
function rebuild(token: Uint8Array, change: Partial<RawCose>): Uint8Array {
  const items = { ...rawItems(coseParts(token)), ...change };
  return concatBytes(items.head, items.protected, items.unprotected, items.payload, items.signature, items.tail);
}

describe.each(KINDS)('$name: strict COSE_Sign1', (kind) => {
  const genuine = () => signCose(issuer.key, { header: coseHeader(issuer.key, kind.typ), payload: kind.claims() });
  /** A token genuinely signed by the issuer over this protected header (bytes or map) and the kind's claims. */
  const withHeader = (header: Map<number, unknown> | Uint8Array) => signCose(issuer.key, { header, payload: kind.claims() });
  /** A token genuinely signed by the issuer over these payload bytes under the kind's header. */
  const withPayload = (payload: Uint8Array) => signCose(issuer.key, { header: coseHeader(issuer.key, kind.typ), payload });
  async function expectRefused(token: Uint8Array | Promise<Uint8Array>, code: ErrorCode = kind.code) {
    const bytes = await token;
    return expectThrowsWithCode(() => kind.verify(bytes), code);
  }

  it('control: the genuine token verifies, and rebuilding it item by item gives the same bytes', async () => {
    const token = await genuine();
    expect(kind.verify(token)).toMatchObject({ aud: VIN });
    expect(toHex(rebuild(token, {}))).toBe(toHex(token));
  });

  describe('the envelope', () => {
    it.each<[string, (token: Uint8Array) => Uint8Array]>([
      ['a trailing zero byte after the COSE item', (t) => concatBytes(t, [0])],
      ['the token twice', (t) => concatBytes(t, t)],
      ['tag 18 written in two bytes (d8 12)', (t) => rebuild(t, { head: hex('d81284') })],
      ['the array length written in two bytes (98 04)', (t) => rebuild(t, { head: hex('d29804') })],
      ['an indefinite-length array', (t) => rebuild(t, { head: hex('d29f'), tail: hex('ff') })],
      ['no tag (a bare COSE_Sign1 array)', (t) => rebuild(t, { head: hex('84') })],
      ['wrapped in the CWT tag 61 (RFC 8392 §6)', (t) => concatBytes(hex('d83d'), t)],
      ['tagged 17 (COSE_Mac0)', (t) => rebuild(t, { head: hex('d184') })],
      ['tagged 98 (COSE_Sign)', (t) => rebuild(t, { head: hex('d86284') })],
      ['five elements', (t) => rebuild(t, { head: hex('d285'), tail: hex('00') })],
      ['three elements (no signature)', (t) => rebuild(t, { head: hex('d283'), signature: new Uint8Array(0) })],
      ['the protected header length written in two bytes', (t) => rebuild(t, { protected: cborBytes(coseParts(t).protectedBytes, 2) })],
      ['the protected header as a map, not a byte string', (t) => rebuild(t, { protected: coseParts(t).protectedBytes })],
      ['the protected header empty (no alg)', (t) => rebuild(t, { protected: hex('40') })],
      ['the payload length written in four bytes', (t) => rebuild(t, { payload: cborBytes(coseParts(t).payload, 4) })],
      ['the payload as an indefinite-length byte string', (t) => {
        const p = coseParts(t).payload;
        return rebuild(t, { payload: concatBytes(hex('5f'), cborBytes(p.subarray(0, 10)), cborBytes(p.subarray(10)), hex('ff')) });
      }],
      ['a detached payload (nil)', (t) => rebuild(t, { payload: hex('f6') })],
      ['the payload as a map, not a byte string', (t) => rebuild(t, { payload: coseParts(t).payload })],
      ['the unprotected header as an indefinite-length empty map', (t) => rebuild(t, { unprotected: hex('bfff') })],
      ['the unprotected header as nil', (t) => rebuild(t, { unprotected: hex('f6') })],
      ['the signature length written in two bytes', (t) => rebuild(t, { signature: cborBytes(coseParts(t).signature, 2) })],
    ])('%s', async (_name, change) => {
      const err = await expectRefused(change(await genuine()));
      expect(err.message).toMatch(/^not a strict COSE_Sign1: /);
    });

    it.each<[string, Map<number, unknown>]>([
      ["the issuer's kid", new Map([[LABEL.kid, hex('0102030405060708')]])],
      ['a typ', new Map([[LABEL.typ, 'sdk-key+cwt']])],
      ['an alg', new Map([[LABEL.alg, ES256]])],
      ['an x5chain (33)', new Map([[LABEL.x5chain, new Uint8Array(10)]])],
    ])('an unprotected header (not covered by the signature) holding %s, the signature still genuine', async (_name, unprotected) => {
      const token = await signCose(issuer.key, { header: coseHeader(issuer.key, kind.typ), payload: kind.claims(), unprotected });
      expect((await expectRefused(token)).message).toMatch(/unprotected header must be empty/);
    });

    it.each<[string, number]>([
      ['none (the signature stripped)', 0],
      ['63 bytes', 63],
      ['65 bytes', 65],
      ['32 bytes (an HMAC-SHA256 tag)', 32],
    ])('a signature of %s', async (_name, length) => {
      const token = await genuine();
      const signature = new Uint8Array(length).fill(1);
      expect((await expectRefused(rebuild(token, { signature: cborBytes(signature) }))).message).toMatch(/64 bytes/);
    });

    it('a genuine signature in DER (as WebAuthn writes it), not the raw 64-byte r‖s', async () => {
      const token = await genuine();
      const { protectedBytes, payload } = coseParts(token);
      const privateKey = createPrivateKey({ key: issuer.key.exportPrivateJwk() as JsonWebKey, format: 'jwk' });
      const der = new Uint8Array(nodeSign('sha256', sigStructure(protectedBytes, payload), { key: privateKey, dsaEncoding: 'der' }));
      expect(nodeVerify('sha256', sigStructure(protectedBytes, payload), createPublicKey(privateKey), der)).toBe(true);
      expect((await expectRefused(rebuild(token, { signature: cborBytes(der) }))).message).toMatch(/64 bytes/);
    });

    it('a flipped signature bit → BAD_SIGNATURE', async () => {
      const { signature } = coseParts(await genuine());
      const flipped = new Uint8Array(signature);
      flipped[0]! ^= 0x80;
      await expectRefused(rebuild(await genuine(), { signature: cborBytes(flipped) }), 'BAD_SIGNATURE');
    });

    it(`size cap: a ${MAX_SIGNED_CWT_BYTES}-byte token reaches the signature check, one byte more is refused before it`, async () => {
      // Signed by an untrusted key with a filler claim: under the cap it is BAD_SIGNATURE (read up to
      // the signature), over it the kind's own code (never decoded at all).
      const impostor = await impostorKey();
      const bySize = new Map<number, Uint8Array>();
      const bare = (await signCose(impostor, { header: coseHeader(impostor, kind.typ), payload: kind.claims().set(-99, new Uint8Array(0)) })).length;
      for (let filler = MAX_SIGNED_CWT_BYTES - bare - 8; filler < MAX_SIGNED_CWT_BYTES - bare + 2; filler++) {
        const token = await signCose(impostor, { header: coseHeader(impostor, kind.typ), payload: kind.claims().set(-99, new Uint8Array(filler)) });
        bySize.set(token.length, token);
      }
      await expectRefused(bySize.get(MAX_SIGNED_CWT_BYTES)!, 'BAD_SIGNATURE');
      const over = await expectRefused(bySize.get(MAX_SIGNED_CWT_BYTES + 1)!);
      expect(over.message).toMatch(/too long/);
    });
  });

  describe('the protected header', () => {
    const header = (...entries: Array<[number | string, unknown]>) => new Map<number, unknown>([...coseHeader(issuer.key, kind.typ), ...entries] as Array<[number, unknown]>);
    const kid = () => coseHeader(issuer.key).get(LABEL.kid) as Uint8Array;
    const typBytes = () => cbor(kind.typ);

    it.each<[string, unknown]>([
      ['ES384 (-35)', -35],
      ['ES512 (-36)', -36],
      ['EdDSA (-8)', -8],
      ['ES256K (-47)', -47],
      ['HMAC 256/256 (5)', 5],
      ['0 (reserved)', 0],
      ['the text "ES256"', 'ES256'],
      ['the text "none"', 'none'],
    ])('alg %s, genuinely signed by the issuer with ES256 anyway', async (_name, alg) => {
      expect((await expectRefused(withHeader(header([LABEL.alg, alg])))).message).toMatch(/only ES256/);
    });

    it('alg missing', async () => {
      const h = coseHeader(issuer.key, kind.typ);
      h.delete(LABEL.alg);
      expect((await expectRefused(withHeader(h))).message).toMatch(/only ES256/);
    });

    it('alg swapped to ES384 on a genuine ES256 signature', async () => {
      const token = await genuine();
      await expectRefused(rebuild(token, { protected: cborBytes(encodeDeterministic(header([LABEL.alg, -35]))) }));
    });

    it.each<[string, Array<[number | string, unknown]>]>([
      ['an unknown critical header (crit [99], 99)', [[LABEL.crit, [99]], [99, 1]]],
      ['crit naming a label the verifier knows (crit [4])', [[LABEL.crit, [LABEL.kid]]]],
      ['an unknown label (99)', [[99, 1]]],
      ['a negative private label (-65537)', [[-65537, 1]]],
      ['a text label ("typ")', [['typ', kind.typ]]],
      ['content type application/cwt (3: 61)', [[LABEL.contentType, 61]]],
      ['an IV (5)', [[LABEL.iv, new Uint8Array(12)]]],
      ['a certificate chain carried by the message (x5chain, 33)', [[LABEL.x5chain, new Uint8Array(40)]]],
      ['a certificate thumbprint (x5t, 34)', [[LABEL.x5t, [-16, new Uint8Array(32)]]]],
      ['a certificate URI (x5u, 35)', [[LABEL.x5u, 'https://attacker.example/cert.pem']]],
      ['a CWT carrying a key (kcwt, 13)', [[13, new Uint8Array(40)]]],
      ['a CCS carrying a key (kccs, 14)', [[14, new Map([[8, new Map([[1, new Map([[1, 2]])]])]])]]],
    ])('%s', async (_name, entries) => {
      const err = await expectRefused(withHeader(header(...entries)));
      expect(err.message).toMatch(/not a strict COSE_Sign1/);
    });

    it('an attacker key in the header (kccs) with its own signature and kid: refused before any key is looked up', async () => {
      const attacker = await impostorKey();
      const coseKey = new Map<number, unknown>([[1, 2], [-1, 1], [-2, Buffer.from(attacker.publicJwk.x!, 'base64url')], [-3, Buffer.from(attacker.publicJwk.y!, 'base64url')]]);
      const h = coseHeader(attacker, kind.typ).set(14, new Map([[8, new Map([[1, coseKey]])]]));
      await expectRefused(signCose(attacker, { header: h, payload: kind.claims() }));
    });

    it.each<[string, () => Uint8Array]>([
      ['labels unsorted (typ, kid, alg)', () => rawMap([[LABEL.typ, kind.typ], [LABEL.kid, kid()], [LABEL.alg, ES256]])],
      ['alg twice (-7, then -7)', () => rawMap([[LABEL.alg, ES256], [LABEL.alg, ES256], [LABEL.kid, kid()], [LABEL.typ, kind.typ]])],
      ['typ twice (the credential kind first, then this one)', () => rawMap([[LABEL.alg, ES256], [LABEL.kid, kid()], [LABEL.typ, kind.typ === CREDENTIAL_TYP ? MANIFEST_TYP : CREDENTIAL_TYP], [LABEL.typ, kind.typ]])],
      ['alg -7 written as a non-preferred integer (38 06 instead of 26)', () => concatBytes(hex('a301'), cborHead(1, 6, 1), hex('04'), cbor(kid()), hex('10'), typBytes())],
      ['the kid length written in two bytes', () => concatBytes(hex('a30126'), hex('04'), cborBytes(kid(), 2), hex('10'), typBytes())],
      ['an indefinite-length map', () => concatBytes(hex('bf0126'), hex('04'), cbor(kid()), hex('10'), typBytes(), hex('ff'))],
      ['a map head claiming four entries for three', () => concatBytes(hex('a40126'), hex('04'), cbor(kid()), hex('10'), typBytes())],
      ['a trailing byte after the map', () => concatBytes(cbor(coseHeader(issuer.key, kind.typ)), hex('00'))],
      ['an array, not a map', () => cbor([ES256, kid(), kind.typ])],
    ])('not deterministic or not a map: %s', async (_name, headerBytes) => {
      const err = await expectRefused(withHeader(headerBytes()));
      expect(err.message).toMatch(/^not a strict COSE_Sign1: /);
    });

    it.each<[string, unknown]>([
      ['7 bytes', new Uint8Array(7)],
      ['9 bytes (the 8 of the issuer key and one more)', 'ISSUER+1'],
      ['empty', new Uint8Array(0)],
      ["the JWS kid (the key's whole thumbprint as text)", 'JWS'],
      ['an integer', 1],
    ])('kid of %s', async (_name, value) => {
      const named = value === 'JWS' ? issuer.key.kid : value === 'ISSUER+1' ? concatBytes(kid(), [0]) : value;
      const err = await expectRefused(withHeader(header([LABEL.kid, named])));
      expect(err.message).toBe('no key id');
    });

    it('kid missing', async () => {
      const h = coseHeader(issuer.key, kind.typ);
      h.delete(LABEL.kid);
      await expectRefused(withHeader(h));
    });

    it('kid of a key the vehicle does not trust (8 bytes, genuine issuer signature) → BAD_SIGNATURE', async () => {
      await expectRefused(withHeader(header([LABEL.kid, hex('ffffffffffffffff')])), 'BAD_SIGNATURE');
    });
  });

  describe('the claims', () => {
    it.each<[string, () => Uint8Array]>([
      ['claim keys unsorted', () => rawMap([...kind.claims()].reverse())],
      ['aud twice (another VIN first)', () => rawMap([[CLAIM.aud, OTHER_VIN], ...kind.claims()])],
      ['aud twice (this VIN, then another)', () => rawMap([...kind.claims()].flatMap((e): Array<[unknown, unknown]> => (e[0] === CLAIM.aud ? [e, [CLAIM.aud, OTHER_VIN]] : [e])))],
      ['iat as a non-preferred integer (8 bytes)', () => {
        const entries = [...kind.claims()];
        return concatBytes(cborHead(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), k === CLAIM.iat ? cborHead(0, v as number, 8) : cbor(v)]));
      }],
      ['an indefinite-length claims map', () => {
        const entries = [...kind.claims()];
        return concatBytes(hex('bf'), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)]), hex('ff'));
      }],
      ['a trailing byte after the claims map', () => concatBytes(cbor(kind.claims()), hex('00'))],
      ['a float for iat', () => {
        const entries = [...kind.claims()];
        return concatBytes(cborHead(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), k === CLAIM.iat ? hex('fb41da55b900000000') : cbor(v)]));
      }],
      ['a claim value nested 17 deep', () => {
        let deep: unknown = 0;
        for (let i = 0; i < 17; i++) deep = [deep];
        return cbor(kind.claims().set(-99, deep));
      }],
      ['an array of the claim values', () => cbor([...kind.claims().values()])],
      ['a text string', () => cbor('claims')],
      ['a map with text keys (the JWS claim names)', () => cbor(new Map(Object.entries(kind.jsonClaims() as Record<string, unknown>).filter(([, v]) => typeof v === 'string' || typeof v === 'number')))],
      ['the JSON claims of the JWS format', () => new TextEncoder().encode(JSON.stringify(kind.jsonClaims()))],
      ['the base64url JSON claims of the JWS format', () => new TextEncoder().encode(b64urlJson(kind.jsonClaims()))],
      ['empty', () => new Uint8Array(0)],
    ])('%s, genuinely signed → refused', async (_name, payload) => {
      const err = await expectRefused(withPayload(payload()));
      expect(err.message).toMatch(/claims are not/);
    });

    it('the claims are read only after the signature verifies: unreadable claims under an untrusted key → BAD_SIGNATURE', async () => {
      const impostor = await impostorKey();
      await expectRefused(signCose(impostor, { header: coseHeader(impostor, kind.typ), payload: hex('ff') }), 'BAD_SIGNATURE');
    });
  });

  it('key confusion: HMAC with the issuer public key as the secret, as COSE_Mac0 and as a Sign1 with alg 5', async () => {
    const tokens = hmacKeyConfusionTokens(issuer.key, kind.typ, kind.claims());
    expect(Object.keys(tokens)).toHaveLength(6);
    for (const token of Object.values(tokens)) await expectRefused(token);
  });

  it('a refusal is our error naming the reason, never the parser’s own', async () => {
    const err = await expectRefused(concatBytes(await genuine(), [0]));
    expect(err.message).toBe('not a strict COSE_Sign1: bytes after the CBOR item');
  });
});

describe('RFC 9052 §4.4 Sig_structure (known answer)', () => {
  it('a genuine credential verifies over ["Signature1", protected, h\'\', payload] written byte by byte', async () => {
    const token = await signCose(issuer.key, { header: coseHeader(issuer.key), payload: credentialCwtClaims() });
    const { protectedBytes, payload, signature } = coseParts(token);
    // 84: array(4); 6a "Signature1"; 58 1a protected (26 bytes); 40: h''; 58 LL payload.
    const structure = concatBytes(hex('846a'), new TextEncoder().encode('Signature1'), cborBytes(protectedBytes), hex('40'), cborBytes(payload));
    expect(toHex(structure)).toBe(toHex(sigStructure(protectedBytes, payload)));
    const publicKey = createPublicKey({ key: issuer.key.publicJwk as JsonWebKey, format: 'jwk' });
    expect(nodeVerify('sha256', structure, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    // A Sig_structure with external_aad or another context would not verify: nothing else is signed.
    const withAad = concatBytes(hex('846a'), new TextEncoder().encode('Signature1'), cborBytes(protectedBytes), hex('4100'), cborBytes(payload));
    expect(nodeVerify('sha256', withAad, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);
  });
});
