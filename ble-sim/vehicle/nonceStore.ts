/**
 * Challenge nonces (protocol.md): 16 random bytes, bound to one connection, single-use, valid for
 * 30 s. A connection holds at most one: reading the Challenge again replaces it. `take` removes the
 * nonce before looking at it, so a second try with it always fails.
 *
 * In the simulation the vehicle's clock (injected) and the link's time (simulated connection events)
 * are separate timelines; a nonce expires when 30 s have passed on either, so a link too slow to
 * carry the request in time is refused just as a real car would refuse it.
 */
import { randomBytes } from 'node:crypto';
import { NONCE_BYTES } from '../../shared/ble/messages.js';

/** How long a challenge nonce lives (DESIGN.md §3). */
export const NONCE_TTL_MS = 30_000;

/** A source of random bytes (injected in tests). */
export type RandomBytes = (n: number) => Uint8Array;

/** node:crypto randomness, the default. */
export const cryptoRandomBytes: RandomBytes = (n) => new Uint8Array(randomBytes(n));

interface Issued {
  nonce: Uint8Array<ArrayBuffer>;
  issuedMs: number;
  issuedLinkMs: number;
}

/** The outstanding challenge nonce of each connection. */
export class NonceStore {
  readonly #random: RandomBytes;
  readonly #ttlMs: number;
  readonly #byConnection = new Map<number, Issued>();

  constructor(opts: { random?: RandomBytes; ttlMs?: number } = {}) {
    this.#random = opts.random ?? cryptoRandomBytes;
    this.#ttlMs = opts.ttlMs ?? NONCE_TTL_MS;
  }

  /** A fresh nonce for this connection, replacing any earlier one (times: vehicle clock, link time). */
  issue(connectionId: number, nowMs: number, linkNowMs = 0): Uint8Array<ArrayBuffer> {
    const nonce = this.#random(NONCE_BYTES).slice();
    if (nonce.length !== NONCE_BYTES) throw new RangeError(`the random source gave ${nonce.length} bytes`);
    this.#byConnection.set(connectionId, { nonce, issuedMs: nowMs, issuedLinkMs: linkNowMs });
    return nonce.slice();
  }

  /**
   * This connection's outstanding nonce if it is still fresh, else a new one: asking twice for a
   * challenge (a pushed one may or may not have reached the phone) gives the same nonce, so the
   * phone never holds a stale one. Still single-use: `take` spends it.
   */
  current(connectionId: number, nowMs: number, linkNowMs = 0): Uint8Array<ArrayBuffer> {
    const issued = this.#byConnection.get(connectionId);
    if (issued && nowMs - issued.issuedMs <= this.#ttlMs && linkNowMs - issued.issuedLinkMs <= this.#ttlMs) return issued.nonce.slice();
    return this.issue(connectionId, nowMs, linkNowMs);
  }

  /** Link time at which this connection's outstanding nonce was issued (relay evidence), if it has one. */
  issuedLinkAt(connectionId: number): number | undefined {
    return this.#byConnection.get(connectionId)?.issuedLinkMs;
  }

  /** Consume this connection's nonce: null when there is none, or it has expired on either timeline. */
  take(connectionId: number, nowMs: number, linkNowMs = 0): Uint8Array<ArrayBuffer> | null {
    const issued = this.#byConnection.get(connectionId);
    this.#byConnection.delete(connectionId);
    if (!issued) return null;
    if (nowMs - issued.issuedMs > this.#ttlMs || linkNowMs - issued.issuedLinkMs > this.#ttlMs) return null;
    return issued.nonce;
  }

  /** Forget a closed connection's nonce. */
  drop(connectionId: number): void {
    this.#byConnection.delete(connectionId);
  }
}
