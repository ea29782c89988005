/**
 * What each car reports on its sync channel: the newest state manifest `seq` it applied, when it
 * first reported that seq, and when it last reported anything (its "last seen"). One small record
 * per vehicle, under the vehicle's hash tag; the seq only moves forward, so a late or replayed
 * report of an older seq refreshes "last seen" and nothing else.
 */
import { z } from 'zod';
import type { Vin } from '../../shared/ids.js';
import { readRecord, updateRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export const appliedManifestSchema = z.object({
  /** The newest manifest seq the car applied. */
  seq: z.number().int().min(0),
  /** When the car first reported `seq` (epoch milliseconds). */
  appliedAt: z.number().int(),
  /** When the car last reported on its sync channel (epoch milliseconds). */
  lastSeenAt: z.number().int(),
});
export type AppliedManifest = z.infer<typeof appliedManifestSchema>;

/** The record's key: beside the vehicle document, in the vehicle's hash slot. */
const appliedKey = (vin: Vin) => storeKeys.vehicleApplied(vin);

export class AppliedManifests {
  readonly #store: Pick<Store, 'get' | 'hget' | 'commit'>;

  constructor(store: Pick<Store, 'get' | 'hget' | 'commit'>) {
    this.#store = store;
  }

  /** The car's latest report, or null if it never reported. */
  find(vin: Vin): Promise<AppliedManifest | null> {
    return readRecord(this.#store, appliedKey(vin), appliedManifestSchema, 'applied manifest');
  }

  /** Record a report: the seq moves forward only; "last seen" is always now. */
  async report(vin: Vin, report: { seq: number; atMs: number }): Promise<AppliedManifest> {
    const { record } = await updateRecord(
      this.#store,
      appliedKey(vin),
      appliedManifestSchema,
      (current) => {
        const newer = current === null || report.seq > current.seq;
        const record = newer ? { seq: report.seq, appliedAt: report.atMs, lastSeenAt: report.atMs } : { ...current, lastSeenAt: Math.max(current.lastSeenAt, report.atMs) };
        return { record, result: undefined };
      },
      { what: 'applied manifest' },
    );
    return record;
  }
}
