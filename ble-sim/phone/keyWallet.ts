/**
 * The phone's key wallet: per vehicle, the key id, the newest credential with its response key, the
 * vehicle's advertising key (to find the car's private advertisement), and the newest state manifest
 * from the server's answers (the highest seq wins), so the phone carries revocations to an offline
 * car (DESIGN.md §3, `state`). The keys are secrets, like the credential: never logged.
 */
import { base64UrlToBytes } from '../../shared/base64url.js';
import { readStateManifest } from '../../shared/credential/stateManifest.js';
import type { Base64Url, Vin } from '../../shared/ids.js';

export interface WalletEntry {
  vin: Vin;
  keyId: string;
  credential: string;
  expiresAt: number;
  state: string | undefined;
  stateSeq: number;
  /** The credential's response key, base64url (the car authenticates its answers with it). */
  responseKey: Base64Url;
  /** The vehicle's advertising key, base64url (resolves the car's rotating advertisement). */
  advertisingKey: Base64Url;
  /** The car answered OK to this very credential (authenticated), so it holds it: send its reference. */
  carHolds?: boolean;
}

/** The manifest's seq (read, not verified: the car verifies it), or -1 when it cannot be read. */
function seqOf(manifest: string): number {
  try {
    return readStateManifest(base64UrlToBytes(manifest)).seq;
  } catch {
    return -1;
  }
}

export class KeyWallet {
  readonly #entries = new Map<Vin, WalletEntry>();

  get(vin: Vin): WalletEntry | undefined {
    return this.#entries.get(vin);
  }

  /** Store a credential and manifest from the server (a newer manifest replaces an older one). */
  put(vin: Vin, issued: { keyId: string; credential: string; state: string; expiresAt: number; responseKey: Base64Url; advertisingKey: Base64Url }): WalletEntry {
    const previous = this.#entries.get(vin);
    const seq = seqOf(issued.state);
    const keepOld = previous?.state !== undefined && previous.stateSeq > seq;
    const entry: WalletEntry = {
      vin,
      keyId: issued.keyId,
      credential: issued.credential,
      expiresAt: issued.expiresAt,
      state: keepOld ? previous.state : issued.state,
      stateSeq: keepOld ? previous.stateSeq : seq,
      responseKey: issued.responseKey,
      advertisingKey: issued.advertisingKey,
      // A new credential is one the car has not seen yet.
      ...(previous?.carHolds && previous.credential === issued.credential ? { carHolds: true } : {}),
    };
    this.#entries.set(vin, entry);
    return entry;
  }

  /** Remember whether the car holds this credential (after its authenticated answer to a command with it). */
  noteCarHolds(vin: Vin, credential: string, holds: boolean): void {
    const entry = this.#entries.get(vin);
    if (entry && entry.credential === credential) this.#entries.set(vin, { ...entry, carHolds: holds });
  }

  /** Every entry, for saving the wallet (the phone CLI's state file); `restore` puts them back as they were. */
  entries(): WalletEntry[] {
    return [...this.#entries.values()];
  }

  restore(entries: readonly WalletEntry[]): void {
    for (const e of entries) this.#entries.set(e.vin, { ...e });
  }

  remove(vin: Vin): void {
    this.#entries.delete(vin);
  }
}
