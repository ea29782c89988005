/**
 * The messages users get about their subscription (R10: after each failed payment and at the
 * cancellation that follows the third; also when a subscription ends and when money is refunded).
 * Each is a stable `kind` plus machine-readable `data` (amounts in cents) for the phone app, and a
 * subject and body for e-mail.
 */
import type { Vin } from '../../shared/ids.js';
import { CHARGE_ATTEMPTS, formatCents } from './billingTerms.js';
import type { ChargeIntent, EndReason, NoticeEffect } from '../domain/subscriptionRecord.js';

type Notice = NoticeEffect['notice'];

const iso = (ms: number) => new Date(ms).toISOString();
const cardText = (card: ChargeIntent['card']) => (card ? `your ${card.brand} card ending in ${card.last4}` : 'your account (no primary card is set)');

/** R10: a charge failed; `nextAttemptAt` is null after the last attempt. */
export function paymentFailedNotice(opts: { vin: Vin; subscriptionId: string; intent: ChargeIntent; attempt: number; nextAttemptAt: number | null; failure: string }): Notice {
  const { intent } = opts;
  const next = opts.nextAttemptAt === null ? 'This was the last attempt.' : `We will try again on ${iso(opts.nextAttemptAt)}; you can set another card as primary before then.`;
  return {
    kind: 'payment-failed',
    subject: 'Your Smart Digital Key payment failed',
    body: `We could not charge ${formatCents(intent.amountCents, intent.currency)} to ${cardText(intent.card)} for vehicle ${opts.vin} (${intent.description}, attempt ${opts.attempt} of ${CHARGE_ATTEMPTS}). ${next}`,
    data: {
      vin: opts.vin,
      subscriptionId: opts.subscriptionId,
      amountCents: intent.amountCents,
      currency: intent.currency,
      attempt: opts.attempt,
      attempts: CHARGE_ATTEMPTS,
      nextAttemptAt: opts.nextAttemptAt === null ? null : iso(opts.nextAttemptAt),
      failure: opts.failure,
      cardId: intent.card?.cardId ?? null,
    },
  };
}

const ENDED_BECAUSE: Record<EndReason, string> = {
  'trial-over': 'its trial period is over and no paid plan follows it',
  'not-renewed': 'its period is over and auto-renewal was off',
  cancelled: 'you cancelled it',
  withdrawn: 'you withdrew from it',
  'payment-failed': `the payment failed ${CHARGE_ATTEMPTS} times`,
  'initial-payment-failed': 'its first payment failed',
  'standard-services-ended': 'Standard Services ended on the vehicle',
  'main-user-changed': 'another user claimed the vehicle',
  'vehicle-removed': 'the vehicle was removed from your account',
};

/** R10, R4b: a subscription ended (`subscription-cancelled` after the third failed payment). */
export function subscriptionEndedNotice(opts: { vin: Vin; subscriptionId: string; reason: EndReason; at: number; refundCents: number; currency: string }): Notice {
  const refund = opts.refundCents > 0 ? ` ${formatCents(opts.refundCents, opts.currency)} is refunded to the card that paid.` : '';
  return {
    kind: opts.reason === 'payment-failed' ? 'subscription-cancelled' : 'subscription-ended',
    subject: opts.reason === 'payment-failed' ? 'Your Smart Digital Key subscription was cancelled' : 'Your Smart Digital Key subscription has ended',
    body: `The Smart Digital Key subscription of vehicle ${opts.vin} ended on ${iso(opts.at)} because ${ENDED_BECAUSE[opts.reason]}. Every digital key of the vehicle, shared keys included, has been removed.${refund}`,
    data: { vin: opts.vin, subscriptionId: opts.subscriptionId, reason: opts.reason, endedAt: iso(opts.at), refundCents: opts.refundCents, currency: opts.currency },
  };
}

/** R11: a refund was issued to the card that paid. */
export function refundIssuedNotice(opts: { vin: Vin; subscriptionId: string; amountCents: number; currency: string; last4: string; brand: string }): Notice {
  return {
    kind: 'refund-issued',
    subject: 'Your Smart Digital Key refund',
    body: `${formatCents(opts.amountCents, opts.currency)} was refunded to your ${opts.brand} card ending in ${opts.last4} for vehicle ${opts.vin}. It can take a few days to appear, depending on your card issuer.`,
    data: { vin: opts.vin, subscriptionId: opts.subscriptionId, amountCents: opts.amountCents, currency: opts.currency, last4: opts.last4 },
  };
}

/** R10: a renewal that had failed went through on a retry. */
export function paymentRecoveredNotice(opts: { vin: Vin; subscriptionId: string; intent: ChargeIntent; attempt: number }): Notice {
  return {
    kind: 'payment-succeeded',
    subject: 'Your Smart Digital Key payment went through',
    body: `${formatCents(opts.intent.amountCents, opts.intent.currency)} was charged to ${cardText(opts.intent.card)} for vehicle ${opts.vin} (${opts.intent.description}, attempt ${opts.attempt}). Your digital keys keep working.`,
    data: { vin: opts.vin, subscriptionId: opts.subscriptionId, amountCents: opts.intent.amountCents, currency: opts.intent.currency, attempt: opts.attempt },
  };
}
