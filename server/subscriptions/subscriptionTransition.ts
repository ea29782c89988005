/**
 * The shape every subscription rule returns: the next vehicle document, and whether the change
 * ends the subscription so every key must be wiped in the same commit (R4b). Rules are pure
 * functions of the vehicle document, the time and the terms; ids come from `env.newId` so a rule
 * re-run on a fresher document (a lost commit race) stays a pure function of its inputs.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import type { BillingTerms } from './billingTerms.js';
import { NO_SUBSCRIPTIONS, type BillingEffect, type EndReason, type PaymentEntry, type VehicleSubscriptions } from '../domain/subscriptionRecord.js';

export interface TransitionEnv {
  nowMs: number;
  terms: BillingTerms;
  newId: () => string;
}

export interface Transition {
  vehicle: VehicleRecord;
  /** R4b: the subscription ends in this change; wipe every key of the vehicle in the same commit. */
  wipe?: { cause: EndReason; note: string };
}

export function subscriptionsOf(vehicle: VehicleRecord): VehicleSubscriptions {
  return vehicle.subscriptions ?? NO_SUBSCRIPTIONS;
}

export function withSubscriptions(vehicle: VehicleRecord, change: (state: VehicleSubscriptions) => VehicleSubscriptions): VehicleRecord {
  return { ...vehicle, subscriptions: change(subscriptionsOf(vehicle)) };
}

/** A ledger line to append once the change commits. */
export function ledgerEffect(env: TransitionEnv, entry: Omit<PaymentEntry, 'id' | 'at'>): BillingEffect {
  const id = env.newId();
  return { kind: 'ledger', id, at: env.nowMs, entry: { id, at: env.nowMs, ...entry } };
}
