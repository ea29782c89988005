/**
 * The credentials the car has verified, so a phone that used one here names it next time by an
 * 8-byte reference (the first 8 bytes of its SHA-256) instead of sending ~300 bytes, and the car
 * skips the issuer signature check. Only what never changes is cached — the verified claims and
 * the credential's response key; the time window, the epoch, revocations and permissions are
 * judged again on every command against the car's current state and clock.
 *
 * A credential enters only when a command with it succeeded (its holder proved the passkey), and
 * leaves an hour after it expires, when the bound (64, least recently used first) pushes it out, or when a
 * trust update changes the issuer keys (clear()). The cache lives in memory only: after a reboot a
 * phone's reference is answered CREDENTIAL_UNKNOWN and it sends the credential whole once — a
 * restart costs one round trip, and nothing on disk can grow or be tampered with.
 */
import type { KeyCredential } from '../../shared/credential/keyCredential.js';
import { credentialRef } from '../../shared/ble/credentialRef.js';

export const CREDENTIAL_CACHE_SIZE = 64;
/**
 * How long past its `exp` an entry is kept: longer than any accepted clock skew, so the verifier's
 * own window check (not a missing entry) answers EXPIRED, with an authenticated answer.
 */
const EXPIRED_GRACE_SECONDS = 3600;

export interface CachedCredential {
  /** SHA-256 of the credential's COSE bytes. */
  digest: Uint8Array;
  credential: KeyCredential;
  /** The key the car authenticates answers with for this credential. */
  responseKey: Uint8Array;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class CredentialCache {
  readonly #entries = new Map<string, CachedCredential>();

  constructor(private readonly capacity = CREDENTIAL_CACHE_SIZE) {}

  /** The entry a reference names, unless it expired over an hour before `nowSeconds` (then it is dropped). */
  get(ref: Uint8Array, nowSeconds: number): CachedCredential | undefined {
    const key = hex(ref);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.credential.exp + EXPIRED_GRACE_SECONDS < nowSeconds) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  add(entry: CachedCredential): void {
    const key = hex(credentialRef(entry.digest));
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.capacity) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
