/**
 * R1, R4b: a digital key is issued, refreshed or accepted only while the vehicle has Standard
 * Services active and an active Smart Digital Key subscription (trial or paid) of its main user.
 * Decided from the vehicle document and the time alone, so a subscription whose end is fixed
 * (a trial running out, a cancellation taking effect, auto-renewal off) stops keys at that very
 * instant, even before the scheduler has processed the end and wiped the keys. A renewal whose
 * outcome stays unknown keeps the keys working only within R10's retry window: past it, it counts as
 * a failed attempt and the retries and the cancellation follow (unansweredCharge.ts).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import type { LiveSubscription, Subscription } from '../domain/subscriptionRecord.js';

/** Started and not ended: a trial or paid period runs (also while a renewal is retried). */
export function isLive(sub: Subscription | null | undefined): sub is LiveSubscription {
  return sub?.status === 'active' || sub?.status === 'past-due';
}

/** Whether the subscription continues past its period (renewal, or a trial's conversion to a paid plan). */
export function renews(sub: LiveSubscription): boolean {
  if (!sub.autoRenew || cancelAtOf(sub) !== undefined) return false;
  return sub.plan !== 'trial' || sub.next !== undefined;
}

/** The instant a live subscription is certain to end at, or null while it renews. */
export function fixedEnd(sub: LiveSubscription): number | null {
  return cancelAtOf(sub) ?? (renews(sub) ? null : sub.periodEnd);
}

/** R11: when a cancellation takes effect (only an active or an ended subscription can carry one). */
export function cancelAtOf(sub: Subscription): number | undefined {
  return sub.status === 'active' || sub.status === 'ended' ? sub.cancelAt : undefined;
}

/** Why keys are not allowed on this vehicle now, or null when they are (R1 first, then the subscription). */
export function keysRefusal(vehicle: VehicleRecord, nowMs: number): 'STANDARD_SERVICES_INACTIVE' | 'SUBSCRIPTION_INACTIVE' | null {
  if (!vehicle.standardServices.active) return 'STANDARD_SERVICES_INACTIVE';
  const sub = vehicle.subscriptions?.current;
  if (!isLive(sub)) return 'SUBSCRIPTION_INACTIVE';
  // Not transferable: only the main user's own subscription counts.
  if (vehicle.mainUser?.accountId !== sub.accountId) return 'SUBSCRIPTION_INACTIVE';
  const end = fixedEnd(sub);
  if (end !== null && nowMs >= end) return 'SUBSCRIPTION_INACTIVE';
  return null;
}

/**
 * R1, R4b: throws SUBSCRIPTION_INACTIVE (or STANDARD_SERVICES_INACTIVE) unless keys may be issued
 * or refreshed on this vehicle now.
 */
export function assertKeysAllowed(vehicle: VehicleRecord, nowMs: number): void {
  const refusal = keysRefusal(vehicle, nowMs);
  if (refusal) throw new DigitalKeyError(refusal);
}
