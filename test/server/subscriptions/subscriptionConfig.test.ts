/**
 * The subscription options of the configuration (R10): prices in integer cents, the retry spacing,
 * the scheduler, the payment gateway — defaults, parsing, and a clear error for bad values.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, productionWarnings } from '../../../server/config.js';
import { billingTermsFromConfig } from '../../../server/subscriptions/billingTerms.js';

describe('subscription configuration', () => {
  it("R10: defaults: EUR, 4.99 a month, 49.90 a year, 44.90 a year for 2–5 years, retries a day apart, the customer's calendar Brussels", () => {
    const config = loadConfig({});
    expect(billingTermsFromConfig(config)).toEqual({ currency: 'EUR', prices: { monthly: 499, yearly: 4990, multiYearPerYear: 4490 }, multiYearMaxYears: 5, retryIntervalMs: 86_400_000, timeZone: 'Europe/Brussels' });
    expect(() => loadConfig({ CUSTOMER_TIME_ZONE: 'Mars/Olympus_Mons' })).toThrow(/CUSTOMER_TIME_ZONE/);
    expect(config).toMatchObject({ SCHEDULER_INTERVAL: 30, SCHEDULER_LEASE: 120, PAYMENT_GATEWAY: 'simulator' });
    expect(productionWarnings(config).join('\n')).toContain('PAYMENT_GATEWAY is the simulator');
  });

  it('parses durations and turns the scheduler timer off with 0', () => {
    const config = loadConfig({ PAYMENT_RETRY_INTERVAL: '12h', SCHEDULER_INTERVAL: '0', SCHEDULER_LEASE: '5m', PRICE_YEARLY_CENTS: '5990', SUBSCRIPTION_CURRENCY: 'CHF' });
    expect(config).toMatchObject({ PAYMENT_RETRY_INTERVAL: 43_200, SCHEDULER_INTERVAL: 0, SCHEDULER_LEASE: 300, PRICE_YEARLY_CENTS: 5990, SUBSCRIPTION_CURRENCY: 'CHF' });
  });

  it.each([
    ['PRICE_MONTHLY_CENTS', '4.99'],
    ['PRICE_YEARLY_CENTS', '-1'],
    ['SUBSCRIPTION_CURRENCY', 'euro'],
    ['MULTI_YEAR_MAX_YEARS', '1'],
    ['PAYMENT_RETRY_INTERVAL', '10d'],
    ['SCHEDULER_LEASE', '1'],
    ['PAYMENT_GATEWAY', 'stripe'],
  ])('refuses %s=%s with an error naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
