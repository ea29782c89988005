/**
 * Revoke one key: it leaves the vehicle's keys, and its id joins the manifest's `revoked` list until
 * its last credential could have expired (`until`), then drops out (manifestClaims.ts). The seq
 * grows so cars learn of it. Entries already past their `until` are pruned on the way.
 */
import type { DigitalKey, VehicleRecord } from './vehicleRecord.js';

export function revokeKey(vehicle: VehicleRecord, key: DigitalKey, opts: { nowSeconds: number; credentialTtlSeconds: number; skewSeconds: number }): VehicleRecord {
  const until = Math.min(opts.nowSeconds + opts.credentialTtlSeconds, key.notAfter ?? Number.MAX_SAFE_INTEGER) + opts.skewSeconds;
  return {
    ...vehicle,
    seq: vehicle.seq + 1,
    revoked: [...vehicle.revoked.filter((r) => r.until > opts.nowSeconds && r.keyId !== key.keyId), { keyId: key.keyId, until }],
    sharedKeys: vehicle.sharedKeys - (key.role === 'shared' ? 1 : 0),
  };
}
