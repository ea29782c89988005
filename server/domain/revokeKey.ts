/**
 * Revoke one key: it leaves the vehicle's keys, and its id joins the manifest's `revoked` list until
 * its last credential could have expired (`until`), then drops out (manifestClaims.ts). The seq
 * grows so cars learn of it. Entries already past their `until` are pruned on the way.
 */
import { MAX_CREDENTIAL_LIFETIME_SECONDS } from '../../shared/credential/keyCredential.js';
import type { DigitalKey, VehicleRecord } from './vehicleRecord.js';

/**
 * When the last credential of a key could stop verifying: a credential signed now may start at the
 * key's `notBefore` (a window in the future) and lives at most MAX_CREDENTIAL_LIFETIME_SECONDS — the
 * cap every verifier enforces, so a TTL lowered after issuance cannot shorten it — and never past
 * the key's `notAfter`.
 */
export function lastCredentialExpiry(key: DigitalKey, nowSeconds: number): number {
  const latestStart = Math.max(nowSeconds, key.notBefore ?? nowSeconds);
  return Math.min(latestStart + MAX_CREDENTIAL_LIFETIME_SECONDS, key.notAfter ?? Number.MAX_SAFE_INTEGER);
}

export interface RevokeKeyOpts {
  nowSeconds: number;
  /** The clock skew verifiers accept: the key stays listed that much longer. */
  skewSeconds: number;
}

export function revokeKey(vehicle: VehicleRecord, key: DigitalKey, opts: RevokeKeyOpts): VehicleRecord {
  const until = lastCredentialExpiry(key, opts.nowSeconds) + opts.skewSeconds;
  return {
    ...vehicle,
    seq: vehicle.seq + 1,
    // Entries past their `until` stay for retention to drop together with their keys' indexes (applyRetention.ts).
    revoked: [...vehicle.revoked.filter((r) => r.keyId !== key.keyId), { keyId: key.keyId, until, holder: key.accountId, passkey: key.passkeyId }],
    sharedKeys: vehicle.sharedKeys - (key.role === 'shared' ? 1 : 0),
  };
}
