/**
 * When a vehicle's retention work is due (issue 11): a wiped epoch's key records (its archive) are
 * kept until no credential of one of its keys can verify any more, plus WIPED_EPOCH_RETENTION; a
 * revoked key stays listed in the manifest until its `until`. After that both are dropped by
 * server/vehicles/applyRetention.ts. Pure functions of the records and a time.
 */
import { DEFAULT_SKEW_SECONDS, MAX_CREDENTIAL_LIFETIME_SECONDS } from '../../shared/credential/keyCredential.js';
import { lastCredentialExpiry } from './revokeKey.js';
import type { DigitalKey, EndedEpoch, VehicleRecord } from './vehicleRecord.js';

export interface ArchiveKeptUntilOpts {
  /** The clock skew verifiers accept. */
  skewSeconds: number;
  /** WIPED_EPOCH_RETENTION: how long the archive stays once its last credential expired. */
  retentionSeconds: number;
}

/**
 * Seconds after which the archive of `ended` may go: the latest moment a credential of one of its
 * keys (`keys`, read from the archive) or of a key revoked before the wipe could still verify, plus
 * the retention. No credential of the epoch is signed after the wipe, so its time bounds them all.
 */
export function archiveKeptUntil(ended: EndedEpoch, keys: DigitalKey[], opts: ArchiveKeptUntilOpts): number {
  const wipedAt = Math.floor(ended.endedAt / 1000);
  const expiries = [
    wipedAt,
    ...keys.map((k) => lastCredentialExpiry(k, wipedAt) + opts.skewSeconds),
    ...(ended.revoked ?? []).map((r) => r.until),
  ];
  return Math.max(...expiries) + opts.retentionSeconds;
}

/**
 * When retention should next look at this vehicle (ms), or null when there is nothing to drop. An
 * archive not looked at yet is first looked at when the longest credential of the epoch could have
 * ended (then `until` says exactly).
 */
export function nextRetentionAt(vehicle: VehicleRecord): number | null {
  const times = [
    ...vehicle.revoked.map((r) => r.until * 1000),
    ...(vehicle.endedEpochs ?? []).map((e) => (e.until !== undefined ? e.until * 1000 : e.endedAt + (MAX_CREDENTIAL_LIFETIME_SECONDS + DEFAULT_SKEW_SECONDS) * 1000)),
  ];
  return times.length === 0 ? null : Math.min(...times);
}
