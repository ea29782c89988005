/**
 * The vehicle's clock only moves forward (DESIGN.md §3): `now = max(injected clock, highest trusted
 * time seen)`, and every reading raises the floor. Signed manifests raise it too (their `iat`), so
 * rolling the car's clock back never revives an expired credential.
 */
import type { Clock } from '../../shared/clock.js';

/** `max(source, highest trusted time)`, raised by every reading and every observed trusted time. */
export class ForwardOnlyClock implements Clock {
  readonly #source: Clock;
  #highestMs: number;

  constructor(source: Clock, highestTrustedMs = 0) {
    this.#source = source;
    this.#highestMs = highestTrustedMs;
  }

  now(): number {
    this.#highestMs = Math.max(this.#highestMs, Math.floor(this.#source.now()));
    return this.#highestMs;
  }

  /** The highest trusted time seen so far (to persist). */
  get highestMs(): number {
    return this.#highestMs;
  }

  /** Raise the floor to a trusted time (a verified manifest's `iat`). Never lowers it. */
  observe(trustedMs: number): void {
    this.#highestMs = Math.max(this.#highestMs, Math.floor(trustedMs));
  }
}
