/**
 * The BLE messages of protocol v2 (protocol.md) and their codec. Every message is one CBOR map with
 * small integer keys, in the deterministic encoding only (strictCbor.ts: no duplicate keys, shortest
 * forms, nothing after the map), and each key has one meaning in every message, so a notification is
 * a Challenge when it holds a nonce (1) and a Response when it holds a code (10):
 *
 * | key | field | in |
 * |---|---|---|
 * | 0 | protocol version, 2 | Request, Response (a Challenge comes only from a v2 car's v2 service) |
 * | 1 | nonce, 16 bytes | Challenge |
 * | 2 | the car's manifest seq | Challenge |
 * | 3 | command number (COMMANDS index) | Request, Response |
 * | 4 | the key credential, COSE bytes | Request (first use at this car) |
 * | 5 | credential reference, 8 bytes | Request (the car holds it) |
 * | 6 | authenticator data after the RP-id hash: flags, counter, extensions | Request |
 * | 7 | assertion signature, raw r‖s (64 bytes) | Request |
 * | 8 | clientDataJSON, only when not the canonical one | Request |
 * | 9 | a newer state manifest, COSE bytes | Request |
 * | 10 | response code number (bleResponseCode.ts) | Response |
 * | 11 | vehicle state: bit 0 locked, bit 1 engine on | Response |
 * | 12 | response MAC, 8 bytes (responseMac.ts) | Response |
 *
 * Anything else is BAD_MESSAGE (or UNSUPPORTED_VERSION for another integer version), never a crash.
 */
import { COMMANDS, type Command } from '../commands.js';
import { decodeStrictCbor, encodeDeterministic, integerKeyedMap } from '../cose/strictCbor.js';
import { DigitalKeyError } from '../errors/digitalKeyError.js';
import type { ErrorCode } from '../errors/errorCode.js';
import { bleCodeNumber, bleCodeOfNumber } from './bleResponseCode.js';

export const PROTOCOL_VERSION = 2;
export const NONCE_BYTES = 16;
export const CREDENTIAL_REF_BYTES = 8;
export const SIGNATURE_BYTES = 64;
/** 8 bytes: a forger has one guess per request the phone makes (2^-64 each), as with BLE's own 4-byte MIC, only longer. */
export const RESPONSE_MAC_BYTES = 8;
/** flags (1) + signature counter (4): the shortest authenticator data after its RP-id hash. */
export const AUTH_DATA_TAIL_MIN_BYTES = 5;

const KEY = { v: 0, nonce: 1, seq: 2, cmd: 3, cred: 4, ref: 5, authData: 6, sig: 7, clientData: 8, state: 9, code: 10, vehicle: 11, mac: 12 } as const;
const CHALLENGE_KEYS: readonly number[] = [KEY.nonce, KEY.seq];
const REQUEST_KEYS: readonly number[] = [KEY.v, KEY.cmd, KEY.cred, KEY.ref, KEY.authData, KEY.sig, KEY.clientData, KEY.state];
const RESPONSE_KEYS: readonly number[] = [KEY.v, KEY.cmd, KEY.code, KEY.vehicle, KEY.mac];
const VEHICLE_LOCKED = 1;
const VEHICLE_ENGINE = 2;

export interface ChallengeMessage {
  nonce: Uint8Array;
  /** The vehicle's state-manifest seq, so a phone knows whether to send a newer manifest. */
  seq: number;
}

/** A request names its credential whole (`cred`) or by reference (`ref`), never both. */
export interface RequestMessage {
  v: typeof PROTOCOL_VERSION;
  cmd: Command;
  cred?: Uint8Array;
  ref?: Uint8Array;
  /** authenticatorData without its first 32 bytes (the RP-id hash, which the car knows). */
  authData: Uint8Array;
  /** The assertion signature, r‖s. */
  sig: Uint8Array;
  /** The assertion's clientDataJSON, when it is not the one the car rebuilds. */
  clientDataJSON?: Uint8Array;
  /** A state manifest newer than the car's seq. */
  state?: Uint8Array;
}

export interface VehicleStatus {
  locked: boolean;
  engine: boolean;
}

export interface ResponseMessage {
  v: typeof PROTOCOL_VERSION;
  ok: boolean;
  code: ErrorCode | 'OK';
  /** Echo of the command; absent when the request could not be decoded far enough to know it. */
  cmd?: Command;
  vehicle: VehicleStatus;
  /** The car's authentication of this answer to this request; absent before it knew the credential. */
  mac?: Uint8Array;
}

export function encodeChallenge(m: ChallengeMessage): Uint8Array {
  return encodeDeterministic(new Map<number, unknown>([[KEY.nonce, m.nonce], [KEY.seq, m.seq]]));
}

export function encodeRequest(m: Omit<RequestMessage, 'v'>): Uint8Array {
  const map = new Map<number, unknown>([[KEY.v, PROTOCOL_VERSION], [KEY.cmd, COMMANDS.indexOf(m.cmd)], [KEY.authData, m.authData], [KEY.sig, m.sig]]);
  if (m.cred) map.set(KEY.cred, m.cred);
  if (m.ref) map.set(KEY.ref, m.ref);
  if (m.clientDataJSON) map.set(KEY.clientData, m.clientDataJSON);
  if (m.state) map.set(KEY.state, m.state);
  return encodeDeterministic(map);
}

/** The response's fields as encoded, without its MAC: what the MAC covers. */
export function encodeResponseBody(m: Pick<ResponseMessage, 'code' | 'cmd' | 'vehicle'>): Uint8Array {
  return encodeDeterministic(responseMap(m));
}

export function encodeResponse(m: Pick<ResponseMessage, 'code' | 'cmd' | 'vehicle' | 'mac'>): Uint8Array {
  const map = responseMap(m);
  if (m.mac) map.set(KEY.mac, m.mac);
  return encodeDeterministic(map);
}

function responseMap(m: Pick<ResponseMessage, 'code' | 'cmd' | 'vehicle'>): Map<number, unknown> {
  const vehicle = (m.vehicle.locked ? VEHICLE_LOCKED : 0) | (m.vehicle.engine ? VEHICLE_ENGINE : 0);
  const map = new Map<number, unknown>([[KEY.v, PROTOCOL_VERSION], [KEY.code, bleCodeNumber(m.code)], [KEY.vehicle, vehicle]]);
  if (m.cmd !== undefined) map.set(KEY.cmd, COMMANDS.indexOf(m.cmd));
  return map;
}

// --- decoding -----------------------------------------------------------------------------

const bad = (why: string) => new DigitalKeyError('BAD_MESSAGE', why);

/** The message's map (its version checked unless `versioned` is false); BAD_MESSAGE or UNSUPPORTED_VERSION otherwise. */
function messageMap(data: Uint8Array, allowed: readonly number[], versioned = true): Map<number, unknown> {
  let value: unknown;
  try {
    value = decodeStrictCbor(data);
  } catch (err) {
    throw new DigitalKeyError('BAD_MESSAGE', 'not deterministic CBOR', { cause: err });
  }
  const map = integerKeyedMap(value);
  if (!map) throw bad('not a map with integer keys');
  const v = map.get(KEY.v);
  // Only a well-formed version number is "unsupported": a phone is not told to update for a garbled frame.
  if (versioned && typeof v === 'number' && v !== PROTOCOL_VERSION) throw new DigitalKeyError('UNSUPPORTED_VERSION');
  if (versioned && v !== PROTOCOL_VERSION) throw bad('no version');
  for (const k of map.keys()) if (!allowed.includes(k)) throw bad(`key ${k} does not belong in this message`);
  return map;
}

function bytesField(map: Map<number, unknown>, key: number, opts: { min: number; max: number }): Uint8Array | undefined {
  const value = map.get(key);
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || value.length < opts.min || value.length > opts.max) throw bad(`field ${key} is not ${opts.min}–${opts.max} bytes`);
  return value;
}

function requiredBytes(map: Map<number, unknown>, key: number, opts: { min: number; max: number }): Uint8Array {
  const value = bytesField(map, key, opts);
  if (!value) throw bad(`field ${key} missing`);
  return value;
}

function uintField(map: Map<number, unknown>, key: number, max: number): number | undefined {
  const value = map.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw bad(`field ${key} is not an integer 0–${max}`);
  return value;
}

function commandField(map: Map<number, unknown>): Command | undefined {
  const n = uintField(map, KEY.cmd, COMMANDS.length - 1);
  return n === undefined ? undefined : COMMANDS[n];
}

export function decodeChallenge(data: Uint8Array): ChallengeMessage {
  const map = messageMap(data, CHALLENGE_KEYS, false);
  const nonce = requiredBytes(map, KEY.nonce, { min: NONCE_BYTES, max: NONCE_BYTES });
  const seq = uintField(map, KEY.seq, Number.MAX_SAFE_INTEGER);
  if (seq === undefined) throw bad('no seq');
  return { nonce, seq };
}

/** Decode a request; throws DigitalKeyError BAD_MESSAGE or UNSUPPORTED_VERSION. */
export function decodeRequest(data: Uint8Array): RequestMessage {
  const map = messageMap(data, REQUEST_KEYS);
  const cmd = commandField(map);
  if (cmd === undefined) throw bad('no command');
  const cred = bytesField(map, KEY.cred, { min: 1, max: 1024 });
  const ref = bytesField(map, KEY.ref, { min: CREDENTIAL_REF_BYTES, max: CREDENTIAL_REF_BYTES });
  if ((cred === undefined) === (ref === undefined)) throw bad('a request carries its credential or a reference to it, exactly one');
  const clientDataJSON = bytesField(map, KEY.clientData, { min: 1, max: 1024 });
  const state = bytesField(map, KEY.state, { min: 1, max: 2048 });
  return {
    v: PROTOCOL_VERSION,
    cmd,
    ...(cred ? { cred } : {}),
    ...(ref ? { ref } : {}),
    authData: requiredBytes(map, KEY.authData, { min: AUTH_DATA_TAIL_MIN_BYTES, max: 480 }),
    sig: requiredBytes(map, KEY.sig, { min: SIGNATURE_BYTES, max: SIGNATURE_BYTES }),
    ...(clientDataJSON ? { clientDataJSON } : {}),
    ...(state ? { state } : {}),
  };
}

export function decodeResponse(data: Uint8Array): ResponseMessage {
  const map = messageMap(data, RESPONSE_KEYS);
  const number = uintField(map, KEY.code, 255);
  const code = number === undefined ? undefined : bleCodeOfNumber(number);
  if (code === undefined) throw bad('no known code');
  const vehicle = uintField(map, KEY.vehicle, VEHICLE_LOCKED | VEHICLE_ENGINE);
  if (vehicle === undefined) throw bad('no vehicle state');
  const cmd = commandField(map);
  const mac = bytesField(map, KEY.mac, { min: RESPONSE_MAC_BYTES, max: RESPONSE_MAC_BYTES });
  return {
    v: PROTOCOL_VERSION,
    ok: code === 'OK',
    code,
    ...(cmd !== undefined ? { cmd } : {}),
    vehicle: { locked: (vehicle & VEHICLE_LOCKED) !== 0, engine: (vehicle & VEHICLE_ENGINE) !== 0 },
    ...(mac ? { mac } : {}),
  };
}

/** What a notification is: a challenge (it holds a nonce) or a response (it holds a code). */
export function decodeNotification(data: Uint8Array): { challenge: ChallengeMessage } | { response: ResponseMessage } {
  let value: unknown;
  try {
    value = decodeStrictCbor(data);
  } catch (err) {
    throw new DigitalKeyError('BAD_MESSAGE', 'not deterministic CBOR', { cause: err });
  }
  if (value instanceof Map && value.has(KEY.nonce)) return { challenge: decodeChallenge(data) };
  return { response: decodeResponse(data) };
}
