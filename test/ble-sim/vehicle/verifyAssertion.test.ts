/**
 * The car's own WebAuthn assertion check (node:crypto) on the compact v2 form: each check refuses on
 * its own — a correctly signed assertion that breaks exactly one rule is refused, and names the rule.
 * What the car rebuilds (the RP-id hash, a canonical clientDataJSON) must match what was signed.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { verifyAssertion, type AssertionExpectations, type CompactAssertion } from '../../../ble-sim/vehicle/verifyAssertion.js';
import { compressP256 } from '../../../shared/cose/p256Point.js';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:8080';
const CHALLENGE = new Uint8Array(32).fill(7);

function passkey(): { privateKey: KeyObject; passkeyPoint: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, passkeyPoint: compressP256(Buffer.from(String(jwk.x), 'base64url'), Buffer.from(String(jwk.y), 'base64url')) };
}

interface Shape {
  clientData?: string;
  flags?: number;
  rpId?: string;
  counter?: number;
  tail?: Uint8Array;
}

/**
 * An assertion signed correctly over whatever it carries, in the compact form: the clientDataJSON
 * travels only when the shape gives one (else the canonical one for `origin` was signed).
 */
function assertion(privateKey: KeyObject, shape: Shape & { origin?: string } = {}): CompactAssertion {
  const canonical = JSON.stringify({ type: 'webauthn.get', challenge: Buffer.from(CHALLENGE).toString('base64url'), origin: shape.origin ?? ORIGIN, crossOrigin: false });
  const clientDataJSON = Buffer.from(shape.clientData ?? canonical);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(shape.counter ?? 9);
  const authenticatorData = Buffer.concat([createHash('sha256').update(shape.rpId ?? RP_ID).digest(), Buffer.from([shape.flags ?? 0x05]), counter, shape.tail ?? Buffer.alloc(0)]);
  const sig = sign('sha256', Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return { authData: authenticatorData.subarray(32), sig, ...(shape.clientData === undefined ? {} : { clientDataJSON }) };
}

describe('verifyAssertion (the car, node:crypto)', () => {
  const { privateKey, passkeyPoint } = passkey();
  const expected: AssertionExpectations = { challenge: CHALLENGE, origins: [ORIGIN], rpId: RP_ID, passkeyPoint };
  const data = (o: Record<string, unknown>) => JSON.stringify({ type: 'webauthn.get', challenge: Buffer.from(CHALLENGE).toString('base64url'), origin: ORIGIN, ...o });

  it('accepts a correct assertion and returns its counter; extension data as one CBOR map is fine', () => {
    expect(verifyAssertion(assertion(privateKey), expected)).toEqual({ ok: true, counter: 9 });
    expect(verifyAssertion(assertion(privateKey, { flags: 0x85, tail: encode(new Map([['credProtect', 2]])) }), expected)).toEqual({ ok: true, counter: 9 });
  });

  it('rebuilds the canonical clientDataJSON for each accepted origin, and takes a sent one with extra members', () => {
    const second = { ...expected, origins: ['https://app.example', ORIGIN] };
    expect(verifyAssertion(assertion(privateKey), second)).toEqual({ ok: true, counter: 9 });
    expect(verifyAssertion(assertion(privateKey, { clientData: data({ crossOrigin: false, other_keys_can_be_added_here: 'x' }) }), expected)).toEqual({ ok: true, counter: 9 });
    expect(verifyAssertion(assertion(privateKey, { origin: 'https://evil.example' }), expected)).toEqual({ ok: false, why: 'bad signature' });
  });

  it.each<[string, Shape, string]>([
    ['a registration', { clientData: data({ type: 'webauthn.create' }) }, 'not an assertion'],
    ['another challenge', { clientData: data({ challenge: 'AAAA' }) }, 'another challenge'],
    ['another origin', { clientData: data({ origin: 'https://evil.example' }) }, 'another origin'],
    ['cross-origin', { clientData: data({ crossOrigin: true }) }, 'cross-origin'],
    ['a repeated member (JSON.parse would keep the second)', { clientData: `{"type":"webauthn.get","challenge":"${Buffer.from(CHALLENGE).toString('base64url')}","origin":"https://evil.example","origin":"${ORIGIN}"}` }, 'clientDataJSON repeats a member'],
    ['clientDataJSON that is not an object', { clientData: '[1]' }, 'clientDataJSON is not an object'],
    ['another RP id (the car rebuilds its own RP-id hash)', { rpId: 'evil.example' }, 'bad signature'],
    ['no user presence', { flags: 0x04 }, 'no user presence'],
    ['no user verification', { flags: 0x01 }, 'no user verification'],
    ['attested credential data', { flags: 0x45 }, 'attested credential data in an assertion'],
    ['bytes after authenticatorData without the extensions flag', { tail: new Uint8Array([0]) }, 'bytes after authenticatorData'],
    ['extension data that is not one CBOR map', { flags: 0x85, tail: new Uint8Array([0xa0, 0x00]) }, 'extensions are not one CBOR map'],
  ])('refuses %s', (_name, shape, why) => {
    expect(verifyAssertion(assertion(privateKey, shape), expected)).toEqual({ ok: false, why });
  });

  it("refuses another passkey's signature and a key that is not P-256", () => {
    const other = passkey();
    expect(verifyAssertion(assertion(other.privateKey), expected)).toEqual({ ok: false, why: 'bad signature' });
    expect(verifyAssertion(assertion(privateKey), { ...expected, passkeyPoint: new Uint8Array(33).fill(4) })).toEqual({ ok: false, why: 'the passkey key is not a P-256 point' });
  });
});
