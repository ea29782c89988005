/**
 * COSE_Sign1 (RFC 9052) and strict CBOR: the RFC 8392 A.3 signed CWT verifies with the A.2.3 key
 * (so the Sig_structure is built exactly as the RFC says), and every encoding two parsers could
 * read differently is refused.
 */
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { decodeCoseSign1, signCoseSign1, verifyCoseSign1 } from '../../../shared/cose/coseSign1.js';
import { decodeStrictCbor } from '../../../shared/cose/strictCbor.js';

const RFC8392_A3 =
  'd28443a10126a104524173796d6d657472696345434453413235365850a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b7158405427c1ff28d23fbad1f29c4c7c6a555e601d6fa29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f85951ecee743a52b9b63632c57209120e1c9e30';
/** RFC 8392 A.2.3, the ECDSA P-256 key (public part). */
const RFC8392_A23 = { kty: 'EC', crv: 'P-256', x: Buffer.from('143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f', 'hex').toString('base64url'), y: Buffer.from('60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9', 'hex').toString('base64url') };

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = { sign: (data: Uint8Array) => Promise.resolve(new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }))) };
const HEADER = new Map<number, unknown>([[1, -7], [4, new Uint8Array(8)], [16, 65000]]);
const LABELS = [1, 4, 16];

describe('RFC 8392 A.3 (a signed CWT, ES256)', () => {
  it('its signature verifies with the A.2.3 key over our Sig_structure', () => {
    const [protectedBytes, , payload, signature] = (decode(hex(RFC8392_A3)) as Tag).contents as [Uint8Array, unknown, Uint8Array, Uint8Array];
    const key = createPublicKey({ key: RFC8392_A23, format: 'jwk' });
    expect(verifyCoseSign1({ protectedBytes, protectedHeader: new Map([[1, -7]]), payload, signature }, key)).toBe(true);
    const flipped = new Uint8Array(signature);
    flipped[10]! ^= 1;
    expect(verifyCoseSign1({ protectedBytes, protectedHeader: new Map([[1, -7]]), payload, signature: flipped }, key)).toBe(false);
  });

  it('our decoder still refuses it: its kid sits in the unprotected header, which our tokens never use', () => {
    expect(() => decodeCoseSign1(hex(RFC8392_A3), { allowedLabels: LABELS })).toThrow(/unprotected/);
  });
});

describe('signCoseSign1 / decodeCoseSign1', () => {
  it('round-trips and verifies; the payload, header or signature changed by one bit does not', async () => {
    const bytes = await signCoseSign1({ signer, protectedHeader: HEADER, payload: hex('a10102') });
    const m = decodeCoseSign1(bytes, { allowedLabels: LABELS });
    expect(verifyCoseSign1(m, publicKey)).toBe(true);
    expect(m.protectedHeader.get(16)).toBe(65000);
    expect(verifyCoseSign1({ ...m, payload: hex('a10103') }, publicKey)).toBe(false);
    expect(verifyCoseSign1({ ...m, protectedBytes: encode(new Map<number, unknown>([[1, -7], [4, new Uint8Array(8)], [16, 65001]])) }, publicKey)).toBe(false);
  });

  const tagged = (parts: unknown[]) => encode(new Tag(18, parts));
  const prot = (h: Map<number, unknown>) => encode(h);
  it.each<[string, () => Uint8Array]>([
    ['another tag (COSE_Mac0, 17)', () => encode(new Tag(17, [prot(HEADER), new Map(), hex('a0'), new Uint8Array(64)]))],
    ['no tag', () => encode([prot(HEADER), new Map(), hex('a0'), new Uint8Array(64)])],
    ['three elements', () => tagged([prot(HEADER), new Map(), hex('a0')])],
    ['a detached payload (null)', () => tagged([prot(HEADER), new Map(), null, new Uint8Array(64)])],
    ['a 63-byte signature', () => tagged([prot(HEADER), new Map(), hex('a0'), new Uint8Array(63)])],
    ['a DER-length signature', () => tagged([prot(HEADER), new Map(), hex('a0'), new Uint8Array(72)])],
    ['alg ES384', () => tagged([prot(new Map([[1, -35]])), new Map(), hex('a0'), new Uint8Array(64)])],
    ['no alg', () => tagged([prot(new Map([[4, new Uint8Array(8)]])), new Map(), hex('a0'), new Uint8Array(64)])],
    ['an unknown critical header (crit, label 2)', () => tagged([prot(new Map<number, unknown>([[1, -7], [2, [99]], [99, 1]])), new Map(), hex('a0'), new Uint8Array(64)])],
    ['a key carried by the message (x5chain, 33)', () => tagged([prot(new Map<number, unknown>([[1, -7], [33, new Uint8Array(10)]])), new Map(), hex('a0'), new Uint8Array(64)])],
    ['an unprotected kid', () => tagged([prot(HEADER), new Map([[4, new Uint8Array(8)]]), hex('a0'), new Uint8Array(64)])],
  ])('refuses %s', (_name, make) => {
    expect(() => decodeCoseSign1(make(), { allowedLabels: LABELS })).toThrow();
  });
});

describe('strict CBOR', () => {
  it.each([
    ['trailing bytes', 'a1010200'],
    ['a duplicate map key', 'a201020103'],
    ['unsorted map keys', 'a202010101'],
    ['a non-preferred integer (24 as 0x1818 is fine, 1 as 0x1801 is not)', '1801'],
    ['an indefinite-length byte string', '5f4101ff'],
    ['an indefinite-length map', 'bf0102ff'],
    ['a float', 'f93c00'],
    ['a bignum tag', 'c249010000000000000000'],
    ['undefined', 'f7'],
    ['a date tag', 'c11a5612aeb0'],
  ])('refuses %s', (_name, h) => {
    expect(() => {
      const v = decodeStrictCbor(hex(h));
      if (v instanceof Tag) throw new Error('tags are returned raw and refused by every schema');
    }).toThrow();
  });

  it('takes the deterministic encoding of a map with negative and positive keys', () => {
    expect(decodeStrictCbor(hex('a40101040520022103'))).toEqual(new Map([[1, 1], [4, 5], [-1, 2], [-2, 3]]));
  });
});
