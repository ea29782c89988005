/**
 * Reads what a car under test notified and says in plain words how it differs from what a vector
 * expects. A failing case must tell the car's team what to fix ("expected REVOKED (12) with a MAC;
 * the car answered OK (0) with a MAC: the code differs"), not just that two hex strings differ. The
 * reading is lenient where the car is wrong, so a malformed answer is described rather than thrown.
 */
import { COMMANDS, type Command } from '../../shared/commands.js';
import { decodeStrictCbor, encodeDeterministic, integerKeyedMap } from '../../shared/cose/strictCbor.js';
import { airCodeOfNumber } from './protocolCodes.js';
import { MAC_BYTES, MESSAGE_KEY, NONCE_BYTES, responseMacOf } from './protocolFormulas.js';
import { bytesOfHex, hexOf, type NotificationMeaning, type ResponseMeaning } from './vectorFormat.js';

/** A notified message as the car sent it. */
export type Reading =
  | { kind: 'challenge'; nonce: string; seq: number }
  | {
      kind: 'response';
      number: number;
      /** Its name in protocol.md, or undefined for a number no version defines. */
      code: string | undefined;
      cmd: Command | null;
      vehicle: { locked: boolean; engine: boolean };
      mac: string | null;
      /** The encoded map without key 12: what the MAC covers. */
      body: Uint8Array;
    };

/** What the car sent, or why it is not a Challenge or a Response of protocol v2. */
export function readNotification(bytes: Uint8Array): { reading: Reading } | { problem: string } {
  let value: unknown;
  try {
    value = decodeStrictCbor(bytes);
  } catch (err) {
    return { problem: `is not one deterministic CBOR item (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!(value instanceof Map)) return { problem: 'is not a CBOR map' };
  const map = integerKeyedMap(value);
  if (!map) return { problem: 'has a key that is not an integer' };
  // "A notification holding key 1 is a Challenge, one holding key 10 a Response." A Challenge carries
  // no version; a Response carries 0: 2.
  if (map.has(MESSAGE_KEY.nonce)) return readChallenge(map);
  if (!map.has(MESSAGE_KEY.code)) return { problem: 'holds neither a nonce (key 1) nor a code (key 10)' };
  const version = map.get(MESSAGE_KEY.v);
  if (version === undefined) return { problem: 'is a Response without its version (key 0: 2)' };
  if (version !== 2) return { problem: `is a Response with version ${JSON.stringify(version)} instead of 2 (key 0)` };
  return readResponse(map);
}

function unexpectedKeys(map: Map<number, unknown>, allowed: number[]): string | null {
  const extra = [...map.keys()].filter((k) => !allowed.includes(k));
  return extra.length === 0 ? null : `holds key${extra.length > 1 ? 's' : ''} ${extra.join(', ')}, which do${extra.length > 1 ? '' : 'es'} not belong in it`;
}

function readChallenge(map: Map<number, unknown>): { reading: Reading } | { problem: string } {
  const extra = unexpectedKeys(map, [MESSAGE_KEY.nonce, MESSAGE_KEY.seq]);
  if (extra) return { problem: `is a Challenge that ${extra}` };
  const nonce = map.get(MESSAGE_KEY.nonce);
  const seq = map.get(MESSAGE_KEY.seq);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) return { problem: `is a Challenge whose nonce is not ${NONCE_BYTES} bytes` };
  if (typeof seq !== 'number' || seq < 0) return { problem: 'is a Challenge without a seq' };
  return { reading: { kind: 'challenge', nonce: hexOf(nonce), seq } };
}

function readResponse(map: Map<number, unknown>): { reading: Reading } | { problem: string } {
  const extra = unexpectedKeys(map, [MESSAGE_KEY.v, MESSAGE_KEY.cmd, MESSAGE_KEY.code, MESSAGE_KEY.vehicle, MESSAGE_KEY.mac]);
  if (extra) return { problem: `is a Response that ${extra}` };
  const number = map.get(MESSAGE_KEY.code);
  const vehicle = map.get(MESSAGE_KEY.vehicle);
  const cmd = map.get(MESSAGE_KEY.cmd);
  const mac = map.get(MESSAGE_KEY.mac);
  if (typeof number !== 'number' || number < 0) return { problem: 'is a Response whose code (key 10) is not a number' };
  if (typeof vehicle !== 'number' || vehicle < 0 || vehicle > 3) return { problem: 'is a Response whose vehicle field (key 11) is missing or not 0–3' };
  const command = cmd === undefined ? null : typeof cmd === 'number' ? COMMANDS[cmd] : undefined;
  if (command === undefined) return { problem: `is a Response whose command (key 3) is ${JSON.stringify(cmd)}, not 0–3` };
  if (mac !== undefined && (!(mac instanceof Uint8Array) || mac.length !== MAC_BYTES)) return { problem: `is a Response whose MAC (key 12) is not ${MAC_BYTES} bytes` };
  const body = new Map(map);
  body.delete(MESSAGE_KEY.mac);
  return {
    reading: {
      kind: 'response',
      number,
      code: airCodeOfNumber(number),
      cmd: command,
      vehicle: { locked: (vehicle & 1) !== 0, engine: (vehicle & 2) !== 0 },
      mac: mac instanceof Uint8Array ? hexOf(mac) : null,
      body: encodeDeterministic(body),
    },
  };
}

/** A message in words: "a Challenge (nonce 1f2e…, seq 0)", "BAD_ASSERTION (15) to unlock, locked, engine off, with a MAC". */
export function describe(m: NotificationMeaning | Reading): string {
  if (m.kind === 'challenge') return `a Challenge (nonce ${m.nonce}, seq ${m.seq})`;
  const name = m.code ?? 'a code protocol.md does not define';
  const to = m.cmd === null ? 'no command echoed' : `to ${m.cmd}`;
  const vehicle = `${m.vehicle.locked ? 'locked' : 'unlocked'}, engine ${m.vehicle.engine ? 'on' : 'off'}`;
  return `${name} (${m.number}) ${to}, ${vehicle}, ${m.mac === null ? 'without a MAC' : 'with a MAC'}`;
}

/** Any notified message in words, malformed ones included. */
export function describeMessage(bytes: Uint8Array): string {
  const read = readNotification(bytes);
  return 'problem' in read ? `${hexOf(bytes)}, which ${read.problem}` : describe(read.reading);
}

/** How an expected response and the car's differ, field by field in the order a reader cares. */
function responseDifference(expected: ResponseMeaning, actual: Extract<Reading, { kind: 'response' }>): string | null {
  if (expected.number !== actual.number) return 'the code differs';
  if ((expected.mac === null) !== (actual.mac === null)) return expected.mac === null ? 'the car authenticated an answer protocol.md leaves unauthenticated' : 'the MAC is missing';
  if (expected.cmd !== actual.cmd) return expected.cmd === null ? 'the car echoed a command for a request that did not decode' : 'the echoed command differs';
  if (expected.vehicle.locked !== actual.vehicle.locked || expected.vehicle.engine !== actual.vehicle.engine) return 'the vehicle state differs';
  if (expected.mac !== null && expected.mac.hex !== actual.mac) {
    return `the MAC differs: expected ${expected.mac.hex} = HMAC-SHA256(responseKey ${expected.mac.responseKey}, "sdk-response/v2" ‖ tx ${expected.mac.tx} ‖ body)[0..8], got ${actual.mac ?? 'none'}`;
  }
  return null;
}

/** Null when the car sent exactly `expectedHex`; otherwise the first difference in a sentence. */
export function notificationDifference(expected: { hex: string; is: NotificationMeaning }, actual: Uint8Array): string | null {
  if (hexOf(actual) === expected.hex) return null;
  const read = readNotification(actual);
  if ('problem' in read) return `expected ${describe(expected.is)}; the car sent ${hexOf(actual)}, which ${read.problem}`;
  const got = read.reading;
  const both = `expected ${describe(expected.is)}; the car sent ${describe(got)}`;
  if (expected.is.kind !== got.kind) return both;
  let field: string | null;
  if (expected.is.kind === 'challenge' && got.kind === 'challenge') {
    field = expected.is.nonce !== got.nonce ? "the nonce is not the case's next one" : expected.is.seq !== got.seq ? 'the seq differs' : null;
  } else field = expected.is.kind === 'response' && got.kind === 'response' ? responseDifference(expected.is, got) : null;
  return field ? `${both}: ${field}` : `expected ${expected.hex}, the car sent ${hexOf(actual)}: the same fields, encoded otherwise (protocol.md asks for deterministic CBOR)`;
}

/** What an `expectResponse` step asks of a message. */
export interface ResponseExpectation {
  code: string;
  cmd?: Command | null;
  vehicle?: { locked: boolean; engine: boolean };
  authenticated: boolean;
  macKey?: { tx: string; responseKey: string };
}

/** Null when the message is a Response as expected; otherwise the first difference in a sentence. */
export function responseExpectationDifference(expected: ResponseExpectation, actual: Uint8Array): string | null {
  const read = readNotification(actual);
  const want = `expected ${expected.code}${expected.authenticated ? ' with a MAC' : ' without a MAC'}`;
  if ('problem' in read) return `${want}; the car sent ${hexOf(actual)}, which ${read.problem}`;
  const got = read.reading;
  if (got.kind !== 'response') return `${want}; the car sent ${describe(got)}`;
  const both = `${want}; the car sent ${describe(got)}`;
  if (got.code !== expected.code) return `${both}: the code differs`;
  if ((got.mac !== null) !== expected.authenticated) return `${both}: ${expected.authenticated ? 'the MAC is missing' : 'the car authenticated an answer protocol.md leaves unauthenticated'}`;
  if (expected.cmd !== undefined && got.cmd !== expected.cmd) return `${both}: the echoed command differs (expected ${expected.cmd ?? 'none'})`;
  if (expected.vehicle && (got.vehicle.locked !== expected.vehicle.locked || got.vehicle.engine !== expected.vehicle.engine)) return `${both}: the vehicle state differs`;
  if (expected.macKey && got.mac !== null) {
    const mac = hexOf(responseMacOf({ responseKey: bytesOfHex(expected.macKey.responseKey), tx: bytesOfHex(expected.macKey.tx), body: got.body }));
    if (mac !== got.mac) return `${both}: the MAC does not verify (expected ${mac} over the body the car sent)`;
  }
  return null;
}
