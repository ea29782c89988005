/**
 * The transaction hash a phone asks its authenticator to sign (DESIGN.md §3):
 * `tx = SHA-256(CBOR([nonce, vin, cmd, SHA-256(credential)]))`. Binding the command and the
 * credential into the WebAuthn challenge means an assertion made for `lock` can never open the car,
 * and one made for this connection's nonce can never be replayed on another.
 */
import { createHash } from 'node:crypto';
import type { Command } from '../commands.js';
import { cborEncode } from './cborEncode.js';

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function transactionHash(opts: { nonce: Uint8Array; vin: string; cmd: Command; credential: string }): Uint8Array {
  return sha256(cborEncode([opts.nonce, opts.vin, opts.cmd, sha256(opts.credential)]));
}
