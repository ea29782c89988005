/**
 * Time is injected everywhere (a `Clock`), so year-long rules are testable in milliseconds and the
 * vehicle's forward-only clock can be exercised without touching the host's clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests, benchmarks and the demo. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.#ms = startMs;
  }
  now(): number {
    return this.#ms;
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  set(ms: number): void {
    this.#ms = ms;
  }
}

/** Whole seconds since the Unix epoch, as JWT claims use. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
