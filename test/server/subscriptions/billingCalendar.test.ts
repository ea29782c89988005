/**
 * Billing dates (R10, R11) and the trial window (R9): the month-end rule, leap years, year ends,
 * and where a subscription month ends — table-driven.
 */
import { describe, expect, it } from 'vitest';
import { addMonths, monthsElapsed, subscriptionMonthEnd, utcDate } from '../../../server/subscriptions/billingCalendar.js';
import { trialEndsAt } from '../../../server/subscriptions/trialWindow.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('R10: billing dates follow the activation date (the month-end rule)', () => {
  it.each([
    ['the terms\' example: 25 October → 25 November', '2026-10-25T09:30:00.000Z', 1, '2026-11-25T09:30:00.000Z'],
    ['31 January → 28 February (common year)', '2027-01-31T00:00:00.000Z', 1, '2027-02-28T00:00:00.000Z'],
    ['31 January → 31 March: back on the anchor day', '2027-01-31T00:00:00.000Z', 2, '2027-03-31T00:00:00.000Z'],
    ['31 January → 30 April', '2027-01-31T00:00:00.000Z', 3, '2027-04-30T00:00:00.000Z'],
    ['31 January → 31 May', '2027-01-31T00:00:00.000Z', 4, '2027-05-31T00:00:00.000Z'],
    ['31 January → 29 February (leap year)', '2028-01-31T00:00:00.000Z', 1, '2028-02-29T00:00:00.000Z'],
    ['30 January → 28 February', '2027-01-30T00:00:00.000Z', 1, '2027-02-28T00:00:00.000Z'],
    ['29 January → 29 February (leap year)', '2028-01-29T00:00:00.000Z', 1, '2028-02-29T00:00:00.000Z'],
    ['28 February → 28 March (no drift to the month end)', '2027-02-28T00:00:00.000Z', 1, '2027-03-28T00:00:00.000Z'],
    ['31 March → 30 April', '2027-03-31T00:00:00.000Z', 1, '2027-04-30T00:00:00.000Z'],
    ['31 August → 30 September → 31 October', '2027-08-31T00:00:00.000Z', 2, '2027-10-31T00:00:00.000Z'],
    ['year end: 31 December → 31 January', '2027-12-31T23:00:00.000Z', 1, '2028-01-31T23:00:00.000Z'],
    ['year end: 15 December → 15 January', '2027-12-15T12:00:00.000Z', 1, '2028-01-15T12:00:00.000Z'],
    ['30 November, three months → 29 February', '2027-11-30T00:00:00.000Z', 3, '2028-02-29T00:00:00.000Z'],
    ['a year from 29 February → 28 February', '2028-02-29T00:00:00.000Z', 12, '2029-02-28T00:00:00.000Z'],
    ['four years from 29 February → 29 February', '2028-02-29T00:00:00.000Z', 48, '2032-02-29T00:00:00.000Z'],
    ['a yearly period from 31 January', '2027-01-31T00:00:00.000Z', 12, '2028-01-31T00:00:00.000Z'],
    ['a 3-year plan', '2026-11-25T12:00:00.000Z', 36, '2029-11-25T12:00:00.000Z'],
    ['the time of day is kept to the millisecond', '2027-03-31T22:15:00.123Z', 1, '2027-04-30T22:15:00.123Z'],
    ['zero months', '2027-03-31T00:00:00.000Z', 0, '2027-03-31T00:00:00.000Z'],
    ['backwards: a month before 31 March', '2027-03-31T00:00:00.000Z', -1, '2027-02-28T00:00:00.000Z'],
  ])('%s', (_what, anchor, months, expected) => {
    expect(iso(addMonths(at(anchor), months))).toBe(expected);
  });

  it('every boundary of a monthly plan anchored on the 31st over two years, computed from the anchor', () => {
    const anchor = at('2027-01-31T00:00:00.000Z');
    const days = Array.from({ length: 25 }, (_, k) => new Date(addMonths(anchor, k)).getUTCDate());
    expect(days).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31]);
  });

  it('refuses a fractional number of months', () => {
    expect(() => addMonths(0, 1.5)).toThrow(RangeError);
  });
});

describe('R11: subscription months (for cancellations)', () => {
  const anchor = at('2027-01-31T00:00:00.000Z');
  it.each([
    ['before the anchor', '2027-01-01T00:00:00.000Z', 0, '2027-02-28T00:00:00.000Z'],
    ['at the anchor', '2027-01-31T00:00:00.000Z', 0, '2027-02-28T00:00:00.000Z'],
    ['the last moment of the first month', '2027-02-27T23:59:59.999Z', 0, '2027-02-28T00:00:00.000Z'],
    ['the first moment of the second month (the 28th)', '2027-02-28T00:00:00.000Z', 1, '2027-03-31T00:00:00.000Z'],
    ['mid second month', '2027-03-15T00:00:00.000Z', 1, '2027-03-31T00:00:00.000Z'],
    ['third month', '2027-04-10T00:00:00.000Z', 2, '2027-04-30T00:00:00.000Z'],
    ['a year and a day later', '2028-02-01T00:00:00.000Z', 12, '2028-02-29T00:00:00.000Z'],
  ])('%s', (_what, now, elapsed, monthEnd) => {
    expect(monthsElapsed(anchor, at(now))).toBe(elapsed);
    expect(iso(subscriptionMonthEnd(anchor, at(now)))).toBe(monthEnd);
  });
});

describe('R9: the trial window runs one year from the first registration date', () => {
  it.each([
    ['2026-03-01', '2027-03-01T00:00:00.000Z'],
    ['2027-12-31', '2028-12-31T00:00:00.000Z'],
    ['2024-02-29', '2025-02-28T00:00:00.000Z'],
    ['2027-02-28', '2028-02-28T00:00:00.000Z'],
  ])('registered %s → the trial window closes at %s', (registration, end) => {
    expect(iso(trialEndsAt(registration))).toBe(end);
  });

  it('rejects a date that is not YYYY-MM-DD', () => {
    expect(() => utcDate('1/3/2026')).toThrow(RangeError);
  });
});
