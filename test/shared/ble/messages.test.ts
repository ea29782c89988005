/**
 * The BLE message codec of protocol v2 (protocol.md): deterministic CBOR maps with small integer
 * keys. The vehicle decodes bytes from anyone in radio range, so every malformed input must become
 * BAD_MESSAGE (or UNSUPPORTED_VERSION for a well-formed other version) and nothing else, ever; and
 * one message has exactly one encoding, so what the MAC covers is what both sides encode.
 */
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_REF_BYTES,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  RESPONSE_MAC_BYTES,
  decodeChallenge,
  decodeNotification,
  decodeRequest,
  decodeResponse,
  encodeChallenge,
  encodeRequest,
  encodeResponse,
  encodeResponseBody,
  type RequestMessage,
} from '../../../shared/ble/messages.js';
import { encodeDeterministic } from '../../../shared/cose/strictCbor.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import { seededRandom } from '../../support/seededRandom.js';

const bytes = (length: number, fill = 0xab): Uint8Array<ArrayBuffer> => new Uint8Array(length).fill(fill);
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
const map = (entries: [number, unknown][]) => encodeDeterministic(new Map(entries));

const challenge = { nonce: bytes(NONCE_BYTES, 7), seq: 12 };
const byRef: Omit<RequestMessage, 'v'> = { cmd: 'unlock', ref: bytes(CREDENTIAL_REF_BYTES, 1), authData: Uint8Array.of(0x05, 0, 0, 0, 9), sig: bytes(64, 3) };
const whole: Omit<RequestMessage, 'v'> = { cmd: 'trunk', cred: bytes(300, 2), authData: Uint8Array.of(0x05, 0, 0, 0, 9), sig: bytes(64, 3), clientDataJSON: bytes(120, 4), state: bytes(200, 5) };
const response = { code: 'OK' as const, cmd: 'unlock' as const, vehicle: { locked: false, engine: true }, mac: bytes(RESPONSE_MAC_BYTES, 6) };

function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${hex(value)}`;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

describe('round trips and exact bytes', () => {
  it('is version 2', () => {
    expect(PROTOCOL_VERSION).toBe(2);
  });

  it('a challenge is {1: nonce, 2: seq}, 21 bytes at seq 12 (no version: only a v2 car sends one, on its v2 service)', () => {
    const encoded = encodeChallenge(challenge);
    expect(hex(encoded)).toBe(`a201${'50'}${'07'.repeat(16)}020c`);
    expect(normalise(decodeChallenge(encoded))).toEqual(normalise(challenge));
  });

  it('a request by reference: {0: 2, 3: cmd, 5: ref, 6: authData tail, 7: sig}, 89 bytes', () => {
    const encoded = encodeRequest(byRef);
    expect(hex(encoded)).toBe(`a50002030005480101010101010101064505000000090758400${'3'}${'03'.repeat(63)}`);
    expect(encoded).toHaveLength(89);
    expect(normalise(decodeRequest(encoded))).toEqual(normalise({ v: 2, ...byRef }));
  });

  it('a request with everything optional present round-trips', () => {
    expect(normalise(decodeRequest(encodeRequest(whole)))).toEqual(normalise({ v: 2, ...whole }));
  });

  it('a response round-trips, its MAC outside the body it covers', () => {
    const encoded = encodeResponse(response);
    expect(normalise(decodeResponse(encoded))).toEqual(normalise({ v: 2, ok: true, ...response }));
    const { mac: _mac, ...body } = response;
    expect(hex(encodeResponseBody(body))).toBe(hex(encodeResponse(body)));
    // {0: 2, 3: 0 (unlock), 10: 0 (OK), 11: 2 (engine on, unlocked)}
    expect(hex(encodeResponseBody(body))).toBe('a4000203000a000b02');
  });

  it.each([
    ['OK', 0],
    ['EXPIRED', 11],
    ['CREDENTIAL_UNKNOWN', 18],
    ['INTERNAL_ERROR', 31],
  ] as const)('code %s travels as %i', (code, n) => {
    const encoded = encodeResponse({ code, vehicle: { locked: true, engine: false } });
    expect(hex(encoded)).toBe(hex(map([[0, 2], [10, n], [11, 1]])));
    expect(decodeResponse(encoded)).toMatchObject({ code, ok: code === 'OK', vehicle: { locked: true, engine: false } });
  });

  it('a server-side code is never said on air: it becomes INTERNAL_ERROR', () => {
    expect(decodeResponse(encodeResponse({ code: 'STORE_UNAVAILABLE', vehicle: { locked: true, engine: false } })).code).toBe('INTERNAL_ERROR');
  });

  it('tells a pushed challenge from a response', () => {
    expect(decodeNotification(encodeChallenge(challenge))).toHaveProperty('challenge');
    expect(decodeNotification(encodeResponse(response))).toHaveProperty('response');
  });

  it('Buffers encode exactly like Uint8Arrays', () => {
    expect(hex(encodeRequest({ ...byRef, ref: Buffer.from(byRef.ref!), sig: Buffer.from(byRef.sig) }))).toBe(hex(encodeRequest(byRef)));
  });
});

describe('BAD_MESSAGE for anything that is not a valid message', () => {
  const valid = encodeRequest(byRef);

  it.each<[string, Uint8Array]>([
    ['empty input', new Uint8Array(0)],
    ['a lone break byte (0xff)', Uint8Array.of(0xff)],
    ['JSON text instead of CBOR', new TextEncoder().encode(JSON.stringify({ 0: 2, 3: 0 }))],
    ['a valid message followed by a trailing byte', Uint8Array.from([...valid, 0x00])],
    ['two valid messages back to back', Uint8Array.from([...valid, ...valid])],
    ['a byte string announcing 4 GiB', Uint8Array.of(0x5a, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02)],
    ['a map announcing 2^64 - 1 pairs', Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ['100 000 nested arrays (a depth bomb)', new Uint8Array(100_000).fill(0x81)],
    ['an indefinite-length map', Uint8Array.from([0xbf, ...valid.subarray(1), 0xff])],
    ['map keys out of order', Uint8Array.from([0xa2, 0x03, 0x00, 0x00, 0x02])],
    ['a repeated key', Uint8Array.from([0xa2, 0x00, 0x02, 0x00, 0x02])],
    ['a non-preferred integer (0x18 0x02 for 2)', Uint8Array.from([0xa1, 0x00, 0x18, 0x02])],
    ['text-string keys (v1 style)', encode({ v: 2, cmd: 'unlock' })],
    ['a float', Uint8Array.from([0xa1, 0x00, 0xf9, 0x40, 0x00])],
  ])('not one deterministic CBOR map: %s', (_name, data) => {
    expectThrowsWithCode(() => decodeRequest(data), 'BAD_MESSAGE');
    expectThrowsWithCode(() => decodeChallenge(data), 'BAD_MESSAGE');
    expectThrowsWithCode(() => decodeResponse(data), 'BAD_MESSAGE');
  });

  it('truncated: every proper prefix of a valid request', () => {
    for (let cut = 0; cut < valid.length; cut++) expectThrowsWithCode(() => decodeRequest(valid.subarray(0, cut)), 'BAD_MESSAGE');
  });

  const request = (change: Record<number, unknown>, drop: number[] = []) => {
    const entries = new Map<number, unknown>([[0, 2], [3, 0], [5, byRef.ref], [6, byRef.authData], [7, byRef.sig]]);
    for (const k of drop) entries.delete(k);
    for (const [k, v] of Object.entries(change)) entries.set(Number(k), v);
    return encodeDeterministic(entries);
  };

  it.each<[string, Record<number, unknown>, number[]]>([
    ['an unknown command number', { 3: 4 }, []],
    ['a command as text', { 3: 'unlock' }, []],
    ['no command', {}, [3]],
    ['both a credential and a reference', { 4: bytes(200) }, []],
    ['neither a credential nor a reference', {}, [5]],
    ['a reference of 7 bytes', { 5: bytes(7) }, []],
    ['a reference of 9 bytes', { 5: bytes(9) }, []],
    ['a credential of 1025 bytes', { 4: bytes(1025) }, [5]],
    ['an empty credential', { 4: new Uint8Array(0) }, [5]],
    ['authenticator data of 4 bytes', { 6: bytes(4) }, []],
    ['no authenticator data', {}, [6]],
    ['a signature of 63 bytes', { 7: bytes(63) }, []],
    ['a DER signature of 72 bytes', { 7: bytes(72) }, []],
    ['no signature', {}, [7]],
    ['clientDataJSON as text', { 8: '{"type":"webauthn.get"}' }, []],
    ['a manifest of 2049 bytes', { 9: bytes(2049) }, []],
    ['a challenge field (nonce) in a request', { 1: bytes(16) }, []],
    ['a response field (code) in a request', { 10: 0 }, []],
    ['an unknown key 13', { 13: 1 }, []],
    ['a negative key', { [-1]: 1 }, []],
  ])('request with %s', (_name, change, drop) => {
    expectThrowsWithCode(() => decodeRequest(request(change, drop)), 'BAD_MESSAGE');
  });

  it.each<[string, [number, unknown][]]>([
    ['a nonce of 15 bytes', [[1, bytes(15)], [2, 0]]],
    ['a nonce of 32 bytes (v1 size)', [[1, bytes(32)], [2, 0]]],
    ['no seq', [[1, bytes(16)]]],
    ['a negative seq', [[1, bytes(16)], [2, -1]]],
    ['a version field', [[0, 2], [1, bytes(16)], [2, 0]]],
    ['a command field', [[1, bytes(16)], [2, 0], [3, 0]]],
  ])('challenge with %s', (_name, entries) => {
    expectThrowsWithCode(() => decodeChallenge(map(entries)), 'BAD_MESSAGE');
  });

  it.each<[string, [number, unknown][]]>([
    ['a code no version defines (19)', [[0, 2], [10, 19], [11, 0]]],
    ['a code as text', [[0, 2], [10, 'OK'], [11, 0]]],
    ['vehicle bits beyond locked and engine', [[0, 2], [10, 0], [11, 4]]],
    ['no vehicle state', [[0, 2], [10, 0]]],
    ['a MAC of 15 bytes', [[0, 2], [10, 0], [11, 0], [12, bytes(15)]]],
    ['a MAC of 32 bytes', [[0, 2], [10, 0], [11, 0], [12, bytes(32)]]],
  ])('response with %s', (_name, entries) => {
    expectThrowsWithCode(() => decodeResponse(map(entries)), 'BAD_MESSAGE');
  });
});

describe('versions', () => {
  it.each([1, 3, 255, 2 ** 40])('v: %s → UNSUPPORTED_VERSION, for requests and responses', (v) => {
    const m = map([[0, v], [3, 0]]);
    expectThrowsWithCode(() => decodeRequest(m), 'UNSUPPORTED_VERSION');
    expectThrowsWithCode(() => decodeResponse(m), 'UNSUPPORTED_VERSION');
  });

  it.each<[string, unknown]>([
    ['"2" (a string)', '2'],
    ['true', true],
    ['null', null],
    ['a byte string', bytes(1, 2)],
  ])('v: %s → BAD_MESSAGE (a malformed version is a malformed message)', (_name, v) => {
    expectThrowsWithCode(() => decodeRequest(map([[0, v], [3, 0]])), 'BAD_MESSAGE');
  });

  it('no version at all → BAD_MESSAGE', () => {
    expectThrowsWithCode(() => decodeRequest(map([[3, 0]])), 'BAD_MESSAGE');
  });
});

describe('decoding only ever throws DigitalKeyError (seeded property loops)', () => {
  const decoders = [decodeChallenge, decodeRequest, decodeResponse, decodeNotification] as const;

  function decodeOrCode(i: number, data: Uint8Array, where: string): string {
    try {
      decoders[i % decoders.length]!(data);
      return 'OK';
    } catch (err) {
      if (!(err instanceof DigitalKeyError)) throw new Error(`${where}: threw a non-DigitalKeyError: ${String(err)}`);
      return err.code;
    }
  }

  it('3000 random byte arrays of 0..300 bytes', () => {
    const random = seededRandom(20260101);
    const codes = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const data = random.bytes(random.int(301));
      if (data.length > 0 && random.next() < 0.5) data[0] = 0xa0 | random.int(6);
      codes.add(decodeOrCode(i, data, `seed 20260101, input ${i} (${hex(data)})`));
    }
    expect([...codes].every((c) => c === 'BAD_MESSAGE' || c === 'UNSUPPORTED_VERSION' || c === 'OK')).toBe(true);
    expect(codes.has('BAD_MESSAGE')).toBe(true);
  });

  it('3000 mutations of valid messages (flipped, inserted and deleted bytes)', () => {
    const random = seededRandom(0xc0ffee);
    const seeds = [encodeChallenge(challenge), encodeRequest(byRef), encodeResponse(response), encodeRequest(whole)];
    for (let i = 0; i < 3000; i++) {
      const data = Array.from(seeds[i % seeds.length]!);
      for (let edits = 1 + random.int(4); edits > 0; edits--) {
        const at = random.int(data.length);
        const op = random.int(3);
        if (op === 0) data[at] = random.int(256);
        else if (op === 1) data.splice(at, 0, random.int(256));
        else data.splice(at, 1);
      }
      expect(['OK', 'BAD_MESSAGE', 'UNSUPPORTED_VERSION']).toContain(decodeOrCode(i, Uint8Array.from(data), `seed 0xc0ffee, mutation ${i}`));
    }
  });
});
