/**
 * What the API shows of a vehicle's subscription (DESIGN.md §5 `GET …/subscriptions/current`): its
 * state, the current period, the next charge, and every amount in integer cents with its currency.
 * Instants are ISO 8601 UTC strings. A previous main user's subscription is never shown.
 */
import type { AccountId } from '../../shared/ids.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { priceCents, CHARGE_ATTEMPTS, type BillingTerms } from './billingTerms.js';
import { fixedEnd, keysRefusal, renews } from './subscriptionAccess.js';
import type { Subscription } from './subscriptionRecord.js';
import { trialAvailability } from './trialWindow.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export type SubscriptionState = 'none' | 'pending-payment' | 'trial' | 'active' | 'past-due' | 'cancelled' | 'ended';

export function subscriptionState(sub: Subscription | null): SubscriptionState {
  if (!sub) return 'none';
  if (sub.status === 'ended') return 'ended';
  if (sub.status === 'pending-payment') return 'pending-payment';
  if (sub.cancelAt !== undefined) return 'cancelled';
  if (sub.status === 'past-due') return 'past-due';
  return sub.plan === 'trial' ? 'trial' : 'active';
}

/** What the API shows of a card: never the gateway's token. */
function publicCard(card: { cardId: string; brand: string; last4: string } | null): { cardId: string; brand: string; last4: string } | null {
  return card ? { cardId: card.cardId, brand: card.brand, last4: card.last4 } : null;
}

export function subscriptionView(vehicle: VehicleRecord, opts: { accountId: AccountId; nowMs: number; terms: BillingTerms; primaryCard: { cardId: string; brand: string; last4: string } | null }) {
  const { terms, nowMs } = opts;
  const found = vehicle.subscriptions?.current ?? null;
  const sub = found && found.accountId === opts.accountId ? found : null;
  const trial = trialAvailability(vehicle, nowMs);
  const card = publicCard(opts.primaryCard);

  let nextCharge: { at: string; amountCents: number; currency: string; description: string; attempt: number; card: typeof card } | null = null;
  if (sub?.charging) {
    nextCharge = { at: iso(sub.charging.startedAt)!, amountCents: sub.charging.amountCents, currency: sub.charging.currency, description: sub.charging.description, attempt: sub.failedAttempts + 1, card: publicCard(sub.charging.card) };
  } else if (sub && sub.status !== 'ended' && sub.status !== 'pending-payment' && renews(sub)) {
    const plan = sub.plan === 'trial' ? sub.next!.plan : sub.plan;
    const years = sub.plan === 'trial' ? sub.next!.years : sub.years;
    const at = sub.status === 'past-due' ? (sub.retryAt ?? nowMs) : sub.periodEnd;
    nextCharge = { at: iso(at)!, amountCents: priceCents(terms, plan, years), currency: terms.currency, description: `${plan}${years ? ` (${years} years)` : ''} period ${sub.periodsPaid + 1}`, attempt: sub.failedAttempts + 1, card };
  }

  return {
    vin: vehicle.vin,
    state: subscriptionState(sub),
    keysAllowed: keysRefusal(vehicle, nowMs) === null && sub !== null,
    trial: { available: trial.available, endsAt: iso(trial.endsAt)!, used: vehicle.subscriptions?.trialUsed ?? false },
    subscription: sub
      ? {
          subscriptionId: sub.subscriptionId,
          plan: sub.plan,
          ...(sub.years !== undefined ? { years: sub.years } : {}),
          status: sub.status,
          autoRenew: sub.autoRenew,
          createdAt: iso(sub.createdAt)!,
          period: { start: iso(sub.periodStart)!, end: iso(sub.periodEnd)! },
          /** When it is certain to end (trial over, not renewed, cancelled), or null while it renews. */
          endsAt: sub.status === 'ended' ? iso(sub.endedAt)! : (() => { const e = fixedEnd(sub); return e === null ? null : iso(e)!; })(),
          priceCents: sub.lastCharge?.amountCents ?? priceCents(terms, sub.plan, sub.years),
          currency: sub.lastCharge?.currency ?? terms.currency,
          nextCharge,
          ...(sub.next ? { next: { plan: sub.next.plan, ...(sub.next.years !== undefined ? { years: sub.next.years } : {}), startsAt: iso(sub.periodEnd)!, amountCents: priceCents(terms, sub.next.plan, sub.next.years), currency: terms.currency } } : {}),
          ...(sub.status === 'past-due' ? { retry: { failedAttempts: sub.failedAttempts, attempts: CHARGE_ATTEMPTS, nextAttemptAt: iso(sub.retryAt) ?? null } } : {}),
          ...(sub.lastCharge ? { lastCharge: { amountCents: sub.lastCharge.amountCents, currency: sub.lastCharge.currency, at: iso(sub.lastCharge.at)!, cardId: sub.lastCharge.cardId, brand: sub.lastCharge.brand, last4: sub.lastCharge.last4 } } : {}),
          refundedCents: sub.refundedCents,
          ...(sub.withdrawalUntil !== undefined && sub.status !== 'ended' ? { withdrawalUntil: iso(sub.withdrawalUntil)! } : {}),
          ...(sub.cancelledAt !== undefined ? { cancelledAt: iso(sub.cancelledAt)!, cancelAt: iso(sub.cancelAt)! } : {}),
          ...(sub.endedAt !== undefined ? { endedAt: iso(sub.endedAt)!, endReason: sub.endReason! } : {}),
        }
      : null,
  };
}

export type SubscriptionViewBody = ReturnType<typeof subscriptionView>;
