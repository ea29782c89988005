/**
 * R11 refunds in integer cents: cancelling (monthly: end of cycle, no refund; yearly and multi-year:
 * end of the subscription month, unused whole months pro rata) and withdrawing within 14 days
 * (all but the days used). Table-driven over plans, months and days.
 */
import { describe, expect, it } from 'vitest';
import { addMonths } from '../../../server/subscriptions/billingCalendar.js';
import { cancellationOutcome, prorate, withdrawalDeadline } from '../../../server/subscriptions/cancellationOutcome.js';
import type { ActiveSubscription } from '../../../server/domain/subscriptionRecord.js';
import type { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function paid(plan: 'monthly' | 'yearly' | 'multi-year', options: { anchor: string; amountCents: number; years?: number; periodsPaid?: number } & Partial<Omit<ActiveSubscription, 'anchor'>>): ActiveSubscription {
  const { anchor: anchorIso, amountCents, ...opts } = options;
  const anchor = at(anchorIso);
  const months = plan === 'monthly' ? 1 : plan === 'yearly' ? 12 : 12 * (opts.years ?? 2);
  const p = opts.periodsPaid ?? 1;
  return {
    subscriptionId: 's1',
    accountId: 'a1',
    plan,
    ...(opts.years ? { years: opts.years } : {}),
    status: 'active',
    createdAt: anchor,
    anchor,
    periodStart: addMonths(anchor, months * (p - 1)),
    periodEnd: addMonths(anchor, months * p),
    periodsPaid: p,
    autoRenew: true,
    failedAttempts: 0,
    refundedCents: 0,
    withdrawalUntil: withdrawalDeadline(anchor, 'UTC'),
    lastCharge: { chargeId: 'ch_1', amountCents, currency: 'EUR', cardId: 'c1', brand: 'visa', last4: '4242', at: anchor },
    ...opts,
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as DigitalKeyError).code;
  }
  throw new Error('expected a DigitalKeyError');
}

describe('R11: pro-rata amounts are integer cents, rounded half up', () => {
  it.each([
    [4990, 11, 12, 4574],
    [4990, 9, 12, 3743],
    [4990, 0, 12, 0],
    [4990, 12, 12, 4990],
    [499, 10, 31, 161],
    [100, 1, 2, 50],
    [1, 1, 2, 1],
    [13470, 23, 36, 8606],
  ])('%i × %i ÷ %i = %i', (amount, num, den, expected) => {
    expect(prorate(amount, num, den)).toBe(expected);
    expect(Number.isInteger(prorate(amount, num, den))).toBe(true);
  });
});

describe('R11: cancelling', () => {
  it('R11: a monthly plan ends at the end of the current cycle, no refund', () => {
    const sub = paid('monthly', { anchor: '2027-01-31T00:00:00.000Z', amountCents: 499, periodsPaid: 2 });
    const out = cancellationOutcome(sub, at('2027-03-05T00:00:00.000Z'), 'cancel');
    expect(out).toMatchObject({ immediate: false, refundCents: 0 });
    expect(iso(out.endsAt)).toBe('2027-03-31T00:00:00.000Z');
  });

  it.each([
    ['the first month (day 2)', '2027-02-01T00:00:00.000Z', '2027-02-28T00:00:00.000Z', 11, 4574],
    ['the third month', '2027-04-10T00:00:00.000Z', '2027-04-30T00:00:00.000Z', 9, 3743],
    ['the first moment of the second month', '2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z', 10, 4158],
    ['the last month', '2028-01-15T00:00:00.000Z', '2028-01-31T00:00:00.000Z', 0, 0],
  ])('R11: a yearly plan cancelled in %s ends at the end of that subscription month and refunds the unused whole months', (_what, now, end, unused, refund) => {
    const sub = paid('yearly', { anchor: '2027-01-31T00:00:00.000Z', amountCents: 4990 });
    const out = cancellationOutcome(sub, at(now), 'cancel');
    expect(iso(out.endsAt)).toBe(end);
    expect(out.refundCents).toBe(refund);
    expect(out.immediate).toBe(false);
    expect(out.basis).toContain(`${unused} unused whole month`);
  });

  it('R11: a yearly plan in its second year refunds the unused months of the second year', () => {
    const sub = paid('yearly', { anchor: '2027-01-31T00:00:00.000Z', amountCents: 5200, periodsPaid: 2 });
    const out = cancellationOutcome(sub, at('2028-03-10T00:00:00.000Z'), 'cancel');
    expect(iso(out.endsAt)).toBe('2028-03-31T00:00:00.000Z');
    expect(out.refundCents).toBe(prorate(5200, 10, 12));
  });

  it('R11: a multi-year plan ends at the end of the subscription month and refunds its unused whole months', () => {
    const sub = paid('multi-year', { anchor: '2026-11-25T12:00:00.000Z', amountCents: 13_470, years: 3 });
    const out = cancellationOutcome(sub, at('2027-12-01T00:00:00.000Z'), 'cancel');
    expect(iso(out.endsAt)).toBe('2027-12-25T12:00:00.000Z');
    expect(out.refundCents).toBe(8606);
  });

  it('R11: a trial cancelled ends at once, costs nothing and uses the vehicle\'s trial up (R9)', () => {
    const trial = { ...paid('monthly', { anchor: '2026-11-25T12:00:00.000Z', amountCents: 0 }), plan: 'trial' as const, lastCharge: undefined, withdrawalUntil: undefined };
    expect(cancellationOutcome(trial, at('2026-12-01T00:00:00.000Z'), 'cancel')).toMatchObject({ immediate: true, refundCents: 0, usesTrial: true });
    expect(codeOf(() => cancellationOutcome(trial, at('2026-12-01T00:00:00.000Z'), 'withdraw'))).toBe('WITHDRAWAL_UNAVAILABLE');
  });

  it('R11: cancelling while a renewal is retried ends at once without refund (that period was never paid)', () => {
    const sub = { ...paid('yearly', { anchor: '2027-01-31T00:00:00.000Z', amountCents: 4990 }), status: 'past-due' as const, failedAttempts: 1, retryAt: at('2028-02-02T00:00:00.000Z') };
    expect(cancellationOutcome(sub, at('2028-02-01T00:00:00.000Z'), 'cancel')).toMatchObject({ immediate: true, refundCents: 0 });
  });

  it('R11: a subscription is cancelled once; an ended or unpaid one cannot be cancelled', () => {
    const sub = paid('monthly', { anchor: '2027-01-31T00:00:00.000Z', amountCents: 499, cancelAt: at('2027-02-28T00:00:00.000Z') });
    expect(codeOf(() => cancellationOutcome(sub, at('2027-02-10T00:00:00.000Z'), 'cancel'))).toBe('SUBSCRIPTION_INACTIVE');
    expect(codeOf(() => cancellationOutcome({ ...sub, status: 'ended', endedAt: at('2027-02-05T00:00:00.000Z'), endReason: 'cancelled' }, at('2027-02-10T00:00:00.000Z'), 'cancel'))).toBe('SUBSCRIPTION_INACTIVE');
    expect(codeOf(() => cancellationOutcome({ ...sub, status: 'pending-payment' }, at('2027-02-10T00:00:00.000Z'), 'cancel'))).toBe('SUBSCRIPTION_INACTIVE');
  });
});

describe("R11: the 14 withdrawal days are counted in the customer's calendar", () => {
  it.each([
    // Made just after midnight in Brussels: the 26th is the contract day there, so the 10th of December is the last lawful day.
    ['2026-11-25T23:30:00.000Z', 'Europe/Brussels', '2026-12-10T23:00:00.000Z'],
    ['2026-11-25T12:00:00.000Z', 'Europe/Brussels', '2026-12-09T23:00:00.000Z'],
    // Across the switch to summer time (28 March 2027): the deadline is midnight CEST.
    ['2027-03-20T12:00:00.000Z', 'Europe/Brussels', '2027-04-03T22:00:00.000Z'],
    ['2026-11-25T23:30:00.000Z', 'UTC', '2026-12-10T00:00:00.000Z'],
    // 23:30 on the 24th in New York.
    ['2026-11-25T04:30:00.000Z', 'America/New_York', '2026-12-09T05:00:00.000Z'],
  ])('R11: a contract made at %s in %s can be withdrawn from until %s', (contract, zone, until) => {
    expect(new Date(withdrawalDeadline(Date.parse(contract), zone)).toISOString()).toBe(until);
  });
});

describe('R11: withdrawing within 14 days refunds all but the part used (counted in started days)', () => {
  it.each([
    ['yearly, on the activation day', 'yearly', 4990, '2027-01-31T10:00:00.000Z', '2027-01-31T18:00:00.000Z', 4990 - prorate(4990, 1, 365)],
    ['yearly, at the very instant of activation', 'yearly', 4990, '2027-01-31T10:00:00.000Z', '2027-01-31T10:00:00.000Z', 4990],
    ['yearly, on day 14', 'yearly', 4990, '2027-01-31T10:00:00.000Z', '2027-02-14T09:00:00.000Z', 4990 - prorate(4990, 14, 365)],
    ['monthly (a 28-day February), on day 10', 'monthly', 499, '2027-02-01T00:00:00.000Z', '2027-02-10T12:00:00.000Z', 499 - prorate(499, 10, 28)],
    ['yearly in a leap year (366 days)', 'yearly', 4990, '2028-01-01T00:00:00.000Z', '2028-01-03T00:00:00.000Z', 4990 - prorate(4990, 2, 366)],
  ] as const)('R11: %s', (_what, plan, amount, anchor, now, refund) => {
    const sub = paid(plan, { anchor, amountCents: amount });
    expect(cancellationOutcome(sub, at(now), 'withdraw')).toMatchObject({ immediate: true, refundCents: refund, endsAt: at(now) });
  });

  it('R11: the withdrawal period is 14 calendar days from the day after the contract', () => {
    const sub = paid('yearly', { anchor: '2027-01-31T10:00:00.000Z', amountCents: 4990 });
    expect(iso(sub.withdrawalUntil!)).toBe('2027-02-15T00:00:00.000Z');
    expect(cancellationOutcome(sub, at('2027-02-14T23:59:59.999Z'), 'withdraw').immediate).toBe(true);
    expect(codeOf(() => cancellationOutcome(sub, at('2027-02-15T00:00:00.000Z'), 'withdraw'))).toBe('WITHDRAWAL_UNAVAILABLE');
  });

  it('R11: a withdrawal after a cancellation refunds only what the cancellation did not', () => {
    const sub = paid('yearly', { anchor: '2027-01-31T10:00:00.000Z', amountCents: 4990 });
    const now = at('2027-02-02T10:00:00.000Z');
    const cancelled = cancellationOutcome(sub, now, 'cancel');
    expect(cancelled.refundCents).toBe(4574);
    const after = { ...sub, cancelAt: cancelled.endsAt, refundedCents: cancelled.refundCents };
    const withdrawn = cancellationOutcome(after, now, 'withdraw');
    expect(withdrawn.refundCents).toBe(4990 - prorate(4990, 2, 365) - 4574);
    expect(cancelled.refundCents + withdrawn.refundCents).toBe(4990 - prorate(4990, 2, 365));
  });

  it('R11: no withdrawal from a renewed period (a renewal is not a new contract)', () => {
    const sub = paid('monthly', { anchor: '2027-01-01T00:00:00.000Z', amountCents: 499, periodsPaid: 2, withdrawalUntil: undefined });
    expect(codeOf(() => cancellationOutcome(sub, at('2027-02-03T00:00:00.000Z'), 'withdraw'))).toBe('WITHDRAWAL_UNAVAILABLE');
  });
});
