/**
 * Apply the gateway's answer to a charge intent (R10, R11, R4b). Only the intent that is still on
 * the subscription is applied, once:
 * - succeeded: the period it paid for starts (a first period, the paid plan after a trial, or the
 *   next period from the billing anchor); a renewal that had failed is back to active;
 * - declined or failed: a first charge ends the pending subscription; a renewal is retried a retry
 *   interval later (two retries over the next two days), and the third failure cancels the
 *   subscription and wipes every key (R4b). The payer is told after each failure and at the
 *   cancellation (R10).
 * An answer for an intent that is no longer current (the subscription was cancelled or ended while
 * the charge was under way) changes nothing, except that money taken for it is refunded in full to
 * the account that paid — unless it paid a period that is paid (it was applied already).
 * Every charge attempt becomes a ledger line.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { parseChargeKey, planToCharge } from './beginCharge.js';
import { addMonths, DAY_MS } from './billingCalendar.js';
import { paymentFailedNotice, paymentRecoveredNotice } from './billingNotices.js';
import { CHARGE_ATTEMPTS, monthsPerPeriod } from './billingTerms.js';
import { WITHDRAWAL_DAYS, withdrawalDeadline } from './cancellationOutcome.js';
import { endSubscription } from './endSubscription.js';
import type { ChargeResult } from './paymentGateway.js';
import { withEffects, subscriptionBase, type ActiveSubscription, type BillingEffect, type ChargeIntent, type ChargeRecord, type LiveSubscription, type PendingSubscription, type Subscription } from '../domain/subscriptionRecord.js';
import { unneededChargeRefund } from './unneededCharge.js';
import { ledgerEffect, subscriptionsOf, withSubscriptions, type Transition, type TransitionEnv } from './subscriptionTransition.js';

function chargeLine(env: TransitionEnv, intent: ChargeIntent, result: ChargeResult): BillingEffect {
  return ledgerEffect(env, {
    accountId: intent.accountId,
    subscriptionId: intent.subscriptionId,
    kind: 'charge',
    status: result.status,
    amountCents: intent.amountCents,
    currency: intent.currency,
    description: intent.description,
    cardId: intent.card?.cardId ?? null,
    last4: intent.card?.last4 ?? null,
    ...(result.status === 'succeeded' ? { reference: result.chargeId } : { failure: result.failure }),
  });
}

/**
 * Whether a successful answer for an intent that is no longer current was applied already: it paid
 * a period of the current subscription that is paid (another instance applied the same answer,
 * which the provider replays for the same idempotency key). A charge for that period that was *not*
 * applied — an attempt counted as failed while its outcome was unknown — is refunded by that
 * attempt's reconcile effect (unneededCharge.ts).
 */
function alreadyApplied(sub: Subscription, intent: ChargeIntent, chargeId: string): boolean {
  if (sub.lastCharge?.chargeId === chargeId) return true;
  const paid = parseChargeKey(intent.key);
  return paid !== null && paid.subscriptionId === sub.subscriptionId && paid.period <= sub.periodsPaid;
}

/** The subscription a successful charge leaves: the period it paid for runs (the intent, a retry time and a queued plan go). */
function paidSubscription(sub: PendingSubscription | LiveSubscription, intent: ChargeIntent, lastCharge: ChargeRecord, env: TransitionEnv): { next: ActiveSubscription; usesTrial: boolean } {
  const paid = { ...subscriptionBase(sub), status: 'active' as const, failedAttempts: 0, lastCharge, refundedCents: 0 };
  if (intent.purpose === 'first' || sub.status === 'pending-payment') return { next: { ...paid, periodsPaid: 1 }, usesTrial: false };
  const { withdrawalUntil: _w, ...base } = paid;
  if (intent.purpose === 'conversion' && sub.next) {
    // The paid plan chosen during the trial starts where the trial ends; its months count from there.
    const chosen = sub.next;
    const anchor = sub.periodEnd;
    const trialLength = sub.periodEnd - sub.periodStart;
    const next: ActiveSubscription = {
      ...base,
      plan: chosen.plan,
      ...(chosen.years !== undefined ? { years: chosen.years } : {}),
      createdAt: chosen.requestedAt,
      anchor,
      periodStart: anchor,
      periodEnd: addMonths(anchor, monthsPerPeriod(chosen.plan, chosen.years)),
      periodsPaid: 1,
      // R11: a trial at least as long as the withdrawal period leaves no withdrawal once it is charged.
      ...(trialLength < WITHDRAWAL_DAYS * DAY_MS ? { withdrawalUntil: withdrawalDeadline(chosen.requestedAt, env.terms.timeZone) } : {}),
    };
    return { next, usesTrial: true };
  }
  const charged = planToCharge(sub);
  if (!charged) throw new Error('a renewal was applied to a trial with no paid plan queued');
  const months = monthsPerPeriod(charged.plan, charged.years);
  const period = sub.periodsPaid + 1;
  return { next: { ...base, periodsPaid: period, periodStart: addMonths(sub.anchor, months * (period - 1)), periodEnd: addMonths(sub.anchor, months * period) }, usesTrial: false };
}

export function applyChargeResult(vehicle: VehicleRecord, intent: ChargeIntent, result: ChargeResult, env: TransitionEnv): Transition {
  const state = subscriptionsOf(vehicle);
  const sub = state.current;
  if (!sub || sub.status === 'ended' || sub.charging?.key !== intent.key) {
    // Stale: this charge is no longer wanted. Money it took goes back to whoever paid, unless it was applied.
    if (result.status !== 'succeeded' || (sub && alreadyApplied(sub, intent, result.chargeId))) return { vehicle };
    return { vehicle: withSubscriptions(vehicle, (s) => ({ ...s, effects: withEffects(s.effects, unneededChargeRefund(intent, result.chargeId, env.nowMs)) })) };
  }

  const attempt = sub.failedAttempts + 1;
  const effects: BillingEffect[] = [...state.effects, chargeLine(env, intent, result)];

  if (result.status === 'succeeded') {
    const lastCharge: ChargeRecord = { chargeId: result.chargeId, amountCents: intent.amountCents, currency: intent.currency, cardId: intent.card?.cardId ?? '', brand: intent.card?.brand ?? '', last4: intent.card?.last4 ?? '', at: env.nowMs };
    const { next, usesTrial } = paidSubscription(sub, intent, lastCharge, env);
    if (sub.failedAttempts > 0) {
      effects.push({ kind: 'notify', id: env.newId(), at: env.nowMs, accountId: sub.accountId, notice: paymentRecoveredNotice({ vin: vehicle.vin, subscriptionId: sub.subscriptionId, intent, attempt }) });
    }
    return { vehicle: withSubscriptions(vehicle, () => ({ current: next, trialUsed: state.trialUsed || usesTrial, effects })) };
  }

  const rest = subscriptionBase(sub);
  if (intent.purpose === 'first' || sub.status === 'pending-payment') {
    // The intent is settled (declined): ending the subscription has no charge left to reconcile.
    const failed = withSubscriptions(vehicle, (s) => ({ ...s, current: { ...rest, status: 'pending-payment' }, effects }));
    return endSubscription(failed, { reason: 'initial-payment-failed', wipe: false, note: 'the first payment failed' }, env);
  }

  // R10: retried twice over the next two days; the payer is told after each failure.
  const last = attempt >= CHARGE_ATTEMPTS;
  const retryAt = last ? null : env.nowMs + env.terms.retryIntervalMs;
  effects.push({
    kind: 'notify',
    id: env.newId(),
    at: env.nowMs,
    accountId: sub.accountId,
    notice: paymentFailedNotice({ vin: vehicle.vin, subscriptionId: sub.subscriptionId, intent, attempt, nextAttemptAt: retryAt, failure: result.failure }),
  });
  if (retryAt === null) {
    // R10: the third failure cancels the subscription; R4b: every key goes with it.
    const failed = withSubscriptions(vehicle, (s) => ({ ...s, current: { ...rest, status: 'active', failedAttempts: attempt }, effects }));
    return endSubscription(failed, { reason: 'payment-failed', wipe: true, note: `subscription cancelled after the third failed payment (${result.failure})` }, env);
  }
  return { vehicle: withSubscriptions(vehicle, (s) => ({ ...s, current: { ...rest, ...(sub.next ? { next: sub.next } : {}), status: 'past-due', failedAttempts: attempt, retryAt }, effects })) };
}
