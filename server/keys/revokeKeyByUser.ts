/**
 * A user revokes one key of a vehicle (R3): the main user any key, a shared user only their own
 * (anyone else is told the key does not exist). Audited as the main or shared user (R13). When
 * the main user revokes someone else's key, its holder is told — a notice recorded in the
 * revocation's own commit, so a crash after the commit cannot lose it. Revoking a key again (a retry
 * after a crash) answers as done and publishes the state again.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import type { NoticeEffect } from '../domain/subscriptionRecord.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import { keyRevokedByMainUserText } from '../notifications/noticeTexts.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';
import { revokeVehicleKey, type RevokeVehicleKeyDeps } from './revokeVehicleKey.js';

export type RevokeKeyByUserDeps = RevokeVehicleKeyDeps & { gate: Pick<SubscriptionGate, 'expectFollowUps' | 'runFollowUps'> };

export interface RevokeKeyByUserOpts {
  vin: Vin;
  keyId: KeyId;
  /** The caller. */
  accountId: AccountId;
}

export interface RevokeKeyByUserResult {
  keyId: KeyId;
  vehicle: VehicleRecord;
}

/** What the holder of a key the main user revoked is told (a pending effect of the revocation's commit). */
export function keyRevokedNotice(vin: Vin, key: DigitalKey, nowMs: number): NoticeEffect {
  return {
    kind: 'notify',
    id: `key-revoked:${key.keyId}`,
    at: nowMs,
    accountId: key.accountId,
    notice: { kind: 'key-revoked', ...keyRevokedByMainUserText(vin), data: { vin, keyId: key.keyId, by: 'main-user' } },
  };
}

export async function revokeKeyByUser(deps: RevokeKeyByUserDeps, opts: RevokeKeyByUserOpts): Promise<RevokeKeyByUserResult> {
  const me = opts.accountId;
  await deps.gate.expectFollowUps(opts.vin);
  try {
    const { vehicle, key } = await revokeVehicleKey(deps, {
      vin: opts.vin,
      keyId: opts.keyId,
      actor: (v) => ({ accountId: me, role: v.mainUser?.accountId === me ? 'main' : 'shared' }),
      reason: 'revoked-by-user',
      authorize: (v, k) => {
        // R3: shared users manage no other key.
        if (v.mainUser?.accountId !== me && k.accountId !== me) throw new DigitalKeyError('KEY_NOT_FOUND');
      },
      notice: (k) => (k.accountId === me ? null : keyRevokedNotice(opts.vin, k, deps.clock.now())),
    });
    await deps.gate.runFollowUps(opts.vin);
    return { keyId: key.keyId, vehicle };
  } catch (err) {
    if (!(err instanceof DigitalKeyError && err.code === 'KEY_NOT_FOUND')) throw err;
    // A repeated revocation (its first try's process may have stopped after the commit): done
    // already, for whoever could revoke it — answered as done, and the state published again.
    const vehicle = await deps.vehicles.get(opts.vin);
    const entry = vehicle.revoked.find((r) => r.keyId === opts.keyId);
    if (!entry || (vehicle.mainUser?.accountId !== me && entry.holder !== me)) throw err;
    await deps.manifests.publish(vehicle);
    await deps.gate.runFollowUps(opts.vin);
    return { keyId: opts.keyId, vehicle };
  }
}
