/**
 * The car's check of a WebAuthn assertion (WebAuthn L3 §7.2, the steps that apply offline) from the
 * compact form protocol v2 carries, with node:crypto directly: the car rebuilds what it knows —
 * the RP-id hash at the front of authenticatorData, and clientDataJSON from (type, tx, origin) in
 * the serialization WebAuthn L3 §5.8.1.1 defines — so the phone sends only flags, counter and the
 * raw signature (the full clientDataJSON travels only when a platform wrote another one). Every
 * check stays, and parsing is strict:
 * - clientDataJSON (when sent): one JSON object, no repeated member name; `type` "webauthn.get";
 *   `challenge` the transaction hash; an accepted `origin`; not cross-origin;
 * - authenticatorData: user presence (UP) and user verification (UV); no attested credential data;
 *   extension data only when flagged, as exactly one CBOR map, and nothing after it;
 * - the ES256 signature over authenticatorData ‖ SHA-256(clientDataJSON) with the passkey's key
 *   from the credential, imported once per passkey and cached (bounded).
 *
 * @example
 * const checked = verifyAssertion(request, { challenge: tx, origins, rpId, passkeyPoint });
 * if (!checked.ok) return fail('BAD_ASSERTION');
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import { importCompressedP256 } from '../../shared/cose/p256Point.js';
import { decodeStrictCbor } from '../../shared/cose/strictCbor.js';
import { canonicalClientDataJSON } from '../../shared/ble/canonicalClientData.js';
import { duplicateMemberName } from '../../shared/credential/strictCompactJws.js';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;
/** flags (1) ‖ signCount (4), after the 32-byte RP-id hash. */
const TAIL_BYTES = 5;
/** Passkeys whose imported key is kept (a car has a handful of phones; the oldest goes first). */
const KEY_CACHE_SIZE = 64;

/** The assertion as a v2 request carries it. */
export interface CompactAssertion {
  /** authenticatorData without the RP-id hash. */
  authData: Uint8Array;
  /** r‖s. */
  sig: Uint8Array;
  clientDataJSON?: Uint8Array;
}

export interface AssertionExpectations {
  /** The challenge the assertion must be over (the transaction hash). */
  challenge: Uint8Array;
  origins: readonly string[];
  rpId: string;
  /** The passkey's compressed P-256 point, from the credential's `cnf`. */
  passkeyPoint: Uint8Array;
}

export type AssertionCheck = { ok: true; counter: number } | { ok: false; why: string };

const keys = new Map<string, KeyObject>();
const rpIdHashes = new Map<string, Buffer>();

/** The passkey's public key, imported once per point (bounded cache). */
function publicKeyOf(point: Uint8Array): KeyObject {
  const id = Buffer.from(point).toString('base64');
  const cached = keys.get(id);
  if (cached) {
    keys.delete(id);
    keys.set(id, cached);
    return cached;
  }
  const key = importCompressedP256(point);
  keys.set(id, key);
  for (const oldest of keys.keys()) {
    if (keys.size <= KEY_CACHE_SIZE) break;
    keys.delete(oldest);
  }
  return key;
}

function rpIdHash(rpId: string): Buffer {
  let hash = rpIdHashes.get(rpId);
  if (!hash) {
    hash = createHash('sha256').update(rpId).digest();
    if (rpIdHashes.size < 16) rpIdHashes.set(rpId, hash);
  }
  return hash;
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

function authDataProblem(tail: Uint8Array): string | null {
  if (tail.length < TAIL_BYTES) return 'authenticatorData too short';
  const flags = tail[0] ?? 0;
  if ((flags & FLAG_UP) === 0) return 'no user presence';
  if ((flags & FLAG_UV) === 0) return 'no user verification';
  if ((flags & FLAG_AT) !== 0) return 'attested credential data in an assertion';
  const extensions = tail.subarray(TAIL_BYTES);
  if ((flags & FLAG_ED) === 0) return extensions.length === 0 ? null : 'bytes after authenticatorData';
  try {
    return decodeStrictCbor(extensions) instanceof Map ? null : 'extensions are not a CBOR map';
  } catch {
    return 'extensions are not one CBOR map';
  }
}

/** Whether the UV flag is set (checked first, so its refusal has its own code). */
export function userVerified(authDataTail: Uint8Array): boolean {
  return ((authDataTail[0] ?? 0) & FLAG_UV) !== 0;
}

/** Check an assertion against what the car expects; the signature counter when it holds. */
export function verifyAssertion(asr: CompactAssertion, expected: AssertionExpectations): AssertionCheck {
  const problem = authDataProblem(asr.authData) ?? (asr.clientDataJSON ? clientDataProblem(asr.clientDataJSON, expected) : null);
  if (problem !== null) return { ok: false, why: problem };
  let key: KeyObject;
  try {
    key = publicKeyOf(expected.passkeyPoint);
  } catch {
    return { ok: false, why: 'the passkey key is not a P-256 point' };
  }
  const authenticatorData = Buffer.concat([rpIdHash(expected.rpId), asr.authData]);
  const candidates = asr.clientDataJSON ? [asr.clientDataJSON] : expected.origins.map((origin) => canonicalClientDataJSON(expected.challenge, origin));
  for (const clientDataJSON of candidates) {
    const signed = Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]);
    if (verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, asr.sig)) {
      return { ok: true, counter: Buffer.from(asr.authData).readUInt32BE(1) };
    }
  }
  return { ok: false, why: 'bad signature' };
}
