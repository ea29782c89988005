/**
 * Wrong recovery codes and links are rate limited per client address (R15), in the store so every
 * instance shares the count: at most RECOVERY_GUESSES_PER_HOUR failures in a window of an hour from
 * the first failure, then RATE_LIMITED until the window has passed. The rule is a pure function of
 * the window and the injected clock; the address is stored only as a digest.
 */
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { readRecord, updateRecord } from '../store/records.js';
import { secretDigest } from '../store/secretDigest.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export const GUESS_WINDOW_MS = 3_600_000;

const guessWindowSchema = z.object({ since: z.number(), failures: z.number().int().nonnegative() });
export type GuessWindow = z.infer<typeof guessWindowSchema>;

/** Whether one more guess may be tried now (pure). */
export function guessAllowed(window: GuessWindow | null, nowMs: number, maxFailures: number): boolean {
  return window === null || nowMs - window.since >= GUESS_WINDOW_MS || window.failures < maxFailures;
}

/** The window after one more failure now (pure): a window older than an hour starts again. */
export function afterFailedGuess(window: GuessWindow | null, nowMs: number): GuessWindow {
  return window === null || nowMs - window.since >= GUESS_WINDOW_MS ? { since: nowMs, failures: 1 } : { ...window, failures: window.failures + 1 };
}

export class RecoveryGuesses {
  constructor(private readonly deps: { store: Store; clock: Clock; maxFailures: number }) {}

  #key(client: string): string {
    return storeKeys.recoveryGuesses(secretDigest(client));
  }

  /** RATE_LIMITED when the client has used up its failures for the window. */
  async assertAllowed(client: string): Promise<void> {
    const window = await readRecord(this.deps.store, this.#key(client), guessWindowSchema, 'recovery guess window');
    if (!guessAllowed(window, this.deps.clock.now(), this.deps.maxFailures)) throw new DigitalKeyError('RATE_LIMITED', 'too many wrong recovery codes or links: try again later');
  }

  async recordFailure(client: string): Promise<void> {
    await updateRecord(this.deps.store, this.#key(client), guessWindowSchema, (window) => ({ record: afterFailedGuess(window, this.deps.clock.now()), result: null }), {
      what: 'recovery guess window',
      ttlMs: GUESS_WINDOW_MS + 60_000,
    });
  }
}
