/**
 * Fans new state manifests out to the cars connected to this instance. One store subscription per
 * instance carries manifests made on any instance — so a revocation made on one server reaches a
 * car connected to another — and a map from VIN to listeners passes each on.
 *
 * The subscription is made on first use (or `start()`); a failed attempt is never cached: it is
 * retried with capped, jittered exponential backoff until it is live, and `ready()` (readiness)
 * says whether this instance can deliver to cars right now.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import type { ManifestEvent, StateManifests } from './stateManifests.js';

type Listener = (event: ManifestEvent) => void;

export interface ManifestHubOptions {
  /** First retry delay after a failed subscription (doubles up to `maxBackoffMs`, jittered). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
}

type SubscriptionState =
  | { kind: 'idle' }
  | { kind: 'subscribing'; attempt: Promise<void> }
  | { kind: 'live'; unsubscribe: () => Promise<void> }
  | { kind: 'waiting'; timer: NodeJS.Timeout; error: unknown };

export class ManifestHub {
  readonly #listeners = new Map<Vin, Set<Listener>>();
  #state: SubscriptionState = { kind: 'idle' };
  /** Grows at each close(), so an attempt that settles after it knows it is stale. */
  #generation = 0;
  #backoffMs: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #random: () => number;

  constructor(
    private readonly manifests: StateManifests,
    private readonly onError: (err: unknown) => void,
    opts: ManifestHubOptions = {},
  ) {
    this.#initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 5_000;
    this.#random = opts.random ?? Math.random;
    this.#backoffMs = this.#initialBackoffMs;
  }

  /** Make the store subscription now (main.ts), rather than on the first car. */
  start(): void {
    if (this.#state.kind === 'idle') void this.#subscribe().catch(() => undefined);
  }

  /**
   * Resolves once the subscription is live; throws STORE_UNAVAILABLE while it is not (a retry is
   * then already scheduled). Readiness and every new sync connection go through here.
   */
  async ready(): Promise<void> {
    const state = this.#state;
    if (state.kind === 'live') return;
    if (state.kind === 'waiting') {
      throw new DigitalKeyError('STORE_UNAVAILABLE', 'the manifest subscription is down; retrying', { cause: state.error });
    }
    await (state.kind === 'subscribing' ? state.attempt : this.#subscribe());
  }

  /** Listen for this VIN's manifests; resolves once the store subscription is live. */
  async listen(vin: Vin, listener: Listener): Promise<() => void> {
    await this.ready();
    let set = this.#listeners.get(vin);
    if (!set) this.#listeners.set(vin, (set = new Set()));
    set.add(listener);
    const listening = set;
    return () => {
      listening.delete(listener);
      if (listening.size === 0 && this.#listeners.get(vin) === listening) this.#listeners.delete(vin);
    };
  }

  /** Vehicles with at least one listener on this instance. */
  get connectedVehicles(): number {
    return this.#listeners.size;
  }

  /** Listeners on this instance (a car may briefly hold two while it reconnects). */
  get listenerCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  /** Drop every listener and the subscription; a later `listen` or `start` subscribes afresh. */
  async close(): Promise<void> {
    const state = this.#state;
    this.#state = { kind: 'idle' };
    this.#generation += 1;
    this.#backoffMs = this.#initialBackoffMs;
    this.#listeners.clear();
    if (state.kind === 'waiting') clearTimeout(state.timer);
    // An attempt in flight unsubscribes by itself when it finds the hub closed since it began.
    if (state.kind === 'subscribing') await state.attempt.catch(() => undefined);
    if (state.kind === 'live') await state.unsubscribe().catch(this.onError);
  }

  #subscribe(): Promise<void> {
    const generation = this.#generation;
    const attempt = this.manifests
      .subscribe((event) => this.#deliver(event), this.onError)
      .then(
        (unsubscribe) => {
          if (generation !== this.#generation) return unsubscribe().catch(this.onError);
          this.#state = { kind: 'live', unsubscribe };
          this.#backoffMs = this.#initialBackoffMs;
        },
        (err: unknown) => {
          if (generation === this.#generation) this.#retryLater(err);
          throw err instanceof DigitalKeyError ? err : new DigitalKeyError('STORE_UNAVAILABLE', 'the manifest subscription failed', { cause: err });
        },
      );
    this.#state = { kind: 'subscribing', attempt };
    return attempt;
  }

  #retryLater(error: unknown): void {
    this.onError(error);
    const delay = Math.round(this.#backoffMs / 2 + this.#random() * (this.#backoffMs / 2));
    this.#backoffMs = Math.min(this.#maxBackoffMs, this.#backoffMs * 2);
    const timer = setTimeout(() => {
      if (this.#state.kind === 'waiting') void this.#subscribe().catch(() => undefined);
    }, delay);
    timer.unref();
    this.#state = { kind: 'waiting', timer, error };
  }

  #deliver(event: ManifestEvent): void {
    for (const l of this.#listeners.get(event.vin) ?? []) {
      try {
        l(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
