/**
 * The byte-level formulas of protocol.md, written again from the document rather than imported from
 * the car's modules (transactionHash.ts, linkKeys.ts, responseMac.ts, messages.ts): the kit computes
 * what the car must answer on its own, so a slip in the car's shared code fails a vector instead of
 * being copied into it. Only the deterministic CBOR encoder is shared (its own tests pin it).
 * conformance.test.ts checks these against protocol.md's test vectors.
 */
import { createHash, createHmac } from 'node:crypto';
import { COMMANDS, type Command } from '../../shared/commands.js';
import { encodeDeterministic } from '../../shared/cose/strictCbor.js';
import { PROTOCOL_CODE_NUMBERS, type AirCode } from './protocolCodes.js';

/** protocol.md, "Messages": the integer keys. */
export const MESSAGE_KEY = { v: 0, nonce: 1, seq: 2, cmd: 3, cred: 4, ref: 5, authData: 6, sig: 7, clientData: 8, state: 9, code: 10, vehicle: 11, mac: 12 } as const;
/** protocol.md, "Messages": "nonce, 16 random bytes", "MAC, 8 bytes". */
export const NONCE_BYTES = 16;
export const MAC_BYTES = 8;
/** protocol.md, "Connection slots" and "What the car checks", step 2: a nonce lives 30 s. */
export const NONCE_LIFETIME_MS = 30_000;

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function hmac(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** "Transaction hash": SHA-256(CBOR([nonce, VIN, cmd (text), SHA-256(credential COSE bytes)])). */
export function transactionHashOf(opts: { nonce: Uint8Array; vin: string; cmd: Command; credential: Uint8Array }): Uint8Array {
  return sha256(encodeDeterministic([opts.nonce, opts.vin, opts.cmd, sha256(opts.credential)]));
}

/** "Authenticated responses": responseKey = HMAC-SHA256(linkSecret, "sdk-digital-key/response/v2" ‖ SHA-256(credential)). */
export function responseKeyOf(linkSecret: Uint8Array, credential: Uint8Array): Uint8Array {
  return hmac(linkSecret, 'sdk-digital-key/response/v2', sha256(credential));
}

/** "Authenticated responses": mac = HMAC-SHA256(responseKey, "sdk-response/v2" ‖ tx ‖ body)[0..8]. */
export function responseMacOf(opts: { responseKey: Uint8Array; tx: Uint8Array; body: Uint8Array }): Uint8Array {
  return hmac(opts.responseKey, 'sdk-response/v2', opts.tx, opts.body).subarray(0, MAC_BYTES);
}

/** A Challenge: {1: nonce, 2: seq} — no version ("only a v2 car serves this service"). */
export function challengeBytes(nonce: Uint8Array, seq: number): Uint8Array {
  return encodeDeterministic(new Map<number, unknown>([[MESSAGE_KEY.nonce, nonce], [MESSAGE_KEY.seq, seq]]));
}

/** The vehicle field: bit 0 locked, bit 1 engine on. */
export function vehicleBits(vehicle: { locked: boolean; engine: boolean }): number {
  return (vehicle.locked ? 1 : 0) | (vehicle.engine ? 2 : 0);
}

/** A Response's map without its MAC (what the MAC covers): {0: 2, 3: cmd when decoded, 10: code, 11: vehicle}. */
export function responseBodyMap(opts: { code: AirCode; cmd: Command | null; vehicle: { locked: boolean; engine: boolean } }): Map<number, unknown> {
  const map = new Map<number, unknown>([[MESSAGE_KEY.v, 2], [MESSAGE_KEY.code, PROTOCOL_CODE_NUMBERS[opts.code]], [MESSAGE_KEY.vehicle, vehicleBits(opts.vehicle)]]);
  if (opts.cmd !== null) map.set(MESSAGE_KEY.cmd, COMMANDS.indexOf(opts.cmd));
  return map;
}

/** A Response's bytes: the body, and the MAC under key 12 when there is one. */
export function responseBytes(body: Map<number, unknown>, mac: Uint8Array | null): Uint8Array {
  const map = new Map(body);
  if (mac) map.set(MESSAGE_KEY.mac, mac);
  return encodeDeterministic(map);
}
