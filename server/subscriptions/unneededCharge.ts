/**
 * Money taken for a charge nobody wants any more goes back in full to the account that paid (R10,
 * R11): a late answer for an intent that is no longer current, or a charge whose outcome was still
 * unknown when the subscription ended or its attempt was counted as failed (then a reconcile effect
 * asks the provider again with the same idempotency key). Every id derives from the intent's key,
 * so whichever path finds the money first, and however often, the ledger line, the refund (its id
 * is the gateway's idempotency key) and its notice happen once.
 */
import { chargeResumeAt } from './dueAction.js';
import type { BillingEffect, ChargeIntent, ChargeRecord, ReconcileEffect } from '../domain/subscriptionRecord.js';

/** The ledger line of the unneeded charge and its full refund, filed under the payer of the intent. */
export function unneededChargeRefund(intent: ChargeIntent, chargeId: string, nowMs: number): BillingEffect[] {
  const charge: ChargeRecord = { chargeId, amountCents: intent.amountCents, currency: intent.currency, cardId: intent.card?.cardId ?? '', brand: intent.card?.brand ?? '', last4: intent.card?.last4 ?? '', at: nowMs };
  const lineId = `${intent.key}:ledger`;
  return [
    {
      kind: 'ledger',
      id: lineId,
      at: nowMs,
      entry: {
        id: lineId,
        at: nowMs,
        accountId: intent.accountId,
        subscriptionId: intent.subscriptionId,
        kind: 'charge',
        status: 'succeeded',
        amountCents: intent.amountCents,
        currency: intent.currency,
        description: `${intent.description} (no longer needed: refunded in full)`,
        cardId: intent.card?.cardId ?? null,
        last4: intent.card?.last4 ?? null,
        reference: chargeId,
      },
    },
    { kind: 'refund', id: `${intent.key}:refund`, at: nowMs, accountId: intent.accountId, subscriptionId: intent.subscriptionId, charge, amountCents: intent.amountCents, attempts: 0 },
  ];
}

/**
 * The reconcile effect of an intent whose outcome is unknown and that is dropped (null if it had no
 * card: nothing was sent). Due when the intent would have been resumed: whoever is making the call
 * has had time to finish (a late answer of theirs refunds the same way, with the same ids).
 */
export function reconcileEffect(intent: ChargeIntent, nowMs: number): ReconcileEffect | null {
  const { card } = intent;
  if (!card) return null;
  return { kind: 'reconcile', id: `${intent.key}:reconcile`, at: Math.max(nowMs, chargeResumeAt(intent)), intent: { ...intent, card }, attempts: 0 };
}
