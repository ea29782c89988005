/**
 * Retention of a vehicle's key records (issue 11), run by the scheduler when the due index says so
 * (the vehicle document's `nextDueAt` counts retention in). Two things go once no credential they
 * concern can verify any more:
 * - a wiped epoch's archive (its key records, kept meanwhile as the record of what was wiped): the
 *   keys' ids are written to the audit trail (R13, an `archive-dropped` entry in the same commit),
 *   then the archive is unlinked and the epoch leaves `endedEpochs`; WIPED_EPOCH_RETENTION keeps it longer;
 * - a revoked key's entry in the manifest state (`revoked`), once past its `until`.
 * With either go the key's other index entries (its VIN and its entry in its passkey's record), which live in
 * other hash slots: they are dropped first, each idempotently, and the vehicle's own records last in
 * one commit under its hash tag (safe on Redis Cluster). A step cut short by a crash leaves the
 * document as it was, so the next run does it again; running twice drops nothing twice.
 */
import { epochSeconds } from '../../shared/clock.js';
import { DEFAULT_SKEW_SECONDS } from '../../shared/credential/keyCredential.js';
import type { Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { archiveKeptUntil } from '../domain/archiveRetention.js';
import type { EndedEpoch, VehicleRecord } from '../domain/vehicleRecord.js';
import { ARCHIVE_DROPPED, ARCHIVE_DROPPED_REASON } from './auditTrail.js';

export type ApplyRetentionDeps = Pick<AppContext, 'vehicles' | 'clock' | 'config'>;

export interface ApplyRetentionResult {
  /** Wiped epochs whose archive was dropped. */
  archivesDropped: number[];
  /** Revoked keys that left the manifest state. */
  revocationsDropped: number;
}

export async function applyRetention(ctx: ApplyRetentionDeps, vin: Vin): Promise<ApplyRetentionResult> {
  const result: ApplyRetentionResult = { archivesDropped: [], revocationsDropped: 0 };
  const vehicle = await ctx.vehicles.find(vin);
  if (!vehicle) return result;
  const nowSeconds = epochSeconds(ctx.clock);
  for (const ended of vehicle.endedEpochs ?? []) {
    if (await dropArchive(ctx, vin, ended, nowSeconds)) result.archivesDropped.push(ended.epoch);
  }
  result.revocationsDropped = await dropExpiredRevocations(ctx, vehicle, nowSeconds);
  return result;
}

async function dropArchive(ctx: ApplyRetentionDeps, vin: Vin, ended: EndedEpoch, nowSeconds: number): Promise<boolean> {
  if (ended.until !== undefined && ended.until > nowSeconds) return false;
  const keys = await ctx.vehicles.keys(vin, ended.epoch);
  const until = archiveKeptUntil(ended, keys, { skewSeconds: DEFAULT_SKEW_SECONDS, retentionSeconds: ctx.config.WIPED_EPOCH_RETENTION });
  if (until > nowSeconds) {
    // Not yet: note exactly when, so the due index files the vehicle then.
    await ctx.vehicles.update(vin, (v) => ({ vehicle: { ...v, endedEpochs: (v.endedEpochs ?? []).map((e) => (e.epoch === ended.epoch ? { ...e, until } : e)) }, result: null }));
    return false;
  }
  await ctx.vehicles.unindexKeys([
    ...keys.map((k) => ({ vin, keyId: k.keyId, passkeyId: k.passkeyId })),
    ...(ended.revoked ?? []).map((r) => ({ vin, keyId: r.keyId, passkeyId: r.passkey })),
  ]);
  const { result } = await ctx.vehicles.update(vin, (v) => {
    if (!(v.endedEpochs ?? []).some((e) => e.epoch === ended.epoch)) return { vehicle: v, result: false };
    const rest = (v.endedEpochs ?? []).filter((e) => e.epoch !== ended.epoch);
    const { endedEpochs: _dropped, ...withoutEnded } = v;
    return {
      vehicle: rest.length > 0 ? { ...withoutEnded, endedEpochs: rest } : withoutEnded,
      writes: {
        ...ctx.vehicles.archiveRemovalWrites(vin, ended.epoch),
        // R13: the wipe's entry names the epoch; from now on this entry names its keys.
        ...ctx.vehicles.auditWrite({
            at: ctx.clock.now(),
            vin,
            action: ARCHIVE_DROPPED,
            actor: { accountId: null, role: 'system' },
            reason: ARCHIVE_DROPPED_REASON,
            keyIds: keys.map((k) => k.keyId),
            wipedEpoch: ended.epoch,
            epoch: v.epoch,
            seq: v.seq,
          }),
      },
      result: true,
    };
  });
  return result;
}

async function dropExpiredRevocations(ctx: ApplyRetentionDeps, vehicle: VehicleRecord, nowSeconds: number): Promise<number> {
  const expired = vehicle.revoked.filter((r) => r.until <= nowSeconds);
  if (expired.length === 0) return 0;
  await ctx.vehicles.unindexKeys(expired.map((r) => ({ vin: vehicle.vin, keyId: r.keyId, passkeyId: r.passkey })));
  // The manifest does not change (expired entries are left out of it already): no seq increment.
  const { result } = await ctx.vehicles.update(vehicle.vin, (v) => {
    const kept = v.revoked.filter((r) => r.until > nowSeconds);
    return { vehicle: { ...v, revoked: kept }, result: v.revoked.length - kept.length };
  });
  return result;
}
