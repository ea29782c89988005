/**
 * End a subscription now, for a reason (R4b, R9, R10, R11): it becomes `ended`, any refund owed is
 * queued to the card that paid, a charge still under way is reconciled (money it took is refunded in
 * full, unneededCharge.ts), the payer is told, a trial given up or run out is used up for the
 * vehicle for good (R9), and — unless the caller wipes in its own commit (a claim, a removal) —
 * every key of the vehicle is wiped in the same commit.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { subscriptionEndedNotice } from './billingNotices.js';
import { withEffects, subscriptionBase, type BillingEffect, type EndReason, type LiveSubscription, type PendingSubscription, type SubscriptionBase } from '../domain/subscriptionRecord.js';
import { subscriptionsOf, withSubscriptions, type Transition, type TransitionEnv } from './subscriptionTransition.js';
import { reconcileEffect } from './unneededCharge.js';

export interface EndRequest {
  reason: EndReason;
  /** Owed back on the charge that paid the current period (R11); capped at what is left of it. */
  refundCents?: number;
  /** R9: this end uses up the vehicle's trial (a cancelled or run-out trial). */
  usesTrial?: boolean;
  /** Wipe every key in this commit (false when the caller's own commit wipes them). */
  wipe: boolean;
  /** Why, in words, for the audit entry of the wipe (R13). */
  note: string;
  /** Tell the payer (default true). */
  notify?: boolean;
}

/** What an ended subscription keeps: the common fields, and a cancellation it had (a charge under way, a retry time and a queued plan go). */
function keptWhenEnded(sub: PendingSubscription | LiveSubscription): SubscriptionBase & { cancelAt?: number | undefined; cancelledAt?: number | undefined } {
  if (sub.status !== 'active') return subscriptionBase(sub);
  const { status: _status, charging: _charging, next: _next, ...kept } = sub;
  return kept;
}

export function endSubscription(vehicle: VehicleRecord, request: EndRequest, env: TransitionEnv): Transition {
  const state = subscriptionsOf(vehicle);
  const sub = state.current;
  if (!sub || sub.status === 'ended') return { vehicle };
  const left = Math.max(0, (sub.lastCharge?.amountCents ?? 0) - sub.refundedCents);
  const refundCents = sub.lastCharge ? Math.min(left, Math.max(0, request.refundCents ?? 0)) : 0;
  const effects: BillingEffect[] = [...state.effects];
  if (refundCents > 0 && sub.lastCharge) {
    effects.push({ kind: 'refund', id: env.newId(), at: env.nowMs, accountId: sub.accountId, subscriptionId: sub.subscriptionId, charge: sub.lastCharge, amountCents: refundCents, attempts: 0 });
  }
  if (request.notify ?? true) effects.push({
    kind: 'notify',
    id: env.newId(),
    at: env.nowMs,
    accountId: sub.accountId,
    notice: subscriptionEndedNotice({ vin: vehicle.vin, subscriptionId: sub.subscriptionId, reason: request.reason, at: env.nowMs, refundCents, currency: sub.lastCharge?.currency ?? env.terms.currency }),
  });
  const { charging } = sub;
  // A charge still under way (outcome unknown) is not wanted any more: ask the provider again and refund what it took.
  const reconcile = charging ? reconcileEffect(charging, env.nowMs) : null;
  const next = withSubscriptions(vehicle, (s) => ({
    current: { ...keptWhenEnded(sub), status: 'ended', endedAt: env.nowMs, endReason: request.reason, autoRenew: false, refundedCents: sub.refundedCents + refundCents },
    trialUsed: s.trialUsed || (sub.plan === 'trial' && (request.usesTrial ?? false)),
    effects: withEffects(effects, [reconcile]),
  }));
  return { vehicle: next, ...(request.wipe ? { wipe: { cause: request.reason, note: request.note } } : {}) };
}
