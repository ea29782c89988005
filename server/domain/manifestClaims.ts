/**
 * The state manifest of a vehicle at a moment: its seq and epoch, and the revoked keys whose
 * credentials could still be unexpired (the rest have dropped out — they can no longer verify).
 */
import type { StateManifestClaims } from '../../shared/credential/stateManifest.js';
import type { VehicleRecord } from './vehicleRecord.js';

export interface ManifestClaimsOpts {
  issuer: string;
  vehicle: VehicleRecord;
  nowSeconds: number;
}

export function manifestClaims(opts: ManifestClaimsOpts): StateManifestClaims {
  return {
    iss: opts.issuer,
    aud: opts.vehicle.vin,
    iat: opts.nowSeconds,
    seq: opts.vehicle.seq,
    ep: opts.vehicle.epoch,
    revoked: opts.vehicle.revoked.filter((r) => r.until > opts.nowSeconds).map((r) => r.keyId),
  };
}
