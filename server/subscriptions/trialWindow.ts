/**
 * R9: the Smart Digital Key trial runs one year from the vehicle's first registration date — not
 * from the claim — so a second-hand buyer gets only what is left of it, and a vehicle gets it once,
 * whoever claims it: once given up (cancelled) or run out it never comes back (`trialUsed`).
 * The year ends at midnight UTC on the first registration's anniversary (a 29 February registration
 * ends on 28 February, by the month-end rule of billingCalendar.ts). A trial is never longer than a
 * year either: one started before the registration date (a car claimed before it was registered)
 * ends a year after its start, not a year after the registration.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { addMonths, utcDate } from './billingCalendar.js';

/** When the trial window of a vehicle closes (exclusive). */
export function trialEndsAt(firstRegistration: string): number {
  return addMonths(utcDate(firstRegistration), 12);
}

export interface TrialAvailability {
  available: boolean;
  /** When a trial started now would end: the end of the vehicle's trial window, or a year from now if sooner. */
  endsAt: number;
  /** Why it is not available. */
  reason?: 'used' | 'over';
}

/** R9: whether a trial can start now on this vehicle, and until when it would run. */
export function trialAvailability(vehicle: VehicleRecord, nowMs: number): TrialAvailability {
  const endsAt = Math.min(trialEndsAt(vehicle.firstRegistration), addMonths(nowMs, 12));
  if (vehicle.subscriptions?.trialUsed) return { available: false, endsAt, reason: 'used' };
  if (nowMs >= endsAt) return { available: false, endsAt, reason: 'over' };
  return { available: true, endsAt };
}
