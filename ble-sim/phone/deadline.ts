/**
 * One time budget for a whole phone-side operation. Every wait races the budget; running out is
 * DigitalKeyError('TIMEOUT'), which says the command may have been carried out (the car may have
 * acted and its answer been lost), so callers must not blindly retry it.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';

/** A wall-clock budget shared by every wait of one operation. */
export class Deadline {
  readonly #endsAt: number;

  constructor(readonly budgetMs: number) {
    this.#endsAt = Date.now() + budgetMs;
  }

  remainingMs(): number {
    return Math.max(0, this.#endsAt - Date.now());
  }

  /** `promise`, or TIMEOUT (with `detail`) if the budget runs out first. */
  race<T>(promise: Promise<T>, detail: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DigitalKeyError('TIMEOUT', `no answer within ${this.budgetMs} ms (${String(detail.stage)})`, { detail }));
      }, this.remainingMs());
      timer.unref?.();
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
