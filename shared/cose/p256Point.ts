/**
 * P-256 public keys in the compact forms the BLE protocol carries: the compressed SEC1 point
 * (33 bytes: 0x02/0x03 ‖ x) and COSE_Key (RFC 9053 §7.1.1, where `-3` may be the sign bit of y).
 * node:crypto imports a compressed point directly from its SPKI encoding.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { decode } from 'cbor2';
import { decodeStrictCbor } from './strictCbor.js';

/** SPKI prefix of a compressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING of 33 bytes). */
const COMPRESSED_SPKI_PREFIX = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
export const COMPRESSED_POINT_BYTES = 33;

/** Import a compressed P-256 point; throws when it is not a point on the curve. */
export function importCompressedP256(point: Uint8Array): KeyObject {
  if (point.length !== COMPRESSED_POINT_BYTES || (point[0] !== 2 && point[0] !== 3)) throw new TypeError('not a compressed P-256 point');
  return createPublicKey({ key: Buffer.concat([COMPRESSED_SPKI_PREFIX, point]), format: 'der', type: 'spki' });
}

/** The compressed point of a P-256 public key. */
export function compressP256(x: Uint8Array, y: Uint8Array): Uint8Array {
  if (x.length !== 32 || y.length !== 32) throw new TypeError('P-256 coordinates are 32 bytes');
  const out = new Uint8Array(COMPRESSED_POINT_BYTES);
  // The prefix is 2 for an even y, 3 for an odd one (SEC 1 §2.3.3): the low bit of y's last byte.
  out[0] = 2 + (Buffer.from(y.buffer, y.byteOffset, y.byteLength).readUInt8(31) & 1);
  out.set(x, 1);
  return out;
}

/** The compressed point of a KeyObject or JWK holding a P-256 public key. */
export function compressedPointOfJwk(jwk: { kty?: string; crv?: string; x?: string; y?: string }): Uint8Array {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new TypeError('not a P-256 JWK');
  return compressP256(Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url'));
}

/**
 * The compressed point of a passkey's COSE public key as WebAuthn registration stores it (EC2,
 * P-256, ES256). Other key types cannot be carried by the compact credential: TypeError.
 */
export function compressedPointOfCoseKey(coseKey: Uint8Array): Uint8Array {
  // Authenticators write COSE keys in CTAP2's canonical order, which the strict decoder reads in
  // microseconds; cbor2 (a hundred times slower) only reads the rare one that is not.
  let key: unknown;
  try {
    key = decodeStrictCbor(coseKey);
  } catch {
    key = decode(coseKey, { preferMap: true });
  }
  if (!(key instanceof Map)) throw new TypeError('COSE key is not a map');
  const x: unknown = key.get(-2);
  const y: unknown = key.get(-3);
  if (key.get(1) !== 2 || key.get(-1) !== 1 || (key.has(3) && key.get(3) !== -7)) throw new TypeError('only EC2 P-256 ES256 passkeys');
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array)) throw new TypeError('COSE key without x and y');
  return compressP256(x, y);
}
