/**
 * The phone's key wallet: per vehicle, the key id, the newest credential with its response key, the
 * vehicle's advertising key (to find the car's private advertisement), and the newest state manifest
 * from the server's answers (the highest seq wins), so the phone carries revocations to an offline
 * car (DESIGN.md §3, `state`). The keys are secrets, like the credential: never logged.
 */
import { decodeJwt } from 'jose';
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
}

function seqOf(manifest: string): number {
  const seq = decodeJwt(manifest).seq;
  return typeof seq === 'number' ? seq : -1;
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
    };
    this.#entries.set(vin, entry);
    return entry;
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
