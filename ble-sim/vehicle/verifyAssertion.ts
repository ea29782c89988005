/**
 * The car's check of a WebAuthn assertion (WebAuthn L3 §7.2, the steps that apply offline), with
 * node:crypto directly: one synchronous ECDSA verify, and the passkey's public key imported once
 * and cached (bounded). Every check the library made stays, and parsing is stricter:
 * - clientDataJSON: one JSON object, no repeated member name; `type` "webauthn.get"; `challenge`
 *   the transaction hash; an accepted `origin`; not cross-origin;
 * - authenticatorData: the RP-id hash of this car's RP id; user presence (UP) and user verification
 *   (UV); no attested credential data; extension data only when flagged, as exactly one CBOR map,
 *   and nothing after it;
 * - the signature (strict DER, checked by the caller) over authenticatorData ‖ SHA-256(clientDataJSON)
 *   with the passkey's key from the credential.
 *
 * @example
 * const checked = verifyAssertion(request.asr, { challenge: tx, origins, rpId, coseKey: claims.cnf.wa.pk });
 * if (!checked.ok) return fail('BAD_ASSERTION');
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import { compressedPointOfCoseKey, importCompressedP256 } from '../../shared/cose/p256Point.js';
import { decodeStrictCbor } from '../../shared/cose/strictCbor.js';
import { duplicateMemberName } from '../../shared/credential/strictCompactJws.js';
import type { AssertionMessage } from '../../shared/ble/messages.js';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;
/** rpIdHash (32) ‖ flags (1) ‖ signCount (4). */
const AUTH_DATA_BYTES = 37;
/** Passkeys whose imported key is kept (a car has a handful of phones; the oldest goes first). */
const KEY_CACHE_SIZE = 64;

export interface AssertionExpectations {
  /** The challenge the assertion must be over (the transaction hash). */
  challenge: Uint8Array;
  origins: readonly string[];
  rpId: string;
  /** The passkey's COSE public key, base64url, from the credential's `cnf.wa.pk`. */
  coseKey: string;
}

export type AssertionCheck = { ok: true; counter: number } | { ok: false; why: string };

const keys = new Map<string, KeyObject>();

/** The passkey's public key, imported once per COSE key (bounded cache). */
function publicKeyOf(coseKey: string): KeyObject {
  const cached = keys.get(coseKey);
  if (cached) {
    keys.delete(coseKey);
    keys.set(coseKey, cached);
    return cached;
  }
  const key = importCompressedP256(compressedPointOfCoseKey(Buffer.from(coseKey, 'base64url')));
  keys.set(coseKey, key);
  for (const oldest of keys.keys()) {
    if (keys.size <= KEY_CACHE_SIZE) break;
    keys.delete(oldest);
  }
  return key;
}

function clientDataProblem(clientDataJSON: Uint8Array, expected: AssertionExpectations): string | null {
  const text = Buffer.from(clientDataJSON).toString('utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'clientDataJSON is not JSON';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'clientDataJSON is not an object';
  if (duplicateMemberName(text) !== null) return 'clientDataJSON repeats a member';
  const get = (name: string): unknown => (Object.hasOwn(data, name) ? Reflect.get(data, name) : undefined);
  if (get('type') !== 'webauthn.get') return 'not an assertion';
  if (get('challenge') !== Buffer.from(expected.challenge).toString('base64url')) return 'another challenge';
  const origin = get('origin');
  if (typeof origin !== 'string' || !expected.origins.includes(origin)) return 'another origin';
  const crossOrigin = get('crossOrigin');
  if (crossOrigin !== undefined && crossOrigin !== false) return 'cross-origin';
  return null;
}

function authenticatorDataProblem(authData: Uint8Array, rpId: string): string | null {
  if (authData.length < AUTH_DATA_BYTES) return 'authenticatorData too short';
  const rpIdHash = createHash('sha256').update(rpId).digest();
  if (!rpIdHash.equals(authData.subarray(0, 32))) return 'another RP id';
  const flags = authData[32] ?? 0;
  if ((flags & FLAG_UP) === 0) return 'no user presence';
  if ((flags & FLAG_UV) === 0) return 'no user verification';
  if ((flags & FLAG_AT) !== 0) return 'attested credential data in an assertion';
  const extensions = authData.subarray(AUTH_DATA_BYTES);
  if ((flags & FLAG_ED) === 0) return extensions.length === 0 ? null : 'bytes after authenticatorData';
  try {
    return decodeStrictCbor(extensions) instanceof Map ? null : 'extensions are not a CBOR map';
  } catch {
    return 'extensions are not one CBOR map';
  }
}

/** Check an assertion against what the car expects; the signature counter when it holds. */
export function verifyAssertion(asr: AssertionMessage, expected: AssertionExpectations): AssertionCheck {
  const problem = clientDataProblem(asr.clientDataJSON, expected) ?? authenticatorDataProblem(asr.authenticatorData, expected.rpId);
  if (problem !== null) return { ok: false, why: problem };
  let key: KeyObject;
  try {
    key = publicKeyOf(expected.coseKey);
  } catch {
    return { ok: false, why: 'the passkey key is not a P-256 COSE key' };
  }
  const signed = Buffer.concat([asr.authenticatorData, createHash('sha256').update(asr.clientDataJSON).digest()]);
  if (!verify('sha256', signed, { key, dsaEncoding: 'der' }, asr.signature)) return { ok: false, why: 'bad signature' };
  return { ok: true, counter: Buffer.from(asr.authenticatorData).readUInt32BE(33) };
}
