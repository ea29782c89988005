/**
 * R11: what cancelling or withdrawing does to a subscription — when it ends and what is refunded,
 * in integer cents, to the card that paid. Pure: a function of the subscription and the time.
 *
 * - Cancel a monthly plan: it ends at the end of the current cycle; no refund.
 * - Cancel a yearly or multi-year plan: it ends at the end of the current subscription month
 *   (months count from the activation date, billingCalendar.ts); the unused whole months after it
 *   are refunded pro rata: paid × unused months ÷ months of the period.
 * - Withdraw (a paid plan, within 14 calendar days from the day after the contract): it ends at
 *   once; everything is refunded except the part already used, measured in days: each started day
 *   of the period counts as used, paid × used days ÷ days of the period.
 * - Cancel a trial: it ends at once (nothing to refund) and the vehicle's trial is used up (R9).
 * - Cancel while a renewal charge is being retried (past-due): it ends at once; the period being
 *   retried was never paid, so nothing is refunded.
 * Pro-rata amounts are rounded half up to the cent; a refund never exceeds what is left of the
 * charge after earlier refunds.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { DAY_MS, monthsElapsed, subscriptionMonthEnd, zonedMidnightAfter } from './billingCalendar.js';
import { monthsPerPeriod } from './billingTerms.js';
import type { Subscription } from '../domain/subscriptionRecord.js';

export type CancelMode = 'cancel' | 'withdraw';

/** R11: the consumer's withdrawal period, in calendar days from the day after the contract. */
export const WITHDRAWAL_DAYS = 14;

export interface CancellationOutcome {
  /** When the subscription ends (`nowMs` when it ends at once). */
  endsAt: number;
  /** It ends now (keys wiped now), not at a later boundary. */
  immediate: boolean;
  refundCents: number;
  /** How the refund was worked out, in words (shown in the API and the ledger). */
  basis: string;
  /** R9: this gives up the vehicle's trial. */
  usesTrial: boolean;
}

/** `amount × num ÷ den`, rounded half up, in integer arithmetic. */
export function prorate(amountCents: number, num: number, den: number): number {
  if (den <= 0) throw new RangeError('prorate: the denominator must be positive');
  return Math.floor((2 * amountCents * num + den) / (2 * den));
}

/**
 * The last instant (exclusive) a withdrawal is possible for a contract made at `contractMs`: the end
 * of the 14th calendar day after the day of the contract, in the customer's calendar ("veertien (14)
 * kalenderdagen vanaf de dag na de sluiting van het contract"): midnight there, not UTC's.
 */
export function withdrawalDeadline(contractMs: number, timeZone: string): number {
  return zonedMidnightAfter(contractMs, WITHDRAWAL_DAYS + 1, timeZone);
}

function paidLeft(sub: Subscription): number {
  return Math.max(0, (sub.lastCharge?.amountCents ?? 0) - sub.refundedCents);
}

/**
 * The pro-rata refund of the unused whole months of a yearly or multi-year period when it ends at
 * the end of the current subscription month (0 for other plans). Also used when the subscription
 * ends because the main user leaves or Standard Services end (then it ends at once).
 */
export function unusedMonthsRefund(sub: Subscription, nowMs: number): { monthEnd: number; unusedMonths: number; refundCents: number } {
  if (sub.status !== 'active' || (sub.plan !== 'yearly' && sub.plan !== 'multi-year') || !sub.lastCharge || sub.cancelAt !== undefined) {
    return { monthEnd: sub.periodEnd, unusedMonths: 0, refundCents: 0 };
  }
  const total = monthsPerPeriod(sub.plan, sub.years);
  const monthEnd = Math.min(subscriptionMonthEnd(sub.anchor, nowMs), sub.periodEnd);
  const used = Math.min(total, monthsElapsed(sub.anchor, nowMs) + 1 - total * (sub.periodsPaid - 1));
  const unusedMonths = Math.max(0, total - used);
  const refundCents = Math.min(paidLeft(sub), prorate(sub.lastCharge.amountCents, unusedMonths, total));
  return { monthEnd, unusedMonths, refundCents };
}

/** R11: the outcome of `mode` on `sub` at `nowMs`; throws the error code the API shows when it is not possible. */
export function cancellationOutcome(sub: Subscription, nowMs: number, mode: CancelMode): CancellationOutcome {
  if (sub.status === 'ended' || sub.status === 'pending-payment') {
    throw new DigitalKeyError('SUBSCRIPTION_INACTIVE', sub.status === 'ended' ? 'the subscription has ended' : 'the first payment is still being processed');
  }
  if (sub.plan === 'trial') {
    if (mode === 'withdraw') throw new DigitalKeyError('WITHDRAWAL_UNAVAILABLE', 'a trial costs nothing: cancel it instead');
    return { endsAt: nowMs, immediate: true, refundCents: 0, basis: 'trial cancelled: nothing was paid', usesTrial: true };
  }
  if (mode === 'withdraw') {
    if (sub.withdrawalUntil === undefined || nowMs >= sub.withdrawalUntil || !sub.lastCharge || sub.periodsPaid !== 1) {
      throw new DigitalKeyError('WITHDRAWAL_UNAVAILABLE', `a withdrawal is possible within ${WITHDRAWAL_DAYS} days from the day after the contract`);
    }
    const periodDays = Math.round((sub.periodEnd - sub.periodStart) / DAY_MS);
    const usedDays = Math.min(periodDays, Math.max(0, Math.ceil((nowMs - sub.periodStart) / DAY_MS)));
    const usedCents = prorate(sub.lastCharge.amountCents, usedDays, periodDays);
    const refundCents = Math.max(0, sub.lastCharge.amountCents - usedCents - sub.refundedCents);
    return { endsAt: nowMs, immediate: true, refundCents, basis: `withdrawal: ${usedDays} of ${periodDays} days used`, usesTrial: false };
  }
  if (sub.status === 'active' && sub.cancelAt !== undefined) {
    throw new DigitalKeyError('SUBSCRIPTION_INACTIVE', `the subscription is already cancelled; it ends at ${new Date(sub.cancelAt).toISOString()}`);
  }
  if (sub.status === 'past-due') {
    return { endsAt: nowMs, immediate: true, refundCents: 0, basis: 'cancelled while the renewal payment was being retried: the period was not paid', usesTrial: false };
  }
  if (sub.plan === 'monthly') {
    // A cycle whose renewal is already being charged has ended: the cancellation takes effect now.
    return { endsAt: Math.max(nowMs, sub.periodEnd), immediate: sub.periodEnd <= nowMs, refundCents: 0, basis: 'monthly: ends at the end of the current cycle, no refund', usesTrial: false };
  }
  const { monthEnd, unusedMonths, refundCents } = unusedMonthsRefund(sub, nowMs);
  return {
    endsAt: Math.max(nowMs, monthEnd),
    immediate: monthEnd <= nowMs,
    refundCents,
    basis: `${sub.plan}: ends at the end of the current subscription month; ${unusedMonths} unused whole month(s) of ${monthsPerPeriod(sub.plan, sub.years)} refunded pro rata`,
    usesTrial: false,
  };
}
