/**
 * The BLE message codec (DESIGN.md §3): CBOR checked against a schema. The vehicle decodes bytes
 * from anyone in radio range, so every malformed input must become BAD_MESSAGE (or
 * UNSUPPORTED_VERSION for a well-formed other version) and nothing else, ever.
 */
import { Tag, encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import {
  NONCE_BYTES,
  PROTOCOL_VERSION,
  challengeSchema,
  decodeMessage,
  encodeMessage,
  requestSchema,
  responseSchema,
  type ChallengeMessage,
  type RequestMessage,
  type ResponseMessage,
} from '../../../shared/ble/messages.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { expectThrowsWithCode } from '../../support/expectErrorCode.js';
import { seededRandom } from '../../support/seededRandom.js';

const bytes = (length: number, fill = 0xab): Uint8Array<ArrayBuffer> => new Uint8Array(length).fill(fill);
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

const challenge: ChallengeMessage = { v: 1, nonce: bytes(32, 7), seq: 12, t: 1_767_225_600 };

const assertion = {
  id: bytes(32, 1),
  authenticatorData: bytes(37, 2),
  clientDataJSON: new TextEncoder().encode('{"type":"webauthn.get","challenge":"abc","origin":"https://sdk.example"}'),
  signature: bytes(72, 3),
};

const request: RequestMessage = { v: 1, cmd: 'unlock', cred: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln', asr: assertion };

const response: ResponseMessage = { v: 1, ok: true, code: 'OK', cmd: 'unlock', vehicle: { locked: false, engine: false } };

/** Byte fields compared by content, whatever Uint8Array subclass holds them. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${hex(value)}`;
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}

describe('round trips', () => {
  it.each<[string, typeof challengeSchema | typeof requestSchema | typeof responseSchema, ChallengeMessage | RequestMessage | ResponseMessage]>([
    ['challenge', challengeSchema, challenge],
    ['challenge at seq 0, t 0', challengeSchema, { ...challenge, seq: 0, t: 0 }],
    ['request', requestSchema, request],
    ['request with a newer state manifest and a userHandle', requestSchema, { ...request, cmd: 'start', state: 'eyJ0eXAiOiJzZGstc3RhdGUrand0In0.e30.c2ln', asr: { ...assertion, userHandle: bytes(16, 9) } }],
    ['request at the size limits', requestSchema, { ...request, cred: 'c'.repeat(2048), asr: { id: bytes(255), authenticatorData: bytes(512), clientDataJSON: bytes(1024), signature: bytes(128), userHandle: bytes(64) } }],
    ['response OK', responseSchema, response],
    ['response refusing with an error code', responseSchema, { v: 1, ok: false, code: 'EXPIRED', cmd: 'lock', vehicle: { locked: true, engine: false } }],
    ['response without cmd (request not decodable)', responseSchema, { v: 1, ok: false, code: 'BAD_MESSAGE', vehicle: { locked: true, engine: true } }],
  ])('%s', (_name, schema, message) => {
    const decoded = decodeMessage(schema, encodeMessage(message));
    expect(normalise(decoded)).toEqual(normalise(message));
  });

  it('byte fields travel as CBOR byte strings (major type 2), not arrays or maps', () => {
    const encoded = encodeMessage(challenge);
    expect(hex(encoded)).toContain(`656e6f6e6365${'5820'}${'07'.repeat(32)}`); // "nonce": bstr(32)
  });

  it('Node Buffers encode exactly like Uint8Arrays (randomBytes nonces, base64url-decoded assertions)', () => {
    const withBuffers: RequestMessage = {
      ...request,
      asr: {
        id: Buffer.from(assertion.id),
        authenticatorData: Buffer.from(assertion.authenticatorData),
        clientDataJSON: Buffer.from(assertion.clientDataJSON),
        signature: Buffer.from(assertion.signature),
      },
    };
    expect(hex(encodeMessage(withBuffers))).toBe(hex(encodeMessage(request)));
    expect(hex(encodeMessage({ ...challenge, nonce: Buffer.from(challenge.nonce) }))).toBe(hex(encodeMessage(challenge)));
  });

  it('decodes a Buffer input (what noble hands out) and re-encodes it to the same bytes', () => {
    const encoded = encodeMessage(request);
    const decoded = decodeMessage(requestSchema, Buffer.from(encoded));
    expect(hex(encodeMessage(decoded))).toBe(hex(encoded));
  });
});

describe('BAD_MESSAGE for anything that is not a valid message', () => {
  const valid = encodeMessage(request);

  it.each<[string, Uint8Array]>([
    ['empty input', new Uint8Array(0)],
    ['a lone break byte (0xff)', Uint8Array.of(0xff)],
    ['a reserved additional-info value (0x1c)', Uint8Array.of(0x1c)],
    ['JSON text instead of CBOR', new TextEncoder().encode(JSON.stringify({ v: 1, cmd: 'unlock' }))],
    ['a valid message followed by a trailing byte', Uint8Array.from([...valid, 0x00])],
    ['two valid messages back to back', Uint8Array.from([...valid, ...valid])],
    ['a byte string announcing 4 GiB', Uint8Array.of(0x5a, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02)],
    ['an array announcing 2^64 - 1 items', Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ['a map announcing 2^64 - 1 pairs', Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ['100 000 nested arrays (a depth bomb)', new Uint8Array(100_000).fill(0x81)],
    ['100 000 nested indefinite arrays', new Uint8Array(100_000).fill(0x9f)],
  ])('not CBOR / not one CBOR item: %s', (_name, data) => {
    for (const schema of [challengeSchema, requestSchema, responseSchema]) expectThrowsWithCode(() => decodeMessage(schema, data), 'BAD_MESSAGE');
  });

  it('truncated CBOR: every proper prefix of a valid request', () => {
    for (let cut = 0; cut < valid.length; cut++) {
      expectThrowsWithCode(() => decodeMessage(requestSchema, valid.subarray(0, cut)), 'BAD_MESSAGE');
    }
  });

  it.each<[string, unknown]>([
    ['an array', [1, 'unlock']],
    ['a string', 'unlock'],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
    ['a map with integer keys', new Map<number, unknown>([[1, 1], [2, 'unlock']])],
    ['an empty map', {}],
    ['a request where a challenge is expected', request],
    ['a response where a challenge is expected', response],
  ])('wrong shape: %s', (_name, value) => {
    expectThrowsWithCode(() => decodeMessage(challengeSchema, encode(value)), 'BAD_MESSAGE');
  });

  it.each<[string, Record<string, unknown>]>([
    ['nonce of 31 bytes', { nonce: bytes(NONCE_BYTES - 1) }],
    ['nonce of 33 bytes', { nonce: bytes(NONCE_BYTES + 1) }],
    ['nonce empty', { nonce: bytes(0) }],
    ['nonce as a text string of 32 characters', { nonce: 'n'.repeat(32) }],
    ['nonce as an array of 32 integers', { nonce: Array.from(bytes(32)) }],
    ['nonce missing', { nonce: undefined }],
    ['seq negative', { seq: -1 }],
    ['seq a float', { seq: 1.5 }],
    ['seq a string', { seq: '12' }],
    ['seq a bignum beyond 2^64', { seq: 2n ** 70n }],
    ['t a date tag where a number is expected', { t: new Date(1_767_225_600_000) }],
    ['t NaN', { t: Number.NaN }],
    ['t Infinity', { t: Number.POSITIVE_INFINITY }],
    ['t true', { t: true }],
  ])('challenge with %s', (_name, change) => {
    expectThrowsWithCode(() => decodeMessage(challengeSchema, encode({ ...challenge, ...change })), 'BAD_MESSAGE');
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown command', { cmd: 'fly' }],
    ['cmd in upper case', { cmd: 'UNLOCK' }],
    ['cmd wrapped in an unknown CBOR tag', { cmd: new Tag(9999, 'unlock') }],
    ['cmd a number', { cmd: 1 }],
    ['cred empty', { cred: '' }],
    ['cred a byte string', { cred: bytes(40) }],
    ['cred of 2049 characters', { cred: 'c'.repeat(2049) }],
    ['cred of 100 000 characters', { cred: 'c'.repeat(100_000) }],
    ['state of 2049 characters', { state: 's'.repeat(2049) }],
    ['state a number', { state: 7 }],
    ['asr missing', { asr: undefined }],
    ['asr a string', { asr: 'assertion' }],
    ['asr.id of 15 bytes', { asr: { ...assertion, id: bytes(15) } }],
    ['asr.id of 256 bytes', { asr: { ...assertion, id: bytes(256) } }],
    ['asr.authenticatorData of 36 bytes (shorter than rpIdHash + flags + counter)', { asr: { ...assertion, authenticatorData: bytes(36) } }],
    ['asr.clientDataJSON of 1025 bytes', { asr: { ...assertion, clientDataJSON: bytes(1025) } }],
    ['asr.clientDataJSON as a text string', { asr: { ...assertion, clientDataJSON: '{"type":"webauthn.get"}' } }],
    ['asr.signature of 129 bytes', { asr: { ...assertion, signature: bytes(129) } }],
    ['asr.userHandle of 65 bytes', { asr: { ...assertion, userHandle: bytes(65) } }],
  ])('request with %s', (_name, change) => {
    expectThrowsWithCode(() => decodeMessage(requestSchema, encode({ ...request, ...change })), 'BAD_MESSAGE');
  });

  it.each<[string, Record<string, unknown>]>([
    ['ok as 1', { ok: 1 }],
    ['code not an error code', { code: 'NOPE' }],
    ['code "constructor" (an Object.prototype name)', { code: 'constructor' }],
    ['code "__proto__"', { code: '__proto__' }],
    ['code lower case', { code: 'expired' }],
    ['vehicle missing', { vehicle: undefined }],
    ['vehicle.locked a string', { vehicle: { locked: 'yes', engine: false } }],
    ['cmd unknown', { cmd: 'self-destruct' }],
  ])('response with %s', (_name, change) => {
    expectThrowsWithCode(() => decodeMessage(responseSchema, encode({ ...response, ...change })), 'BAD_MESSAGE');
  });

  it('a "__proto__" key does not pollute Object.prototype (the unknown key is dropped)', () => {
    // 0xa5: map(5), then "v": 1 and "__proto__": {"polluted": true} alongside a valid challenge's fields.
    const data = Uint8Array.from([
      0xa5,
      ...encode('v'), ...encode(1),
      ...encode('__proto__'), ...encode({ polluted: true }),
      ...encode('nonce'), ...encode(challenge.nonce),
      ...encode('seq'), ...encode(1),
      ...encode('t'), ...encode(1),
    ]);
    const decoded = decodeMessage(challengeSchema, data);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((decoded as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('versions', () => {
  it('is version 1', () => {
    expect(PROTOCOL_VERSION).toBe(1);
  });

  it.each<[string, unknown]>([
    ['v: 2', 2],
    ['v: 0', 0],
    ['v: 255', 255],
    ['v: 2^40', 2 ** 40],
    ['v: -1', -1],
    ['v: 2^64 - 1 (a bigint)', 2n ** 64n - 1n],
  ])('%s → UNSUPPORTED_VERSION, for every message kind', (_name, v) => {
    expectThrowsWithCode(() => decodeMessage(challengeSchema, encode({ ...challenge, v })), 'UNSUPPORTED_VERSION');
    expectThrowsWithCode(() => decodeMessage(requestSchema, encode({ ...request, v })), 'UNSUPPORTED_VERSION');
    expectThrowsWithCode(() => decodeMessage(responseSchema, encode({ ...response, v })), 'UNSUPPORTED_VERSION');
  });

  it('a version-2 message with an otherwise unknown shape is still UNSUPPORTED_VERSION (not BAD_MESSAGE)', () => {
    expectThrowsWithCode(() => decodeMessage(requestSchema, encode({ v: 2, op: 'open', blob: bytes(10) })), 'UNSUPPORTED_VERSION');
  });

  it.each<[string, unknown]>([
    ['v: "1" (a string)', '1'],
    ['v: "2" (a string)', '2'],
    ['v: 1.5', 1.5],
    ['v: true', true],
    ['v: null', null],
    ['v: a date tag', new Date(0)],
    ['v: a byte string', bytes(1, 1)],
    ['v missing', undefined],
  ])('%s → BAD_MESSAGE (a malformed version is a malformed message)', (_name, v) => {
    expectThrowsWithCode(() => decodeMessage(challengeSchema, encode({ ...challenge, v })), 'BAD_MESSAGE');
  });
});

describe('decodeMessage only ever throws DigitalKeyError (seeded property loops)', () => {
  const schemas = [challengeSchema, requestSchema, responseSchema] as const;

  function decodeOrCode(schema: (typeof schemas)[number], data: Uint8Array, where: string): string {
    try {
      decodeMessage(schema, data);
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
      // Half of them start like a CBOR map, so the decoder gets past the first byte more often.
      if (data.length > 0 && random.next() < 0.5) data[0] = 0xa0 | random.int(6);
      codes.add(decodeOrCode(schemas[i % 3]!, data, `seed 20260101, input ${i} (${hex(data)})`));
    }
    expect([...codes].every((c) => c === 'BAD_MESSAGE' || c === 'UNSUPPORTED_VERSION' || c === 'OK')).toBe(true);
    expect(codes.has('BAD_MESSAGE')).toBe(true);
  });

  it('3000 mutations of valid messages (flipped, inserted and deleted bytes)', () => {
    const random = seededRandom(0xc0ffee);
    const seeds = [encodeMessage(challenge), encodeMessage(request), encodeMessage(response)];
    for (let i = 0; i < 3000; i++) {
      const which = i % 3;
      const data = Array.from(seeds[which]!);
      for (let edits = 1 + random.int(4); edits > 0; edits--) {
        const at = random.int(data.length);
        const op = random.int(3);
        if (op === 0) data[at] = random.int(256);
        else if (op === 1) data.splice(at, 0, random.int(256));
        else data.splice(at, 1);
      }
      const code = decodeOrCode(schemas[which]!, Uint8Array.from(data), `seed 0xc0ffee, mutation ${i}`);
      expect(['OK', 'BAD_MESSAGE', 'UNSUPPORTED_VERSION']).toContain(code);
    }
  });
});
