/**
 * COSE_Sign1 (RFC 9052 §4.2) with ES256 only: what the compact key credential and state manifest
 * are made of. A small module on cbor2 rather than a COSE library: the npm ones are thinly kept and
 * none refuses duplicate map keys or non-deterministic encodings, which this one does (strictCbor.ts).
 * Signing builds `Sig_structure = ["Signature1", protected, external_aad = h'', payload]` and asks an
 * external signer for the raw 64-byte r‖s (the issuer key may live in a KMS); verifying checks that
 * signature with node:crypto. Decoding refuses any header label the caller does not allow, so an
 * unknown critical header (label 2, `crit`), a key named by the message itself (`x5chain`,
 * `COSE_Key`) or an unprotected header never passes.
 *
 * @example
 * const bytes = await signCoseSign1({ signer: issuerKey, protectedHeader: new Map([[1, -7], [4, kid]]), payload });
 * const message = decodeCoseSign1(bytes, { allowedLabels: [1, 4, 16] });
 * if (!verifyCoseSign1(message, publicKey)) throw …;
 */
import { verify, type KeyObject } from 'node:crypto';
import { asTag, decodeStrictCbor, encodeDeterministic, tagged } from './strictCbor.js';

/** CBOR tag of a COSE_Sign1 message. */
export const COSE_SIGN1_TAG = 18;
/** Header labels (RFC 9052 §3.1, RFC 9596). */
export const HEADER = { alg: 1, crit: 2, kid: 4, typ: 16 } as const;
/** COSE algorithm id of ES256. */
export const ES256 = -7;
const SIGNATURE_BYTES = 64;

/** Signs raw bytes with ES256, returning r‖s (IssuerSigningKey satisfies it). */
export interface CoseSigner {
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A decoded COSE_Sign1: the protected header as sent and as read, the payload, the signature. */
export interface CoseSign1 {
  protectedBytes: Uint8Array;
  protectedHeader: Map<number, unknown>;
  payload: Uint8Array;
  signature: Uint8Array;
}

function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeDeterministic(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** Sign `payload` under `protectedHeader` (which must say alg ES256); the unprotected header is empty. */
export async function signCoseSign1(opts: { signer: CoseSigner; protectedHeader: Map<number, unknown>; payload: Uint8Array }): Promise<Uint8Array> {
  if (opts.protectedHeader.get(HEADER.alg) !== ES256) throw new TypeError('only ES256');
  const protectedBytes = encodeDeterministic(opts.protectedHeader);
  const signature = await opts.signer.sign(sigStructure(protectedBytes, opts.payload));
  if (signature.length !== SIGNATURE_BYTES) throw new TypeError('the signer must return a raw 64-byte ES256 signature');
  return encodeDeterministic(tagged(COSE_SIGN1_TAG, [protectedBytes, new Map(), opts.payload, signature]));
}

/**
 * Decode a tagged COSE_Sign1 strictly: deterministic CBOR, nothing after it, alg ES256, only the
 * `allowedLabels` in the protected header, an empty unprotected header, a 64-byte signature.
 * Throws TypeError (or cbor2's error) on anything else; nothing is verified yet.
 */
export function decodeCoseSign1(bytes: Uint8Array, opts: { allowedLabels: readonly number[] }): CoseSign1 {
  const parts = asTag(decodeStrictCbor(bytes), COSE_SIGN1_TAG);
  if (!Array.isArray(parts) || parts.length !== 4) throw new TypeError('COSE_Sign1 is a 4-element array');
  const [protectedBytes, unprotected, payload, signature]: unknown[] = parts;
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new TypeError('COSE_Sign1 fields have the wrong types (a detached payload is not allowed)');
  }
  if (!(unprotected instanceof Map) || unprotected.size !== 0) throw new TypeError('the unprotected header must be empty');
  if (signature.length !== SIGNATURE_BYTES) throw new TypeError('an ES256 signature is 64 bytes');
  const decodedHeader = decodeStrictCbor(protectedBytes);
  if (!(decodedHeader instanceof Map)) throw new TypeError('the protected header is a map');
  const protectedHeader = new Map<number, unknown>();
  for (const [label, value] of decodedHeader) {
    if (typeof label !== 'number' || !opts.allowedLabels.includes(label)) throw new TypeError(`header label ${String(label)} is not allowed`);
    protectedHeader.set(label, value);
  }
  if (protectedHeader.get(HEADER.alg) !== ES256) throw new TypeError('only ES256');
  return { protectedBytes, protectedHeader, payload, signature };
}

/** Whether the ES256 signature over the message's Sig_structure verifies with `publicKey`. */
export function verifyCoseSign1(message: CoseSign1, publicKey: KeyObject): boolean {
  return verify('sha256', sigStructure(message.protectedBytes, message.payload), { key: publicKey, dsaEncoding: 'ieee-p1363' }, message.signature);
}
