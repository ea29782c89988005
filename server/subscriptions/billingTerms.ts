/**
 * The commercial terms the rules run on (R10): plan prices in integer cents and the currency, from
 * configuration (server/config.ts), and the charge retry spacing. Plans are paid in advance, per
 * period: a month, a year, or a whole number of years.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Config } from '../config.js';
import type { PaidPlan, Plan } from '../domain/subscriptionRecord.js';

export interface BillingTerms {
  /** ISO 4217 code, e.g. EUR. */
  currency: string;
  /** Price per period in cents; multi-year is per year, times the years. */
  prices: { monthly: number; yearly: number; multiYearPerYear: number };
  /** A multi-year plan runs 2 … this many whole years. */
  multiYearMaxYears: number;
  /** R10: spacing of the two retries after a failed charge (a day: "over the next two days"). */
  retryIntervalMs: number;
  /** The customers' calendar (IANA time zone) in which consumer deadlines are counted (R11's 14 days). */
  timeZone: string;
}

/** R10: a charge is tried three times in all (the first attempt and two retries). */
export const CHARGE_ATTEMPTS = 3;

export function billingTermsFromConfig(config: Config): BillingTerms {
  return {
    currency: config.SUBSCRIPTION_CURRENCY,
    prices: { monthly: config.PRICE_MONTHLY_CENTS, yearly: config.PRICE_YEARLY_CENTS, multiYearPerYear: config.PRICE_MULTI_YEAR_CENTS_PER_YEAR },
    multiYearMaxYears: config.MULTI_YEAR_MAX_YEARS,
    retryIntervalMs: config.PAYMENT_RETRY_INTERVAL * 1000,
    timeZone: config.CUSTOMER_TIME_ZONE,
  };
}

/** Subscription months in one period of a plan (a trial has no fixed length: it ends with its window, R9). */
export function monthsPerPeriod(plan: PaidPlan, years?: number): number {
  if (plan === 'monthly') return 1;
  if (plan === 'yearly') return 12;
  return 12 * multiYearYears(years);
}

/** The years of a multi-year plan, which must be a whole number, 2 or more. */
function multiYearYears(years: number | undefined): number {
  if (!years || !Number.isInteger(years) || years < 2) throw new DigitalKeyError('VALIDATION_FAILED', 'a multi-year plan needs years (2 or more)');
  return years;
}

/** The price of one period of a plan, in cents (0 for the trial). */
export function priceCents(terms: BillingTerms, plan: Plan, years?: number): number {
  switch (plan) {
    case 'trial':
      return 0;
    case 'monthly':
      return terms.prices.monthly;
    case 'yearly':
      return terms.prices.yearly;
    case 'multi-year':
      return terms.prices.multiYearPerYear * multiYearYears(years);
  }
}

/** Check a requested plan against the terms: `years` only (and always) for multi-year, within the limit. */
export function assertPlanRequest(terms: BillingTerms, plan: Plan, years: number | undefined): void {
  if (plan !== 'multi-year') {
    if (years !== undefined) throw new DigitalKeyError('VALIDATION_FAILED', 'body.years: only a multi-year plan has years');
    return;
  }
  if (years === undefined || years < 2 || years > terms.multiYearMaxYears) {
    throw new DigitalKeyError('VALIDATION_FAILED', `body.years: a multi-year plan runs 2 to ${terms.multiYearMaxYears} whole years`);
  }
}

/** "EUR 49.90": amounts in messages to users. */
export function formatCents(cents: number, currency: string): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${currency} ${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
