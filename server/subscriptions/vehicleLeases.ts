/**
 * The lease a scheduler instance holds while it works on one vehicle's subscription, so two
 * instances never settle the same vehicle at once. A lease expires on its own (a crashed holder
 * loses it after its time), and only its holder's token releases it.
 */
import { randomUUID } from 'node:crypto';
import type { Vin } from '../../shared/ids.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export class VehicleLeases {
  constructor(private readonly deps: { store: Store; leaseMs: number }) {}

  /** Take the vehicle's lease: its holder's token, or null while another instance holds it. */
  async acquire(vin: Vin): Promise<string | null> {
    const token = randomUUID();
    const got = await this.deps.store.set(storeKeys.vehicleLease(vin), token, { ttlMs: this.deps.leaseMs, ifAbsent: true });
    return got ? token : null;
  }

  /** Give the lease back, only if it is still ours: if it ran out and another instance took it, theirs stays. */
  async release(vin: Vin, token: string): Promise<void> {
    const key = storeKeys.vehicleLease(vin);
    await this.deps.store.commit({ expect: [{ key, value: token }], del: [key] });
  }
}
