/**
 * R10: the charge that is due — a renewal (paid in advance for the next period), a trial's
 * conversion into the paid plan chosen during it, or a retry — written down as a charge intent
 * before the gateway is called. The idempotency key names the subscription, the period and the
 * attempt, so a crash between the charge and its commit never charges twice.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { priceCents } from './billingTerms.js';
import { isLive } from './subscriptionAccess.js';
import type { ChargeIntent } from './subscriptionRecord.js';
import { subscriptionsOf, withSubscriptions, type TransitionEnv } from './subscriptionTransition.js';

/** The idempotency key of a charge: subscription, period and attempt. */
export function chargeKey(subscriptionId: string, period: number, attempt: number): string {
  return `${subscriptionId}:p${period}:a${attempt}`;
}

/** The subscription and period a charge key names (null for a key of another shape). */
export function parseChargeKey(key: string): { subscriptionId: string; period: number; attempt: number } | null {
  const m = /^(.+):p(\d+):a(\d+)$/.exec(key);
  return m ? { subscriptionId: m[1]!, period: Number(m[2]), attempt: Number(m[3]) } : null;
}

/** The vehicle with the due charge's intent on its subscription (unchanged if one is already there or none is due). */
export function beginCharge(vehicle: VehicleRecord, card: ChargeIntent['card'], env: TransitionEnv): VehicleRecord {
  const sub = subscriptionsOf(vehicle).current;
  if (!isLive(sub) || sub.charging) return vehicle;
  const conversion = sub.plan === 'trial';
  if (conversion && !sub.next) return vehicle;
  const plan = conversion ? sub.next!.plan : sub.plan;
  if (plan === 'trial') return vehicle;
  const years = conversion ? sub.next!.years : sub.years;
  const period = sub.periodsPaid + 1;
  const attempt = sub.failedAttempts + 1;
  const charging: ChargeIntent = {
    key: chargeKey(sub.subscriptionId, period, attempt),
    purpose: conversion ? 'conversion' : 'renewal',
    accountId: sub.accountId,
    subscriptionId: sub.subscriptionId,
    amountCents: priceCents(env.terms, plan, years),
    currency: env.terms.currency,
    card,
    description: `${plan}${years ? ` (${years} years)` : ''} period ${period}${conversion ? ' after the trial' : ''}`,
    startedAt: env.nowMs,
  };
  return withSubscriptions(vehicle, (s) => ({ ...s, current: { ...sub, charging } }));
}
