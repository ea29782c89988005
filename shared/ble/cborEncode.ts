/**
 * CBOR encoding for the BLE protocol. cbor2 writes a plain Uint8Array as a byte string, but a Node
 * Buffer (what `randomBytes`, `Buffer.from(…, 'base64url')` and noble hand out, and what cbor2
 * itself decodes byte strings into when the input is a Buffer) falls through to `Buffer#toJSON` and
 * becomes the map `{type: "Buffer", data: [...]}`. Both sides must encode the same bytes the same
 * way, or the transaction hash differs and every assertion fails: Buffers are written as byte
 * strings here (the per-call `types` option from cbor2's README, not a global registration).
 */
import { Buffer } from 'node:buffer';
import { TypeEncoderMap, encode } from 'cbor2';

const types = new TypeEncoderMap();
// NaN as the tag number means "no tag": the Buffer's bytes are written as a plain byte string.
types.registerEncoder(Buffer, (b: Buffer) => [NaN, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)]);

export function cborEncode(value: unknown): Uint8Array {
  return encode(value, { types });
}
