/**
 * Claim a vehicle as its main user (R2). A claim by another account — a shared user included —
 * wipes every key in the same commit as the new main user (R4d), ends the previous main user's
 * subscription with their tenure (R4b), and tells the previous main user their access ended (R12).
 * A wrong odometer reading is counted (committed), then refused.
 *
 * @example
 * const { wiped } = await claimVehicle(deps, { vin, accountId, proof: { method: 'qr', qrToken }, acceptTerms: true });
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { claimOutcome, type ClaimProof } from '../domain/claimOutcome.js';
import { withPendingNotice } from '../domain/pendingNotice.js';
import type { NoticeEffect } from '../domain/subscriptionRecord.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { wipeWrites } from '../keys/wipeVehicleKeys.js';
import { claimedByAnotherText } from '../notifications/noticeTexts.js';
import type { Notification } from '../notifications/outbox.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';
import { rememberClaim } from './accountVehicles.js';

export type ClaimVehicleDeps = Pick<AppContext, 'vehicles' | 'accounts' | 'manifests' | 'clock' | 'config' | 'store' | 'metrics'> & {
  gate: SubscriptionGate;
};

export interface ClaimVehicleOpts {
  vin: Vin;
  accountId: AccountId;
  proof: ClaimProof;
  acceptTerms: boolean;
}

export interface ClaimVehicleResult {
  vin: Vin;
  role: 'main';
  /** Whether every key was wiped (R4d): the claim replaced another main user. */
  wiped: boolean;
  /** The main user whose access the claim ended (R12), if any. */
  previousMainUser: AccountId | null;
}

/** R12: what the previous main user is told when another account's claim ends their access. */
export function claimedByAnotherNotice(vin: Vin): Omit<Notification, 'id' | 'at' | 'accountId'> {
  return {
    kind: 'vehicle-claimed-by-another',
    ...claimedByAnotherText(vin),
    data: { vin },
  };
}

/** R12's notice as a pending effect of the claim's commit; its id names the claim (the epoch it started), so it is sent once. */
export function claimNoticeEffect(vin: Vin, previousMainUser: AccountId, epoch: number, nowMs: number): NoticeEffect {
  return { kind: 'notify', id: `claimed-by-another:${vin}:${epoch}`, at: nowMs, accountId: previousMainUser, notice: claimedByAnotherNotice(vin) };
}

export async function claimVehicle(deps: ClaimVehicleDeps, opts: ClaimVehicleOpts): Promise<ClaimVehicleResult> {
  const { vin, accountId } = opts;
  const decide = (current: VehicleRecord) =>
    claimOutcome(current, {
      accountId,
      proof: opts.proof,
      acceptTerms: opts.acceptTerms,
      nowMs: deps.clock.now(),
      odometerToleranceKm: deps.config.ODOMETER_TOLERANCE_KM,
    });
  // Only a claim that would succeed and replace a main user schedules the subscription release.
  const preview = decide(await deps.vehicles.get(vin));
  if (preview.kind === 'claimed' && preview.previousMainUser) await deps.gate.beforeMainUserLeaves(vin);
  // The account's list of vehicles (GET /v1/me/vehicles): written first, checked against the vehicle when read.
  if (preview.kind === 'claimed') await rememberClaim(deps, accountId, vin);
  const { vehicle, result } = await deps.vehicles.update(vin, (current) => {
    const outcome = decide(current);
    if (outcome.kind === 'rejected' || !outcome.wiped) return { vehicle: outcome.vehicle, result: outcome };
    // R4d: a claim by another account wipes every key, in the same commit as the new main user.
    const writes = wipeWrites(deps, current, outcome.vehicle, {
      reason: 'claimed-by-another',
      actor: { accountId, role: 'claimant' },
      detail: { previousMainUser: outcome.previousMainUser },
    });
    // R4b: the previous main user's subscription ends in the same commit (it is not transferable).
    // R12: the previous main user is told; the notice is part of this commit, so no crash can lose it.
    const { previousMainUser } = outcome;
    const told = previousMainUser ? withPendingNotice(outcome.vehicle, claimNoticeEffect(vin, previousMainUser, outcome.vehicle.epoch, deps.clock.now())) : outcome.vehicle;
    return { vehicle: deps.gate.mainUserLeaves(told, 'main-user-changed'), writes, result: outcome };
  });
  // The wrong odometer reading is counted (committed above), then refused.
  if (result.kind === 'rejected') throw new DigitalKeyError('CLAIM_REJECTED');
  if (result.wiped) deps.metrics.keysWiped('claimed-by-another');
  // Published after every claim, a repeated one too: a claim whose process stopped after its commit
  // is completed by its retry (cars take only a newer seq, so publishing again is harmless).
  await deps.manifests.publish(vehicle);
  // R12's notice and the previous main user's refund, recorded in the commit: delivered now (or by
  // the scheduler, which has the vehicle filed as due since before the commit).
  await deps.gate.runFollowUps(vin);
  return { vin, role: 'main', wiped: result.wiped, previousMainUser: result.previousMainUser };
}
