/**
 * R4: every digital key of a vehicle, shared ones included, is wiped when (a) the main user removes
 * the vehicle, (b) the subscription ends, (c) the authorised user gives up the usage rights, or
 * (d) another user claims the vehicle. A wipe is one epoch increment — O(1) whatever the number of
 * keys — and one manifest seq increment so cars learn of it. The old epoch's key records stay as the
 * wipe's archive (R13) until the last credential of one of them has expired; the document lists the
 * epoch in `endedEpochs` for retention to find (server/vehicles/applyRetention.ts). Only its passkey
 * index is unlinked at once (server/keys/wipeVehicleKeys.ts).
 */
import type { VehicleRecord } from './vehicleRecord.js';

export type WipeReason = 'vehicle-removed' | 'subscription-ended' | 'usage-relinquished' | 'claimed-by-another' | 'dealer-revoked-all';

export function wipeAllKeys(vehicle: VehicleRecord, nowMs: number): VehicleRecord {
  // The ended epoch's revoked keys leave the manifest (the new epoch refuses every credential of the
  // old one); they are kept with the epoch so retention drops their index entries with the archive.
  const revoked = vehicle.revoked.length > 0 ? { revoked: vehicle.revoked } : {};
  const ended = [...(vehicle.endedEpochs ?? []), { epoch: vehicle.epoch, endedAt: nowMs, ...revoked }];
  return { ...vehicle, epoch: vehicle.epoch + 1, seq: vehicle.seq + 1, revoked: [], sharedKeys: 0, endedEpochs: ended };
}
