/**
 * The transaction hash the phone's authenticator signs (protocol.md, R14):
 * tx = SHA-256(CBOR([nonce, vin, cmd, SHA-256(credential)])), the credential's COSE bytes hashed.
 * Phone and vehicle compute it separately, so its bytes are pinned here: any change to the encoding
 * breaks every key in the field.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { transactionHash } from '../../../shared/ble/transactionHash.js';
import { COMMANDS, type Command } from '../../../shared/commands.js';

const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i); // 00 01 02 … 0f
const VIN = 'WVWZZZ1JZXW000001';
/** Stands for a credential's COSE bytes: the hash only sees their SHA-256. */
const CREDENTIAL = Buffer.concat([Buffer.from('d28443a10126a0', 'hex'), Buffer.from('credential bytes')]);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const input = (nonce: Uint8Array, cmd: Command, credential: Uint8Array = CREDENTIAL) => ({ nonce, vin: VIN, cmd, credentialDigest: sha256(credential) });

/**
 * The CBOR written out by hand (RFC 8949 preferred encoding), independent of cbor2:
 * 0x84 array(4) · 0x50 bstr(16) nonce · 0x71 tstr(17) VIN · 0x60+n tstr(n) cmd ·
 * 0x58 0x20 bstr(32) SHA-256(credential).
 */
function handEncoded(nonce: Uint8Array, vin: string, cmd: string, credential: Uint8Array): Buffer {
  const vinBytes = Buffer.from(vin, 'utf8');
  const cmdBytes = Buffer.from(cmd, 'utf8');
  expect(nonce).toHaveLength(16);
  expect(vinBytes).toHaveLength(17);
  expect(cmdBytes.length).toBeLessThan(24);
  return Buffer.concat([
    Buffer.of(0x84),
    Buffer.of(0x50),
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
  unlock: '26856245f5eebadd809edceaa30d8e80621332ed5571ae8990e678989ef1922b',
  lock: 'f8138b657ea51f9ae210661f47b09357c3d0b5d9a8acc4b2cbdba72b7249429d',
  start: 'cdac8fa8e409c68eddca6009f1d34b6c7d93134444f4da4d0cf162dd753cdfbf',
  trunk: '745cd6129c85eaabb284b901913f3b7f55518f91ce546789b5153e8a1836d3dc',
};

describe('transactionHash test vectors', () => {
  it.each(COMMANDS)('pinned hex for cmd "%s" (nonce 00..0f, VIN WVWZZZ1JZXW000001)', (cmd) => {
    expect(hex(transactionHash(input(NONCE, cmd)))).toBe(VECTORS[cmd]);
  });

  it.each(COMMANDS)('matches SHA-256 of the hand-written CBOR encoding for cmd "%s"', (cmd) => {
    const expected = sha256(handEncoded(NONCE, VIN, cmd, CREDENTIAL));
    expect(hex(transactionHash(input(NONCE, cmd)))).toBe(expected.toString('hex'));
  });

  it('matches the hand-written encoding for random inputs too', () => {
    for (let i = 0; i < 50; i++) {
      const nonce = new Uint8Array(randomBytes(16));
      const cmd = COMMANDS[i % COMMANDS.length]!;
      const credential = randomBytes(300 + i);
      expect(hex(transactionHash(input(nonce, cmd, credential)))).toBe(sha256(handEncoded(nonce, VIN, cmd, credential)).toString('hex'));
    }
  });

  it('is 32 bytes', () => {
    expect(transactionHash(input(NONCE, 'unlock'))).toHaveLength(32);
  });
});

describe('transactionHash binds every input (changing any one changes the hash)', () => {
  const base: Parameters<typeof transactionHash>[0] = input(NONCE, 'unlock');
  const flipped = (index: number): Uint8Array => {
    const copy = NONCE.slice();
    copy[index]! ^= 0x01;
    return copy;
  };
  it.each<[string, Partial<typeof base>]>([
    ['nonce, first bit flipped (replay on another connection)', { nonce: flipped(0) }],
    ['nonce, last bit flipped', { nonce: flipped(15) }],
    ['VIN, last character (another car)', { vin: 'WVWZZZ1JZXW000002' }],
    ['cmd lock instead of unlock (an assertion for lock never opens the car)', { cmd: 'lock' }],
    ['cmd start instead of unlock', { cmd: 'start' }],
    ['cmd trunk instead of unlock', { cmd: 'trunk' }],
    ['credential, one byte changed (another key)', { credentialDigest: sha256(Buffer.concat([CREDENTIAL.subarray(0, -1), Buffer.of(0)])) }],
    ['credential, one byte appended', { credentialDigest: sha256(Buffer.concat([CREDENTIAL, Buffer.of(0)])) }],
    ['credential empty', { credentialDigest: sha256(new Uint8Array(0)) }],
  ])('%s', (_name, change) => {
    expect(hex(transactionHash({ ...base, ...change }))).not.toBe(VECTORS.unlock);
  });

  it('gives four different hashes for the four commands', () => {
    expect(new Set(Object.values(VECTORS)).size).toBe(4);
  });
});

describe('transactionHash depends on the nonce bytes, not on the object holding them', () => {
  // A Node Buffer (randomBytes, noble's reads, cbor2 decoding a Buffer) must hash like a Uint8Array:
  // A Buffer is a Uint8Array: the deterministic encoder writes its bytes as a byte string.
  it.each<[string, Uint8Array]>([
    ['a Buffer', Buffer.from(NONCE)],
    ['a view at an offset into a larger buffer', (() => {
      const big = new Uint8Array(100);
      big.set(NONCE, 40);
      return big.subarray(40, 56);
    })()],
    ['a Buffer view into a pooled allocation', (() => {
      const pooled = Buffer.alloc(64);
      Buffer.from(NONCE).copy(pooled, 16);
      return pooled.subarray(16, 32);
    })()],
  ])('%s', (_name, nonce) => {
    expect(hex(transactionHash({ ...input(NONCE, 'unlock'), nonce }))).toBe(VECTORS.unlock);
  });
});
