/**
 * Signs vehicles' state manifests and fans new ones out to every server instance (store pub/sub),
 * where the vehicle sync channel passes them on to connected cars. A manifest is derived from the
 * vehicle document, so any instance can sign the current one; signatures are cached per (VIN, seq)
 * for a few seconds so a burst of reads signs once.
 */
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { epochSeconds } from '../../shared/clock.js';
import type { IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { bytesToBase64Url } from '../../shared/base64url.js';
import { signStateManifest } from '../../shared/credential/stateManifest.js';
import type { Vin } from '../../shared/ids.js';
import { manifestClaims } from '../domain/manifestClaims.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import type { DomainMetrics } from '../metrics/domainMetrics.js';
import { parseRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

/** What the manifest channel carries: a vehicle's new manifest and its seq (and when it was sent, for the delivery lag; absent from older instances). */
const manifestEventSchema = z.object({ vin: z.string(), seq: z.number().int().nonnegative(), manifest: z.string(), sentAt: z.number().optional() });
export type ManifestEvent = z.infer<typeof manifestEventSchema>;

const CACHE_MS = 5_000;

export class StateManifests {
  readonly #cache = new Map<Vin, { seq: number; manifest: string; at: number }>();

  constructor(
    private readonly deps: { store: Store; clock: Clock; issuer: string; issuerKey: IssuerSigningKey; metrics: Pick<DomainMetrics, 'manifestPublished' | 'manifestDelivered'> },
  ) {}

  /** The signed manifest of this vehicle document (base64url of its COSE bytes). */
  async sign(vehicle: VehicleRecord): Promise<string> {
    const now = this.deps.clock.now();
    const cached = this.#cache.get(vehicle.vin);
    if (cached && cached.seq === vehicle.seq && now - cached.at < CACHE_MS && now >= cached.at) return cached.manifest;
    const manifest = bytesToBase64Url(await signStateManifest({
      key: this.deps.issuerKey,
      claims: manifestClaims({ issuer: this.deps.issuer, vehicle, nowSeconds: epochSeconds(this.deps.clock) }),
    }));
    this.#cache.set(vehicle.vin, { seq: vehicle.seq, manifest, at: now });
    // Bounded: the oldest entry goes (a Map keeps insertion order).
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= 10_000) break;
      this.#cache.delete(oldest);
    }
    return manifest;
  }

  /** Sign and publish the manifest of a vehicle whose seq just grew. */
  async publish(vehicle: VehicleRecord): Promise<string> {
    const manifest = await this.sign(vehicle);
    // Wall-clock time (not the injected clock): the lag is between processes, measured in real time.
    const event: ManifestEvent = { vin: vehicle.vin, seq: vehicle.seq, manifest, sentAt: Date.now() };
    await this.deps.store.publish(storeKeys.manifestChannel(), JSON.stringify(event));
    this.deps.metrics.manifestPublished();
    return manifest;
  }

  /** Listen for manifests made on any instance. */
  subscribe(onManifest: (event: ManifestEvent) => void, onError: (err: unknown) => void): Promise<() => Promise<void>> {
    return this.deps.store.subscribe(storeKeys.manifestChannel(), (message) => {
      // A handler that throws would be rethrown by the store as uncaught and end the process.
      try {
        const event = parseRecord(manifestEventSchema, message, 'manifest event');
        if (event.sentAt !== undefined) this.deps.metrics.manifestDelivered(Date.now() - event.sentAt);
        onManifest(event);
      } catch (err) {
        onError(err);
      }
    });
  }
}
