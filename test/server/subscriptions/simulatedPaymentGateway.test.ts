/**
 * The payment-gateway simulator and card numbers at the boundary (R10): test cards that succeed,
 * decline or fail intermittently (seeded, repeatable), idempotency like a real provider's, refunds
 * bounded by the charge, and Luhn / brand checks.
 */
import { describe, expect, it } from 'vitest';
import { cardBrand, normalizeCardNumber, passesLuhn } from '../../../server/subscriptions/cardNumber.js';
import { SimulatedPaymentGateway, TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';

const charge = (gw: SimulatedPaymentGateway, token: string, key: string, amountCents = 4990) => gw.charge({ amountCents, currency: 'EUR', cardToken: token, idempotencyKey: key, description: 'test' });

describe('card numbers', () => {
  it.each([
    ['4242 4242 4242 4242', true, 'visa'],
    ['5555-5555-5555-4444', true, 'mastercard'],
    ['2223003122003222', true, 'mastercard'],
    ['4000000000000002', true, 'visa'],
    ['4242424242424241', false, 'visa'],
    ['378282246310005', true, null],
    ['6011111111111117', true, null],
    ['1234', false, null],
    ['42424242424242a2', false, null],
  ])('%s: Luhn %s, brand %s', (input, luhn, brand) => {
    const digits = normalizeCardNumber(input);
    expect(passesLuhn(digits)).toBe(luhn);
    expect(cardBrand(digits)).toBe(brand);
  });
});

describe('the simulator', () => {
  it('tokenizes a card into a token, brand and last four digits; the number is nowhere in the token', async () => {
    const gw = new SimulatedPaymentGateway();
    const token = await gw.tokenizeCard({ number: '4242 4242 4242 4242', expMonth: 12, expYear: 2030 });
    expect(token).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(token.token).not.toContain('424242424242');
    await expect(gw.tokenizeCard({ number: '4242424242424241', expMonth: 1, expYear: 2030 })).rejects.toThrow();
  });

  it.each([
    [TEST_CARDS.visa, 'succeeded'],
    [TEST_CARDS.mastercard, 'succeeded'],
    [TEST_CARDS.declined, 'declined'],
    [TEST_CARDS.insufficientFunds, 'declined'],
  ])('test card %s → %s', async (number, status) => {
    const gw = new SimulatedPaymentGateway();
    const { token } = await gw.tokenizeCard({ number, expMonth: 12, expYear: 2030 });
    expect((await charge(gw, token, `k-${number}`)).status).toBe(status);
  });

  it('the intermittent card fails for some idempotency keys and not others, the same way for the same seed', async () => {
    const outcomes = async (seed: string) => {
      const gw = new SimulatedPaymentGateway({ seed });
      const { token } = await gw.tokenizeCard({ number: TEST_CARDS.intermittent, expMonth: 12, expYear: 2030 });
      return Promise.all(Array.from({ length: 40 }, async (_, i) => (await charge(gw, token, `key-${i}`)).status));
    };
    const a = await outcomes('seed-1');
    expect(a).toEqual(await outcomes('seed-1'));
    expect(a).toContain('failed');
    expect(a).toContain('succeeded');
    expect(await outcomes('seed-2')).not.toEqual(a);
  });

  it('deduplicates by idempotency key: the same key charges once and answers the same; reusing it for another request is an error', async () => {
    const gw = new SimulatedPaymentGateway();
    const { token } = await gw.tokenizeCard({ number: TEST_CARDS.visa, expMonth: 12, expYear: 2030 });
    const first = await charge(gw, token, 'sub:p1:a1');
    expect(await charge(gw, token, 'sub:p1:a1')).toEqual(first);
    expect(gw.charges.size).toBe(1);
    expect(gw.chargeCalls).toBe(2);
    await expect(charge(gw, token, 'sub:p1:a1', 1)).rejects.toThrow(/idempotency/);
  });

  it('refunds at most what was charged, idempotently; an outage throws (outcome unknown)', async () => {
    const gw = new SimulatedPaymentGateway();
    const { token } = await gw.tokenizeCard({ number: TEST_CARDS.visa, expMonth: 12, expYear: 2030 });
    const c = await charge(gw, token, 'k1', 1000);
    if (c.status !== 'succeeded') throw new Error('expected a charge');
    expect((await gw.refund({ chargeId: c.chargeId, amountCents: 600, idempotencyKey: 'r1' })).status).toBe('succeeded');
    expect((await gw.refund({ chargeId: c.chargeId, amountCents: 600, idempotencyKey: 'r1' })).status).toBe('succeeded');
    expect(await gw.refund({ chargeId: c.chargeId, amountCents: 600, idempotencyKey: 'r2' })).toEqual({ status: 'failed', failure: 'amount_too_large' });
    expect(gw.netCents()).toBe(400);
    gw.outage = true;
    await expect(charge(gw, token, 'k2')).rejects.toThrow(/unreachable/);
  });
});
