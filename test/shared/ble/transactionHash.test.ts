/**
 * The transaction hash the phone's authenticator signs (DESIGN.md §3, R14):
 * tx = SHA-256(CBOR([nonce, vin, cmd, SHA-256(credential)])). Phone and vehicle compute it
 * separately, so its bytes are pinned here: any change to the encoding breaks every key in the field.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { transactionHash } from '../../../shared/ble/transactionHash.js';
import { COMMANDS, type Command } from '../../../shared/commands.js';

const NONCE = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 02 … 1f
const VIN = 'WVWZZZ1JZXW000001';
const CREDENTIAL = 'eyJhbGciOiJFUzI1NiIsInR5cCI6InNkay1rZXkrand0In0.eyJzdWIiOiJrZXlfMSJ9.c2lnbmF0dXJl';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

/**
 * The CBOR written out by hand (RFC 8949 preferred encoding), independent of cbor2:
 * 0x84 array(4) · 0x58 0x20 bstr(32) nonce · 0x71 tstr(17) VIN · 0x60+n tstr(n) cmd ·
 * 0x58 0x20 bstr(32) SHA-256(credential).
 */
function handEncoded(nonce: Uint8Array, vin: string, cmd: string, credential: string): Buffer {
  const vinBytes = Buffer.from(vin, 'utf8');
  const cmdBytes = Buffer.from(cmd, 'utf8');
  expect(nonce).toHaveLength(32);
  expect(vinBytes).toHaveLength(17);
  expect(cmdBytes.length).toBeLessThan(24);
  return Buffer.concat([
    Buffer.of(0x84),
    Buffer.of(0x58, 0x20),
    nonce,
    Buffer.of(0x60 + vinBytes.length),
    vinBytes,
    Buffer.of(0x60 + cmdBytes.length),
    cmdBytes,
    Buffer.of(0x58, 0x20),
    sha256(credential),
  ]);
}

/** Pinned once (and cross-checked by handEncoded below and by a separate Python computation). */
const VECTORS: Record<Command, string> = {
  unlock: 'b6f6601048e0a8fda6005fe6793b4c918b4d9476dca6ef46b8b42a1de2b58a13',
  lock: '838d70735113e5f41f82361b4819869942b3394f247bbb63214a1aa762940112',
  start: '9063da5cbc326a21aa95187a6ef6941bda1304d228c5c31fcc7c8ac7d8e7afbd',
  trunk: '322d7694846036717a95bf4f4ef2b91befbe97f3d119dab4a86e6003f1928a58',
};

describe('transactionHash test vectors', () => {
  it.each(COMMANDS)('pinned hex for cmd "%s" (nonce 00..1f, VIN WVWZZZ1JZXW000001)', (cmd) => {
    expect(hex(transactionHash({ nonce: NONCE, vin: VIN, cmd, credential: CREDENTIAL }))).toBe(VECTORS[cmd]);
  });

  it.each(COMMANDS)('matches SHA-256 of the hand-written CBOR encoding for cmd "%s"', (cmd) => {
    const expected = sha256(handEncoded(NONCE, VIN, cmd, CREDENTIAL));
    expect(hex(transactionHash({ nonce: NONCE, vin: VIN, cmd, credential: CREDENTIAL }))).toBe(expected.toString('hex'));
  });

  it('matches the hand-written encoding for random inputs too', () => {
    for (let i = 0; i < 50; i++) {
      const nonce = new Uint8Array(randomBytes(32));
      const cmd = COMMANDS[i % COMMANDS.length]!;
      const credential = randomBytes(300 + i).toString('base64url');
      expect(hex(transactionHash({ nonce, vin: VIN, cmd, credential }))).toBe(sha256(handEncoded(nonce, VIN, cmd, credential)).toString('hex'));
    }
  });

  it('is 32 bytes', () => {
    expect(transactionHash({ nonce: NONCE, vin: VIN, cmd: 'unlock', credential: CREDENTIAL })).toHaveLength(32);
  });
});

describe('transactionHash binds every input (changing any one changes the hash)', () => {
  const base: Parameters<typeof transactionHash>[0] = { nonce: NONCE, vin: VIN, cmd: 'unlock', credential: CREDENTIAL };
  const flipped = (index: number): Uint8Array => {
    const copy = NONCE.slice();
    copy[index]! ^= 0x01;
    return copy;
  };
  it.each<[string, Partial<typeof base>]>([
    ['nonce, first bit flipped (replay on another connection)', { nonce: flipped(0) }],
    ['nonce, last bit flipped', { nonce: flipped(31) }],
    ['VIN, last character (another car)', { vin: 'WVWZZZ1JZXW000002' }],
    ['cmd lock instead of unlock (an assertion for lock never opens the car)', { cmd: 'lock' }],
    ['cmd start instead of unlock', { cmd: 'start' }],
    ['cmd trunk instead of unlock', { cmd: 'trunk' }],
    ['credential, one character changed (another key)', { credential: CREDENTIAL.replace(/l$/, 'm') }],
    ['credential, one character appended', { credential: `${CREDENTIAL}A` }],
    ['credential empty', { credential: '' }],
  ])('%s', (_name, change) => {
    expect(hex(transactionHash({ ...base, ...change }))).not.toBe(VECTORS.unlock);
  });

  it('gives four different hashes for the four commands', () => {
    expect(new Set(Object.values(VECTORS)).size).toBe(4);
  });
});

describe('transactionHash depends on the nonce bytes, not on the object holding them', () => {
  // A Node Buffer (randomBytes, noble's reads, cbor2 decoding a Buffer) must hash like a Uint8Array:
  // cbor2 alone would encode a Buffer as the map {type: "Buffer", data: [...]}.
  it.each<[string, Uint8Array]>([
    ['a Buffer', Buffer.from(NONCE)],
    ['a view at an offset into a larger buffer', (() => {
      const big = new Uint8Array(100);
      big.set(NONCE, 40);
      return big.subarray(40, 72);
    })()],
    ['a Buffer view into a pooled allocation', (() => {
      const pooled = Buffer.alloc(64);
      Buffer.from(NONCE).copy(pooled, 16);
      return pooled.subarray(16, 48);
    })()],
  ])('%s', (_name, nonce) => {
    expect(hex(transactionHash({ nonce, vin: VIN, cmd: 'unlock', credential: CREDENTIAL }))).toBe(VECTORS.unlock);
  });
});
