/**
 * Start a subscription on a vehicle (R1, R9, R10), main user only, with Standard Services active:
 * - the trial, for what is left of the vehicle's trial window (R9), if the vehicle never used it;
 * - a paid plan, paid in advance: it starts `pending-payment` with its first charge intent, and
 *   becomes active once the charge succeeds (beginCharge.ts / applyChargeResult.ts);
 * - during a trial, a paid plan is queued to start — and be charged — when the trial ends (the
 *   terms' "convert the trial into a paid subscription"). Any other plan change while one runs is
 *   refused (R10: cancel first).
 * Auto-renewal is on by default (R10).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { assertStandardServices } from '../domain/standardServices.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { addMonths } from './billingCalendar.js';
import { chargeKey } from './beginCharge.js';
import { monthsPerPeriod, priceCents } from './billingTerms.js';
import { withdrawalDeadline } from './cancellationOutcome.js';
import { releaseSubscription } from './releaseSubscription.js';
import type { ChargeIntent, Plan, Subscription } from '../domain/subscriptionRecord.js';
import { subscriptionsOf, withSubscriptions, type TransitionEnv } from './subscriptionTransition.js';
import { trialAvailability } from './trialWindow.js';

export interface StartRequest {
  accountId: AccountId;
  plan: Plan;
  years?: number;
  /** The payer's primary card (R10: only it is charged), or null if they have none. */
  card: ChargeIntent['card'];
}

export interface StartOutcome {
  vehicle: VehicleRecord;
  /** `trial` started, a paid plan `pending` its first charge, or `queued` after the running trial. */
  started: 'trial' | 'pending' | 'queued';
}

export function startSubscription(vehicle: VehicleRecord, request: StartRequest, env: TransitionEnv): StartOutcome {
  assertMainUser(vehicle, request.accountId);
  assertStandardServices(vehicle);
  let base = vehicle;
  const existing = subscriptionsOf(vehicle).current;
  // A subscription of a previous main user is never taken over (not transferable): it ends here.
  if (existing && existing.status !== 'ended' && existing.accountId !== request.accountId) {
    base = releaseSubscription(vehicle, { reason: 'main-user-changed', wipe: false }, env).vehicle;
  }
  const current = subscriptionsOf(base).current;
  const running = current && current.status !== 'ended' ? current : null;

  if (running) {
    // R10: no plan change while one runs, except choosing the paid plan that follows a trial.
    if (request.plan === 'trial' || running.status !== 'active' || running.plan !== 'trial' || running.next || running.cancelAt !== undefined) {
      throw new DigitalKeyError('SUBSCRIPTION_EXISTS');
    }
    if (!request.card) throw new DigitalKeyError('PAYMENT_METHOD_REQUIRED');
    monthsPerPeriod(request.plan, request.years);
    const next = { plan: request.plan, ...(request.years !== undefined ? { years: request.years } : {}), requestedAt: env.nowMs };
    return { vehicle: withSubscriptions(base, (s) => ({ ...s, current: { ...running, next, autoRenew: true } })), started: 'queued' };
  }

  const common = {
    subscriptionId: env.newId(),
    accountId: request.accountId,
    createdAt: env.nowMs,
    anchor: env.nowMs,
    periodStart: env.nowMs,
    periodsPaid: 0,
    autoRenew: true,
    failedAttempts: 0,
    refundedCents: 0,
  };

  if (request.plan === 'trial') {
    // R9: a year from the first registration, once per vehicle; a second-hand buyer gets what is left.
    const trial = trialAvailability(base, env.nowMs);
    if (!trial.available) {
      throw new DigitalKeyError('TRIAL_UNAVAILABLE', trial.reason === 'used' ? 'this vehicle has already used its trial' : `the trial of this vehicle ended on ${new Date(trial.endsAt).toISOString()}`);
    }
    const sub: Subscription = { ...common, plan: 'trial', status: 'active', periodEnd: trial.endsAt };
    return { vehicle: withSubscriptions(base, (s) => ({ ...s, current: sub })), started: 'trial' };
  }

  // R10: paid in advance — the first period is charged before the subscription is active.
  if (!request.card) throw new DigitalKeyError('PAYMENT_METHOD_REQUIRED');
  const months = monthsPerPeriod(request.plan, request.years);
  const charging: ChargeIntent = {
    key: chargeKey(common.subscriptionId, 1, 1),
    purpose: 'first',
    accountId: request.accountId,
    subscriptionId: common.subscriptionId,
    amountCents: priceCents(env.terms, request.plan, request.years),
    currency: env.terms.currency,
    card: request.card,
    description: `${request.plan}${request.years ? ` (${request.years} years)` : ''} period 1`,
    startedAt: env.nowMs,
  };
  const sub: Subscription = {
    ...common,
    plan: request.plan,
    ...(request.years !== undefined ? { years: request.years } : {}),
    status: 'pending-payment',
    periodEnd: addMonths(env.nowMs, months),
    withdrawalUntil: withdrawalDeadline(env.nowMs, env.terms.timeZone),
    charging,
  };
  return { vehicle: withSubscriptions(base, (s) => ({ ...s, current: sub })), started: 'pending' };
}
