/**
 * What time-driven work a vehicle's subscription has, and when (R9, R10, R11, R4b): a first charge
 * to resume, a renewal or a trial's conversion to charge, a retry, an end to carry out (trial over,
 * not renewed, cancellation taking effect), a subscription to release because its payer is no
 * longer the main user or Standard Services ended, and follow-up effects (refunds, ledger lines,
 * notices). Pure: the scheduler indexes `nextDueAt` and runs `dueAction` when it comes.
 */
import { nextRetentionAt } from '../domain/archiveRetention.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { cancelAtOf, isLive, renews } from './subscriptionAccess.js';
import type { ChargeIntent, EndReason } from '../domain/subscriptionRecord.js';

export type DueAction =
  | { kind: 'charge' }
  | { kind: 'end'; reason: Extract<EndReason, 'trial-over' | 'not-renewed' | 'cancelled'> }
  | { kind: 'release'; reason: Extract<EndReason, 'main-user-changed' | 'standard-services-ended'> };

/** A charge intent left by a crashed or failed gateway call is resumed this long after it was made. */
export const CHARGE_RESUME_MS = 60_000;

/** When a charge in flight is resumed (same idempotency key): once whoever made it had time to finish, then with a backoff while the gateway does not answer. */
export function chargeResumeAt(intent: ChargeIntent): number {
  return intent.resumeAt ?? intent.startedAt + CHARGE_RESUME_MS;
}

function releaseReason(vehicle: VehicleRecord): Extract<DueAction, { kind: 'release' }>['reason'] | null {
  const sub = vehicle.subscriptions?.current;
  if (!sub || sub.status === 'ended') return null;
  if (vehicle.mainUser?.accountId !== sub.accountId) return 'main-user-changed';
  if (!vehicle.standardServices.active) return 'standard-services-ended';
  return null;
}

/** The action due on this vehicle's subscription at `nowMs`, or null. */
export function dueAction(vehicle: VehicleRecord, nowMs: number): DueAction | null {
  const sub = vehicle.subscriptions?.current;
  if (!sub || sub.status === 'ended') return null;
  const release = releaseReason(vehicle);
  if (release && !sub.charging) return { kind: 'release', reason: release };
  // A charge in flight is resumed (same idempotency key) only once whoever made it had time to finish.
  if (sub.charging) return chargeResumeAt(sub.charging) <= nowMs ? { kind: 'charge' } : null;
  if (!isLive(sub)) return null;
  const cancelAt = cancelAtOf(sub);
  if (cancelAt !== undefined) return cancelAt <= nowMs ? { kind: 'end', reason: 'cancelled' } : null;
  if (sub.status === 'past-due') {
    // Auto-renewal turned off while the renewal was being retried: the unpaid period is not wanted.
    if (!renews(sub)) return { kind: 'end', reason: 'not-renewed' };
    return sub.retryAt <= nowMs ? { kind: 'charge' } : null;
  }
  if (sub.periodEnd > nowMs) return null;
  if (renews(sub)) return { kind: 'charge' };
  return { kind: 'end', reason: sub.plan === 'trial' ? 'trial-over' : 'not-renewed' };
}

/** When the next time-driven work on this vehicle is due (a past instant: now), or null if none; retention's included (archiveRetention.ts). */
export function nextDueAt(vehicle: VehicleRecord): number | null {
  const state = vehicle.subscriptions;
  const times: number[] = (state?.effects ?? []).map((e) => e.at);
  const retention = nextRetentionAt(vehicle);
  if (retention !== null) times.push(retention);
  const sub = state?.current;
  if (sub && sub.status !== 'ended') {
    if (sub.charging) times.push(chargeResumeAt(sub.charging));
    else if (releaseReason(vehicle)) times.push(0);
    else if (sub.status === 'active' && sub.cancelAt !== undefined) times.push(sub.cancelAt);
    else if (sub.status === 'past-due') times.push(renews(sub) ? sub.retryAt : 0);
    else if (sub.status === 'active') times.push(sub.periodEnd);
  }
  return times.length === 0 ? null : Math.min(...times);
}
