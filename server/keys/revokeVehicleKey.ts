/**
 * Revoke one key of a vehicle in one commit (key records, manifest state and the R13 audit entry),
 * then publish the new manifest to the cars. Who may revoke which key is the caller's `authorize`.
 */
import { epochSeconds } from '../../shared/clock.js';
import { DEFAULT_SKEW_SECONDS } from '../../shared/credential/keyCredential.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { revokeKey } from '../domain/revokeKey.js';
import { withPendingNotice } from '../domain/pendingNotice.js';
import type { NoticeEffect } from '../domain/subscriptionRecord.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import { DueIndex } from '../subscriptions/dueIndex.js';
import type { AuditActorRole } from '../vehicles/auditTrail.js';

type AuditActor = { accountId: AccountId | null; role: AuditActorRole };

export type RevokeVehicleKeyDeps = Pick<AppContext, 'vehicles' | 'manifests' | 'clock' | 'metrics' | 'store'>;

export interface RevokeVehicleKeyOpts {
  vin: Vin;
  keyId: KeyId;
  /** Who revokes; a function when the role depends on the vehicle and the key (main or shared user). */
  actor: AuditActor | ((vehicle: VehicleRecord, key: DigitalKey) => AuditActor);
  reason: string;
  /** Throws when this caller may not revoke this key (run on the fresh document, in the commit). */
  authorize: (vehicle: VehicleRecord, key: DigitalKey) => void;
  /** A notice the revocation owes (its holder told), recorded in the same commit (withPendingNotice). */
  notice?: (key: DigitalKey) => NoticeEffect | null;
}

export interface RevokeVehicleKeyResult {
  vehicle: VehicleRecord;
  key: DigitalKey;
  /** The signed manifest the cars get. */
  manifest: string;
}

export async function revokeVehicleKey(ctx: RevokeVehicleKeyDeps, opts: RevokeVehicleKeyOpts): Promise<RevokeVehicleKeyResult> {
  // Retention drops the revocation's entry once the key's credentials expired (server/vehicles/
  // applyRetention.ts): the vehicle is filed in the due index before the commit (crash-safe).
  await new DueIndex(ctx.store).add(opts.vin, ctx.clock.now());
  const { vehicle, result: key } = await ctx.vehicles.update(opts.vin, async (current) => {
    const key = await ctx.vehicles.key(opts.vin, current.epoch, opts.keyId);
    if (!key) throw new DigitalKeyError('KEY_NOT_FOUND');
    opts.authorize(current, key);
    const actor = typeof opts.actor === 'function' ? opts.actor(current, key) : opts.actor;
    const revoked = revokeKey(current, key, { nowSeconds: epochSeconds(ctx.clock), skewSeconds: DEFAULT_SKEW_SECONDS });
    const notice = opts.notice?.(key) ?? null;
    const next = notice ? withPendingNotice(revoked, notice) : revoked;
    return {
      vehicle: next,
      writes: {
        // Acknowledged only once a replica has it (REDIS_WAIT_REPLICAS): a failover cannot undo a revocation.
        replicated: true,
        ...ctx.vehicles.keyRemovalWrites(key),
        ...ctx.vehicles.auditWrite({ at: ctx.clock.now(), vin: opts.vin, action: 'revoke', actor, reason: opts.reason, keyIds: [key.keyId], epoch: next.epoch, seq: next.seq, detail: { role: key.role, passkeyId: key.passkeyId, holder: key.accountId } }),
      },
      result: key,
    };
  });
  ctx.metrics.keyRevoked(opts.reason);
  return { vehicle, key, manifest: await ctx.manifests.publish(vehicle) };
}
