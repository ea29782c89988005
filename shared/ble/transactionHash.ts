/**
 * The transaction hash a phone asks its authenticator to sign (protocol.md, "Transaction hash"):
 * `tx = SHA-256(CBOR([nonce, vin, cmd, SHA-256(credential)]))`, CBOR in its deterministic form.
 * Binding the command and the credential into the WebAuthn challenge means an assertion made for
 * `lock` can never open the car, and one made for this connection's nonce can never be replayed on
 * another. The same tx keys the car's authenticated answer (responseMac.ts), so that answer belongs
 * to exactly this request.
 */
import { createHash } from 'node:crypto';
import type { Command } from '../commands.js';
import { encodeDeterministic } from '../cose/strictCbor.js';

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** `credentialDigest` is SHA-256 of the credential's COSE bytes (the car caches credentials by it). */
export function transactionHash(opts: { nonce: Uint8Array; vin: string; cmd: Command; credentialDigest: Uint8Array }): Uint8Array {
  return sha256(encodeDeterministic([opts.nonce, opts.vin, opts.cmd, opts.credentialDigest]));
}
