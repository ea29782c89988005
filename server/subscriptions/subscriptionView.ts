/**
 * What the API shows of a vehicle's subscription (DESIGN.md §5 `GET …/subscriptions/current`): its
 * state, the current period, the next charge, and every amount in integer cents with its currency.
 * Instants are ISO 8601 UTC strings. A previous main user's subscription is never shown.
 */
import type { AccountId } from '../../shared/ids.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { priceCents, CHARGE_ATTEMPTS, type BillingTerms } from './billingTerms.js';
import { planToCharge } from './beginCharge.js';
import { fixedEnd, isLive, keysRefusal, renews } from './subscriptionAccess.js';
import { chargeUnderWay, type Subscription } from '../domain/subscriptionRecord.js';
import { trialAvailability } from './trialWindow.js';

function iso(ms: number): string;
function iso(ms: number | undefined): string | undefined;
function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

export type SubscriptionState = 'none' | 'pending-payment' | 'trial' | 'active' | 'past-due' | 'cancelled' | 'ended';

export function subscriptionState(sub: Subscription | null): SubscriptionState {
  if (!sub) return 'none';
  if (sub.status === 'ended') return 'ended';
  if (sub.status === 'pending-payment') return 'pending-payment';
  if (sub.status === 'past-due') return 'past-due';
  if (sub.cancelAt !== undefined) return 'cancelled';
  return sub.plan === 'trial' ? 'trial' : 'active';
}

/** What the API shows of a card: never the gateway's token. */
function publicCard(card: { cardId: string; brand: string; last4: string } | null): { cardId: string; brand: string; last4: string } | null {
  return card ? { cardId: card.cardId, brand: card.brand, last4: card.last4 } : null;
}

/** The next charge of a subscription: the one under way, or the renewal (or a trial's conversion) it is due to make. */
function nextChargeOf(sub: Subscription, opts: { nowMs: number; terms: BillingTerms; card: ReturnType<typeof publicCard> }) {
  const charging = chargeUnderWay(sub);
  if (charging) {
    return { at: iso(charging.startedAt), amountCents: charging.amountCents, currency: charging.currency, description: charging.description, attempt: sub.failedAttempts + 1, card: publicCard(charging.card) };
  }
  if (!isLive(sub) || !renews(sub)) return null;
  const charged = planToCharge(sub);
  if (!charged) return null;
  const { plan, years } = charged;
  const at = sub.status === 'past-due' ? sub.retryAt : sub.periodEnd;
  return { at: iso(at), amountCents: priceCents(opts.terms, plan, years), currency: opts.terms.currency, description: `${plan}${years ? ` (${years} years)` : ''} period ${sub.periodsPaid + 1}`, attempt: sub.failedAttempts + 1, card: opts.card };
}

/** When a subscription is certain to end (trial over, not renewed, cancelled, or ended), or null while it renews. */
function endsAtOf(sub: Subscription): string | null {
  if (sub.status === 'ended') return iso(sub.endedAt);
  const end = isLive(sub) ? fixedEnd(sub) : null;
  return end === null ? null : iso(end);
}

export function subscriptionView(vehicle: VehicleRecord, opts: { accountId: AccountId; nowMs: number; terms: BillingTerms; primaryCard: { cardId: string; brand: string; last4: string } | null }) {
  const { terms, nowMs } = opts;
  const found = vehicle.subscriptions?.current ?? null;
  const sub = found && found.accountId === opts.accountId ? found : null;
  const trial = trialAvailability(vehicle, nowMs);
  const card = publicCard(opts.primaryCard);
  const cancellation = sub && (sub.status === 'active' || sub.status === 'ended') && sub.cancelledAt !== undefined && sub.cancelAt !== undefined ? { cancelledAt: iso(sub.cancelledAt), cancelAt: iso(sub.cancelAt) } : null;
  const queued = sub && isLive(sub) ? sub.next : undefined;

  return {
    vin: vehicle.vin,
    state: subscriptionState(sub),
    keysAllowed: keysRefusal(vehicle, nowMs) === null && sub !== null,
    trial: { available: trial.available, endsAt: iso(trial.endsAt), used: vehicle.subscriptions?.trialUsed ?? false },
    subscription: sub
      ? {
          subscriptionId: sub.subscriptionId,
          plan: sub.plan,
          ...(sub.years !== undefined ? { years: sub.years } : {}),
          status: sub.status,
          autoRenew: sub.autoRenew,
          createdAt: iso(sub.createdAt),
          period: { start: iso(sub.periodStart), end: iso(sub.periodEnd) },
          /** When it is certain to end (trial over, not renewed, cancelled), or null while it renews. */
          endsAt: endsAtOf(sub),
          priceCents: sub.lastCharge?.amountCents ?? priceCents(terms, sub.plan, sub.years),
          currency: sub.lastCharge?.currency ?? terms.currency,
          nextCharge: nextChargeOf(sub, { nowMs, terms, card }),
          ...(queued ? { next: { plan: queued.plan, ...(queued.years !== undefined ? { years: queued.years } : {}), startsAt: iso(sub.periodEnd), amountCents: priceCents(terms, queued.plan, queued.years), currency: terms.currency } } : {}),
          ...(sub.status === 'past-due' ? { retry: { failedAttempts: sub.failedAttempts, attempts: CHARGE_ATTEMPTS, nextAttemptAt: iso(sub.retryAt) } } : {}),
          ...(sub.lastCharge ? { lastCharge: { amountCents: sub.lastCharge.amountCents, currency: sub.lastCharge.currency, at: iso(sub.lastCharge.at), cardId: sub.lastCharge.cardId, brand: sub.lastCharge.brand, last4: sub.lastCharge.last4 } } : {}),
          refundedCents: sub.refundedCents,
          ...(sub.withdrawalUntil !== undefined && sub.status !== 'ended' ? { withdrawalUntil: iso(sub.withdrawalUntil) } : {}),
          ...(cancellation ?? {}),
          ...(sub.status === 'ended' ? { endedAt: iso(sub.endedAt), endReason: sub.endReason } : {}),
        }
      : null,
  };
}

export type SubscriptionViewBody = ReturnType<typeof subscriptionView>;
