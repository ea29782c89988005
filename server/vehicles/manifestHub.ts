/**
 * Fans new state manifests out to the cars connected to this instance. One store subscription per
 * instance (made on first use) carries manifests made on any instance — so a revocation made on one
 * server reaches a car connected to another — and a map from VIN to listeners passes each on.
 */
import type { Vin } from '../../shared/ids.js';
import type { ManifestEvent, StateManifests } from './stateManifests.js';

type Listener = (event: ManifestEvent) => void;

export class ManifestHub {
  readonly #listeners = new Map<Vin, Set<Listener>>();
  #subscription: Promise<() => Promise<void>> | null = null;

  constructor(
    private readonly manifests: StateManifests,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Listen for this VIN's manifests; resolves once the store subscription is live. */
  async listen(vin: Vin, listener: Listener): Promise<() => void> {
    this.#subscription ??= this.manifests.subscribe((event) => {
      for (const l of this.#listeners.get(event.vin) ?? []) {
        try {
          l(event);
        } catch (err) {
          this.onError(err);
        }
      }
    }, this.onError);
    await this.#subscription;
    let set = this.#listeners.get(vin);
    if (!set) this.#listeners.set(vin, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(vin);
    };
  }

  get connectedVehicles(): number {
    return this.#listeners.size;
  }

  async close(): Promise<void> {
    const unsubscribe = await this.#subscription;
    this.#subscription = null;
    this.#listeners.clear();
    await unsubscribe?.();
  }
}
