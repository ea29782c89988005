/**
 * R4: wipe every digital key of a vehicle, shared ones included, in one atomic commit: the epoch
 * grows by one (O(1) whatever the number of keys: every credential carries the old epoch and the
 * car refuses it with EPOCH_STALE), the manifest seq grows, and the audit entry (R13) naming the
 * wiped epoch is written in the same commit; the old epoch's key records stay as its archive. The new manifest is then
 * published to the cars.
 *
 * @example
 * // R4b, called by the subscriptions work when a subscription ends:
 * await wipeVehicleKeys(ctx, { vin, reason: 'subscription-ended', actor: { accountId: null, role: 'system' } });
 */
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import type { StoreTransaction } from '../store/store.js';
import { wipeAllKeys, type WipeReason } from '../domain/wipeAllKeys.js';
import { DueIndex } from '../subscriptions/dueIndex.js';
import { keyIdsOfEpoch, type AuditActorRole } from '../vehicles/auditTrail.js';

export type WipeVehicleKeysDeps = Pick<AppContext, 'vehicles' | 'manifests' | 'clock' | 'store' | 'metrics'>;

export interface WipeVehicleKeysOpts {
  vin: Vin;
  reason: WipeReason;
  actor: { accountId: AccountId | null; role: AuditActorRole };
  /** A free-text reason from a dealer or operator, kept in the audit entry. */
  note?: string;
  /** A rule to check, and other changes of the same commit (e.g. the main user leaving). */
  change?: (vehicle: VehicleRecord) => VehicleRecord;
  detail?: Record<string, unknown>;
}

export interface WipeVehicleKeysResult {
  vehicle: VehicleRecord;
  /** The epoch whose keys were wiped; its key records stay as the audit archive (R13). */
  wipedEpoch: number;
  /** The ids of the wiped keys, read from the archive (O(n): not part of the atomic wipe). */
  listWipedKeyIds(): Promise<KeyId[]>;
  /** The signed manifest the cars get. */
  manifest: string;
}

/**
 * The writes of a wipe from `before` to `after`, for rules that wipe as part of a larger change
 * (claims). O(1) whatever the number of keys: the old epoch's key records are not read or deleted
 * — no key can join an epoch that has ended, so they are the immutable archive of what was wiped,
 * and the audit entry names the epoch; only a passkey index of that epoch written by an earlier release is unlinked.
 */
export function wipeWrites(
  ctx: Pick<AppContext, 'clock' | 'vehicles'>,
  before: VehicleRecord,
  after: VehicleRecord,
  audit: { reason: string; actor: WipeVehicleKeysOpts['actor']; note?: string; detail?: Record<string, unknown> },
): StoreTransaction & { replicated: true } {
  return {
    // Acknowledged only once a replica has it (REDIS_WAIT_REPLICAS): a failover cannot undo a wipe.
    replicated: true,
    ...ctx.vehicles.epochEndWrites(before.vin, before.epoch),
    ...ctx.vehicles.auditWrite({
        at: ctx.clock.now(),
        vin: before.vin,
        action: 'wipe',
        actor: audit.actor,
        reason: audit.reason,
        keyIds: [],
        wipedEpoch: before.epoch,
        epoch: after.epoch,
        seq: after.seq,
        ...(audit.note || audit.detail ? { detail: { ...(audit.note ? { note: audit.note } : {}), ...audit.detail } } : {}),
      }),
  };
}

export async function wipeVehicleKeys(ctx: WipeVehicleKeysDeps, request: WipeVehicleKeysOpts): Promise<WipeVehicleKeysResult> {
  // Retention drops the wiped epoch's archive later (server/vehicles/applyRetention.ts): the vehicle
  // is filed in the due index before the commit, so a crash right after it loses nothing.
  await new DueIndex(ctx.store).add(request.vin, ctx.clock.now());
  const { before, vehicle } = await ctx.vehicles.update(request.vin, (current) => {
    const changed = request.change ? request.change(current) : current;
    const next = wipeAllKeys(changed, ctx.clock.now());
    const writes = wipeWrites(ctx, current, next, {
      reason: request.reason,
      actor: request.actor,
      ...(request.note !== undefined ? { note: request.note } : {}),
      ...(request.detail !== undefined ? { detail: request.detail } : {}),
    });
    return { vehicle: next, writes, result: null };
  });
  ctx.metrics.keysWiped(request.reason);
  const manifest = await ctx.manifests.publish(vehicle);
  return { vehicle, wipedEpoch: before.epoch, listWipedKeyIds: () => keyIdsOfEpoch(ctx.store, request.vin, before.epoch), manifest };
}
