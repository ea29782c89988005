/**
 * R4: every digital key of a vehicle, shared ones included, is wiped when (a) the main user removes
 * the vehicle, (b) the subscription ends, (c) the authorised user gives up the usage rights, or
 * (d) another user claims the vehicle. A wipe is one epoch increment — O(1) whatever the number of
 * keys — and one manifest seq increment so cars learn of it. The old epoch's key records stay as the
 * wipe's archive (R13); only its passkey index is unlinked (server/keys/wipeVehicleKeys.ts).
 */
import type { VehicleRecord } from './vehicleRecord.js';

export type WipeReason = 'vehicle-removed' | 'subscription-ended' | 'usage-relinquished' | 'claimed-by-another' | 'dealer-revoked-all';

export function wipeAllKeys(vehicle: VehicleRecord): VehicleRecord {
  return { ...vehicle, epoch: vehicle.epoch + 1, seq: vehicle.seq + 1, revoked: [], sharedKeys: 0 };
}
