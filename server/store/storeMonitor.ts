/**
 * Watches whether the store answers, so a server whose Redis is away keeps running and says so
 * without flooding its log: one error line when the store becomes unreachable (naming host and
 * port), a reminder at most every `reminderMs` while it stays away, one line when it is back. While
 * the store is away it is pinged with a growing delay (backoff), which also drives the adapter's
 * reconnection; requests meanwhile answer 503 STORE_UNAVAILABLE and `/readyz` names the store.
 */
import { errorMessage } from '../errorMessage.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

export interface StoreMonitorOptions {
  store: Pick<Store, 'ping' | 'kind' | 'location'>;
  logger: Pick<Logger, 'info' | 'error'>;
  /** Called each time the store answers after not answering (and at the first answer). */
  onReachable?: () => void;
  /** Ping interval while the store answers (ms). */
  intervalMs?: number;
  /** First retry delay once it does not answer (ms); doubles up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** At most one "still unreachable" line per this many ms. */
  reminderMs?: number;
}

export class StoreMonitor {
  readonly #opts: Required<Omit<StoreMonitorOptions, 'onReachable'>> & Pick<StoreMonitorOptions, 'onReachable'>;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** null until the first ping settles. */
  #reachable: boolean | null = null;
  #downSince = 0;
  #lastReminder = 0;
  #delay: number;

  constructor(opts: StoreMonitorOptions) {
    this.#opts = { intervalMs: 5000, minDelayMs: 250, maxDelayMs: 10_000, reminderMs: 60_000, ...opts };
    this.#delay = this.#opts.minDelayMs;
  }

  /** Whether the last ping was answered (false before the first one settles). */
  get reachable(): boolean {
    return this.#reachable === true;
  }

  /** Ping now and keep watching until `stop()`. Resolves after the first ping settled. */
  async start(): Promise<void> {
    await this.#check();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #check(): Promise<void> {
    const { store, logger } = this.#opts;
    const where = store.location ?? store.kind;
    let next: number;
    try {
      await store.ping();
      if (this.#reachable !== true) {
        if (this.#reachable === false) logger.info({ store: where, downForMs: Date.now() - this.#downSince }, `store reachable again: ${where}`);
        else logger.info({ store: where }, `store reachable: ${where}`);
        this.#reachable = true;
        this.#opts.onReachable?.();
      }
      this.#delay = this.#opts.minDelayMs;
      next = this.#opts.intervalMs;
    } catch (err) {
      const now = Date.now();
      if (this.#reachable !== false) {
        this.#reachable = false;
        this.#downSince = now;
        this.#lastReminder = now;
        logger.error({ store: where, err: errorMessage(err) }, `store unreachable: ${where} — serving 503 STORE_UNAVAILABLE and retrying with backoff`);
      } else if (now - this.#lastReminder >= this.#opts.reminderMs) {
        this.#lastReminder = now;
        logger.error({ store: where, downForMs: now - this.#downSince }, `store still unreachable: ${where}`);
      }
      next = this.#delay;
      this.#delay = Math.min(this.#delay * 2, this.#opts.maxDelayMs);
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#check(), next).unref();
  }
}
