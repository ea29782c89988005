/**
 * R10: the charge that is due — a renewal (paid in advance for the next period), a trial's
 * conversion into the paid plan chosen during it, or a retry — written down as a charge intent
 * before the gateway is called. The idempotency key names the subscription, the period and the
 * attempt, so a crash between the charge and its commit never charges twice.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { priceCents } from './billingTerms.js';
import { isLive } from './subscriptionAccess.js';
import type { ChargeIntent, LiveSubscription, PaidPlan } from '../domain/subscriptionRecord.js';
import { subscriptionsOf, withSubscriptions, type TransitionEnv } from './subscriptionTransition.js';

/** The idempotency key of a charge: subscription, period and attempt. */
export function chargeKey(subscriptionId: string, period: number, attempt: number): string {
  return `${subscriptionId}:p${period}:a${attempt}`;
}

/** The subscription and period a charge key names (null for a key of another shape). */
export function parseChargeKey(key: string): { subscriptionId: string; period: number; attempt: number } | null {
  const [, subscriptionId, period, attempt] = /^(.+):p(\d+):a(\d+)$/.exec(key) ?? [];
  return subscriptionId === undefined ? null : { subscriptionId, period: Number(period), attempt: Number(attempt) };
}

/** What the next charge of a running subscription pays for: the paid plan queued after a trial (a conversion), the running paid plan, or nothing (a trial with no plan queued). */
export function planToCharge(sub: LiveSubscription): { plan: PaidPlan; years: number | undefined; conversion: boolean } | null {
  if (sub.plan === 'trial') return sub.next ? { plan: sub.next.plan, years: sub.next.years, conversion: true } : null;
  return { plan: sub.plan, years: sub.years, conversion: false };
}

/** The vehicle with the due charge's intent on its subscription (unchanged if one is already there or none is due). */
export function beginCharge(vehicle: VehicleRecord, card: ChargeIntent['card'], env: TransitionEnv): VehicleRecord {
  const sub = subscriptionsOf(vehicle).current;
  if (!isLive(sub) || sub.charging) return vehicle;
  const charged = planToCharge(sub);
  if (!charged) return vehicle;
  const { plan, years, conversion } = charged;
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
