/**
 * Subscriptions through the HTTP API (R1, R4b, R9, R10, R11): trials from the first registration,
 * paid plans paid in advance with the primary card, renewals on the anchor day, retries and the
 * cancellation after the third failure, cancellation and withdrawal refunds to the card that paid,
 * cards, and every end wiping the keys. Time is the test server's ManualClock; the scheduler runs
 * when a test calls `runDue()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { prorate } from '../../../server/subscriptions/cancellationOutcome.js';
import type { SimulatedPaymentGateway } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { readAuditTrail } from '../../../server/vehicles/auditTrail.js';
import { codeOf, rawCall } from '../../support/httpCalls.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

interface Money {
  amountCents: number;
  currency: string;
}
interface View {
  state: string;
  keysAllowed: boolean;
  trial: { available: boolean; endsAt: string; used: boolean };
  subscription: null | {
    subscriptionId: string;
    plan: string;
    years?: number;
    status: string;
    autoRenew: boolean;
    period: { start: string; end: string };
    endsAt: string | null;
    priceCents: number;
    currency: string;
    nextCharge: (Money & { at: string; attempt: number; card: { cardId: string; last4: string } | null }) | null;
    next?: Money & { plan: string; startsAt: string };
    retry?: { failedAttempts: number; attempts: number; nextAttemptAt: string | null };
    lastCharge?: Money & { cardId: string; last4: string };
    refundedCents: number;
    withdrawalUntil?: string;
    cancelAt?: string;
    endReason?: string;
  };
}
interface Payment extends Money {
  kind: 'charge' | 'refund';
  status: string;
  cardId: string | null;
  description: string;
}

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function server(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const t = await startTestServer(opts);
  servers.push(t);
  return t;
}

let n = 0;
const email = (who: string) => `${who}-sub-${++n}@example.com`;
const iso = (ms: number) => new Date(ms).toISOString();
const gateway = (t: TestServer) => t.app.paymentGateway as SimulatedPaymentGateway;

/** A vehicle and its main user (claimed, Standard Services active), no subscription yet. */
async function owner(t: TestServer, opts: { firstRegistration?: string } = {}) {
  const v = await t.provision(opts.firstRegistration ? { firstRegistration: opts.firstRegistration } : {});
  const phone = t.phone();
  await phone.signUp(email('owner'), 'Owner');
  await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
  await phone.activateStandardServices(v.vin);
  return { ...v, phone };
}

const subscribe = (p: PhoneApp, vin: string, body: Record<string, unknown>) => p.api.request<View & { started: string }>('POST', `/v1/vehicles/${vin}/subscriptions`, body);
const current = (p: PhoneApp, vin: string) => p.api.request<View>('GET', `/v1/vehicles/${vin}/subscriptions/current`);
const cancel = (p: PhoneApp, vin: string, mode: 'cancel' | 'withdraw') =>
  p.api.request<View & { effectiveAt: string; immediate: boolean; keysWiped: boolean; refund: (Money & { cardId: string; last4: string; basis: string }) | null }>('DELETE', `/v1/vehicles/${vin}/subscriptions/current`, { mode });
const quote = (p: PhoneApp, vin: string, mode: 'cancel' | 'withdraw') =>
  p.api.request<{ mode: string; effectiveAt: string; immediate: boolean; refund: Money | null; basis: string }>('GET', `/v1/vehicles/${vin}/subscriptions/current/cancellation?mode=${mode}`);
const addCard = async (p: PhoneApp, number: string) => (await p.api.request<{ card: { cardId: string; last4: string; primary: boolean } }>('POST', '/v1/me/cards', { number, expMonth: 12, expYear: 2099 })).card;
const makePrimary = (p: PhoneApp, cardId: string) => p.api.request('POST', `/v1/me/cards/${cardId}/primary`, {});
const payments = async (p: PhoneApp, vin: string) => (await p.api.request<{ payments: Payment[] }>('GET', `/v1/vehicles/${vin}/subscriptions/payments`)).payments;
const notices = async (t: TestServer, p: PhoneApp) => (await t.app.outbox.list(p.accountId!)).map((m) => m.kind);

/** Move the test clock to an instant and log the phones in again (sessions are short-lived). */
async function travel(t: TestServer, to: string | number, ...phones: PhoneApp[]): Promise<void> {
  t.clock.set(typeof to === 'number' ? to : Date.parse(to));
  for (const p of phones) await p.logIn();
}

async function lastAudit(t: TestServer, vin: string) {
  return (await readAuditTrail(t.app.ctx, vin)).at(-1)!;
}

describe('R1: Standard Services and an active subscription', () => {
  it('R1: a key is issued only with an active subscription (SUBSCRIPTION_INACTIVE otherwise), and a subscription only with Standard Services', async () => {
    const t = await server();
    const v = await t.provision();
    const phone = t.phone();
    await phone.signUp(email('r1'), 'R1');
    await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
    expect(await codeOf(subscribe(phone, v.vin, { plan: 'trial' }))).toBe('STANDARD_SERVICES_INACTIVE');
    await phone.activateStandardServices(v.vin);
    const res = await rawCall(t.baseUrl, 'POST', `/v1/vehicles/${v.vin}/keys`, { token: phone.api.token!, body: { passkeyId: phone.passkeyId } });
    expect(res.status).toBe(409);
    expect(res.json?.error?.code).toBe('SUBSCRIPTION_INACTIVE');
    await subscribe(phone, v.vin, { plan: 'trial' });
    await phone.requestKey(v.vin);
    expect((await current(phone, v.vin)).keysAllowed).toBe(true);
  });

  it('R1: an invitation cannot be accepted once the subscription is over, even before the scheduler has wiped the keys', async () => {
    const t = await server();
    const { vin, phone } = await owner(t, { firstRegistration: '2026-03-01' });
    await subscribe(phone, vin, { plan: 'trial' });
    await phone.requestKey(vin);
    await travel(t, '2027-02-27T00:00:00.000Z', phone);
    const { code } = await phone.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, { perms: ['unlock'] });
    const guest = t.phone();
    await guest.signUp(email('guest'), 'Guest');
    await travel(t, '2027-03-01T00:00:00.000Z', guest);
    expect(await codeOf(guest.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: guest.passkeyId }))).toBe('SUBSCRIPTION_INACTIVE');
  });

  it('R1, R4b: ending Standard Services ends the subscription and wipes every key in one step; the audit says why', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await subscribe(phone, vin, { plan: 'trial' });
    const key = await phone.requestKey(vin);
    const res = await phone.api.request<{ revokedKeyIds: string[]; epoch: number }>('DELETE', `/v1/vehicles/${vin}/standard-services`, {});
    expect(res).toMatchObject({ revokedKeyIds: [key.keyId], epoch: 1 });
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');
    expect(await current(phone, vin)).toMatchObject({ state: 'ended', keysAllowed: false, subscription: { endReason: 'standard-services-ended' } });
    expect(await lastAudit(t, vin)).toMatchObject({ action: 'wipe', reason: 'subscription-ended', actor: { role: 'main' }, epoch: 1 });
    expect(JSON.stringify((await lastAudit(t, vin)).detail)).toContain('Standard Services ended');
    expect(await codeOf(phone.requestKey(vin))).toBe('STANDARD_SERVICES_INACTIVE');
    // R9: ending them did not use the trial up: what is left of it can start again.
    await phone.activateStandardServices(vin);
    expect((await subscribe(phone, vin, { plan: 'trial' })).state).toBe('trial');
  });
});

describe('R9: the trial', () => {
  it('R9: the trial runs one year from the first registration date, not from the claim', async () => {
    const t = await server();
    const { vin, phone } = await owner(t, { firstRegistration: '2026-03-01' });
    const view = await subscribe(phone, vin, { plan: 'trial' });
    expect(view).toMatchObject({ state: 'trial', started: 'trial', subscription: { plan: 'trial', priceCents: 0, nextCharge: null, period: { start: iso(t.clock.now()), end: '2027-03-01T00:00:00.000Z' }, endsAt: '2027-03-01T00:00:00.000Z' } });
  });

  it('R9: a trial never runs longer than a year: a vehicle claimed before its registration date gets a year from the start, not 16 months', async () => {
    const t = await server();
    // The test clock is 2026-11-25; the car is registered four months later.
    const { vin, phone } = await owner(t, { firstRegistration: '2027-03-25' });
    const view = await subscribe(phone, vin, { plan: 'trial' });
    expect(view.subscription!.period).toEqual({ start: iso(t.clock.now()), end: '2027-11-25T12:00:00.000Z' });
    expect(Date.parse(view.subscription!.period.end)).toBeLessThanOrEqual(Date.parse('2028-03-25T00:00:00.000Z'));
  });

  it('R9: a second-hand buyer gets only what is left of the trial', async () => {
    const t = await server();
    const first = await owner(t, { firstRegistration: '2026-03-01' });
    await subscribe(first.phone, first.vin, { plan: 'trial' });
    await travel(t, '2027-01-10T09:00:00.000Z', first.phone);
    const buyer = t.phone();
    await buyer.signUp(email('buyer'), 'Buyer');
    await buyer.claim(first.vin, { method: 'qr', qrToken: first.qrToken });
    await buyer.activateStandardServices(first.vin);
    expect((await current(buyer, first.vin)).state).toBe('none');
    const view = await subscribe(buyer, first.vin, { plan: 'trial' });
    expect(view.subscription!.period).toEqual({ start: '2027-01-10T09:00:00.000Z', end: '2027-03-01T00:00:00.000Z' });
    // The seller's trial ended with the claim (not transferable); the claim notice told them.
    expect(await notices(t, first.phone)).toEqual(['vehicle-claimed-by-another']);
  });

  it('R9: a vehicle gets the trial once, whoever claims it: once cancelled, nobody gets it again', async () => {
    const t = await server();
    const first = await owner(t);
    await subscribe(first.phone, first.vin, { plan: 'trial' });
    expect(await cancel(first.phone, first.vin, 'cancel')).toMatchObject({ state: 'ended', immediate: true, refund: null, trial: { available: false, used: true } });
    expect(await codeOf(subscribe(first.phone, first.vin, { plan: 'trial' }))).toBe('TRIAL_UNAVAILABLE');
    const buyer = t.phone();
    await buyer.signUp(email('buyer'), 'Buyer');
    await buyer.claim(first.vin, { method: 'qr', qrToken: first.qrToken });
    await buyer.activateStandardServices(first.vin);
    expect(await codeOf(subscribe(buyer, first.vin, { plan: 'trial' }))).toBe('TRIAL_UNAVAILABLE');
  });

  it('R9: a vehicle first registered more than a year ago has no trial left', async () => {
    const t = await server();
    const { vin, phone } = await owner(t, { firstRegistration: '2025-11-25' });
    expect((await current(phone, vin)).trial).toEqual({ available: false, endsAt: '2026-11-25T00:00:00.000Z', used: false });
    expect(await codeOf(subscribe(phone, vin, { plan: 'trial' }))).toBe('TRIAL_UNAVAILABLE');
  });

  it('R9, R4b: the trial running out with no paid plan ends the subscription and wipes every key, shared ones included; the audit says why', async () => {
    const t = await server();
    const { vin, phone } = await owner(t, { firstRegistration: '2026-03-01' });
    await subscribe(phone, vin, { plan: 'trial' });
    await phone.requestKey(vin);
    const { code } = await phone.api.request<{ code: string }>('POST', `/v1/vehicles/${vin}/invitations`, { perms: ['unlock'] });
    const guest = t.phone();
    await guest.signUp(email('guest'), 'Guest');
    guest.wallet.put(vin, await guest.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: guest.passkeyId }));

    await travel(t, '2027-02-28T23:59:59.000Z', phone, guest);
    expect((await t.app.scheduler.runDue()).processed).toBeGreaterThanOrEqual(0);
    await phone.refresh(vin);
    // At the trial's end keys stop at once, before the scheduler has even run (R1).
    await travel(t, '2027-03-01T00:00:00.000Z', phone, guest);
    expect(await codeOf(phone.refresh(vin))).toBe('SUBSCRIPTION_INACTIVE');
    await t.app.scheduler.runDue();
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');
    expect(await codeOf(guest.refresh(vin))).toBe('REVOKED');
    expect(await current(phone, vin)).toMatchObject({ state: 'ended', subscription: { endReason: 'trial-over' }, trial: { used: true, available: false } });
    const audit = await lastAudit(t, vin);
    expect(audit).toMatchObject({ action: 'wipe', reason: 'subscription-ended', actor: { role: 'system' }, epoch: 1 });
    expect(audit.keyIds).toHaveLength(2);
    expect(JSON.stringify(audit.detail)).toContain('trial is over');
    expect(await notices(t, phone)).toEqual(['subscription-ended']);
  });
});

describe('R10: plans, prices and payment in advance', () => {
  it('R10: prices come from configuration and are shown in cents', async () => {
    const t = await server({ env: { PRICE_MONTHLY_CENTS: '799', PRICE_YEARLY_CENTS: '7900', PRICE_MULTI_YEAR_CENTS_PER_YEAR: '7000', MULTI_YEAR_MAX_YEARS: '4', SUBSCRIPTION_CURRENCY: 'EUR' } });
    const plans = (await rawCall(t.baseUrl, 'GET', '/v1/subscription-plans')).json as unknown as { currency: string; plans: Array<{ plan: string; priceCents: number }>; multiYear: { maxYears: number } };
    expect(plans.currency).toBe('EUR');
    expect(plans.plans.map((p) => [p.plan, p.priceCents])).toEqual([['trial', 0], ['monthly', 799], ['yearly', 7900], ['multi-year', 7000]]);
    expect(plans.multiYear.maxYears).toBe(4);
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.visa);
    expect((await subscribe(phone, vin, { plan: 'monthly' })).subscription).toMatchObject({ priceCents: 799, lastCharge: { amountCents: 799, currency: 'EUR' }, nextCharge: { amountCents: 799 } });
  });

  it('R10: a paid plan is paid in advance with the primary card; a declined card starts nothing (PAYMENT_FAILED)', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    expect(await codeOf(subscribe(phone, vin, { plan: 'yearly' }))).toBe('PAYMENT_METHOD_REQUIRED');
    const card = await addCard(phone, TEST_CARDS.visa);
    const view = await subscribe(phone, vin, { plan: 'yearly' });
    expect(view).toMatchObject({
      state: 'active',
      keysAllowed: true,
      subscription: {
        plan: 'yearly',
        autoRenew: true,
        period: { start: '2026-11-25T12:00:00.000Z', end: '2027-11-25T12:00:00.000Z' },
        lastCharge: { amountCents: 4990, currency: 'EUR', cardId: card.cardId, last4: '4242' },
        nextCharge: { at: '2027-11-25T12:00:00.000Z', amountCents: 4990, card: { cardId: card.cardId } },
      },
    });
    expect([...gateway(t).charges.values()].map((c) => c.amountCents)).toEqual([4990]);
    await phone.requestKey(vin);

    const other = await owner(t);
    await addCard(other.phone, TEST_CARDS.declined);
    const res = await rawCall(t.baseUrl, 'POST', `/v1/vehicles/${other.vin}/subscriptions`, { token: other.phone.api.token!, body: { plan: 'monthly' } });
    expect(res.status).toBe(402);
    expect(res.json?.error?.code).toBe('PAYMENT_FAILED');
    expect(await current(other.phone, other.vin)).toMatchObject({ keysAllowed: false, subscription: { status: 'ended', endReason: 'initial-payment-failed' } });
    expect(await payments(other.phone, other.vin)).toEqual([expect.objectContaining({ kind: 'charge', status: 'declined', amountCents: 499 })]);
    expect(await codeOf(other.phone.requestKey(other.vin))).toBe('SUBSCRIPTION_INACTIVE');
  });

  it('R10: a multi-year plan runs whole years (2 to MULTI_YEAR_MAX_YEARS), all paid up front', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.mastercard);
    for (const body of [{ plan: 'multi-year' }, { plan: 'multi-year', years: 1 }, { plan: 'multi-year', years: 6 }, { plan: 'multi-year', years: 2.5 }, { plan: 'monthly', years: 2 }, { plan: 'weekly' }]) {
      expect(await codeOf(subscribe(phone, vin, body)), JSON.stringify(body)).toBe('VALIDATION_FAILED');
    }
    const view = await subscribe(phone, vin, { plan: 'multi-year', years: 3 });
    expect(view.subscription).toMatchObject({ plan: 'multi-year', years: 3, priceCents: 3 * 4490, period: { end: '2029-11-25T12:00:00.000Z' } });
  });

  it('R10: no plan change while one runs (SUBSCRIPTION_EXISTS): the user cancels first', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'monthly' });
    expect(await codeOf(subscribe(phone, vin, { plan: 'yearly' }))).toBe('SUBSCRIPTION_EXISTS');
    expect(await codeOf(subscribe(phone, vin, { plan: 'trial' }))).toBe('SUBSCRIPTION_EXISTS');
    await cancel(phone, vin, 'cancel');
    // Cancelled but still running until the end of the cycle: still no new plan.
    expect(await codeOf(subscribe(phone, vin, { plan: 'yearly' }))).toBe('SUBSCRIPTION_EXISTS');
    await travel(t, '2026-12-25T12:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect((await subscribe(phone, vin, { plan: 'yearly' })).state).toBe('active');
  });

  it('R10: the paid plan chosen during a trial starts, and is charged, when the trial ends; the keys carry on', async () => {
    const t = await server();
    const { vin, phone } = await owner(t, { firstRegistration: '2026-03-01' });
    await subscribe(phone, vin, { plan: 'trial' });
    const key = await phone.requestKey(vin);
    expect(await codeOf(subscribe(phone, vin, { plan: 'yearly' }))).toBe('PAYMENT_METHOD_REQUIRED');
    await addCard(phone, TEST_CARDS.visa);
    const queued = await subscribe(phone, vin, { plan: 'yearly' });
    expect(queued).toMatchObject({ started: 'queued', state: 'trial', subscription: { next: { plan: 'yearly', startsAt: '2027-03-01T00:00:00.000Z', amountCents: 4990 }, nextCharge: { at: '2027-03-01T00:00:00.000Z', amountCents: 4990 }, endsAt: null } });
    expect(await codeOf(subscribe(phone, vin, { plan: 'monthly' }))).toBe('SUBSCRIPTION_EXISTS');
    expect(gateway(t).charges.size).toBe(0);

    await travel(t, '2027-03-01T00:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect(await current(phone, vin)).toMatchObject({
      state: 'active',
      trial: { used: true },
      subscription: { plan: 'yearly', period: { start: '2027-03-01T00:00:00.000Z', end: '2028-03-01T00:00:00.000Z' }, lastCharge: { amountCents: 4990 } },
    });
    expect((await phone.refresh(vin)).keyId).toBe(key.keyId);
  });

  it('R10: auto-renewal is on by default and renews on the anchor day: 31 January → 28 February → 31 March', async () => {
    const t = await server();
    t.clock.set(Date.parse('2027-01-31T08:00:00.000Z'));
    const { vin, phone } = await owner(t, { firstRegistration: '2025-01-01' });
    await addCard(phone, TEST_CARDS.visa);
    expect((await subscribe(phone, vin, { plan: 'monthly' })).subscription!.period.end).toBe('2027-02-28T08:00:00.000Z');
    await phone.requestKey(vin);
    // Nothing is due a moment before the period ends.
    await travel(t, '2027-02-28T07:59:59.999Z', phone);
    await t.app.scheduler.runDue();
    expect(gateway(t).charges.size).toBe(1);
    await travel(t, '2027-02-28T08:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect((await current(phone, vin)).subscription!.period).toEqual({ start: '2027-02-28T08:00:00.000Z', end: '2027-03-31T08:00:00.000Z' });
    await travel(t, '2027-03-31T08:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect((await current(phone, vin)).subscription!.period).toEqual({ start: '2027-03-31T08:00:00.000Z', end: '2027-04-30T08:00:00.000Z' });
    expect((await payments(phone, vin)).map((p) => [p.kind, p.status, p.amountCents])).toEqual([['charge', 'succeeded', 499], ['charge', 'succeeded', 499], ['charge', 'succeeded', 499]]);
    await phone.refresh(vin);
  });

  it('R10: with auto-renewal off the subscription ends at the end of its period, without a charge, and the keys are wiped', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'monthly' });
    await phone.requestKey(vin);
    const off = await phone.api.request<View>('PUT', `/v1/vehicles/${vin}/subscriptions/current/auto-renew`, { autoRenew: false });
    expect(off.subscription).toMatchObject({ autoRenew: false, nextCharge: null, endsAt: '2026-12-25T12:00:00.000Z' });
    await travel(t, '2026-12-25T12:00:00.000Z', phone);
    expect(await codeOf(phone.refresh(vin))).toBe('SUBSCRIPTION_INACTIVE');
    await t.app.scheduler.runDue();
    expect(await current(phone, vin)).toMatchObject({ state: 'ended', subscription: { endReason: 'not-renewed' } });
    expect(gateway(t).charges.size).toBe(1);
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');
    expect(JSON.stringify((await lastAudit(t, vin)).detail)).toContain('auto-renewal was off');
  });

  it('R10: only the primary card is charged', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    const visa = await addCard(phone, TEST_CARDS.visa);
    const mc = await addCard(phone, TEST_CARDS.mastercard);
    expect(mc.primary).toBe(false);
    await subscribe(phone, vin, { plan: 'monthly' });
    await makePrimary(phone, mc.cardId);
    await travel(t, '2026-12-25T12:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect((await payments(phone, vin)).map((p) => p.cardId)).toEqual([visa.cardId, mc.cardId]);
    expect((await current(phone, vin)).subscription!.lastCharge).toMatchObject({ cardId: mc.cardId, last4: '4444' });
  });
});

describe('R10: cards', () => {
  it('R10: the primary card cannot be removed while it is the only card behind an active subscription (CARD_IN_USE); with another card it can, and that card becomes primary', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    const first = await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'yearly' });
    const res = await rawCall(t.baseUrl, 'DELETE', `/v1/me/cards/${first.cardId}`, { token: phone.api.token! });
    expect(res.status).toBe(409);
    expect(res.json?.error?.code).toBe('CARD_IN_USE');
    const second = await addCard(phone, TEST_CARDS.mastercard);
    const after = await phone.api.request<{ cards: Array<{ cardId: string; primary: boolean }>; primaryCardId: string }>('DELETE', `/v1/me/cards/${first.cardId}`);
    expect(after).toEqual({ cards: [expect.objectContaining({ cardId: second.cardId, primary: true })], primaryCardId: second.cardId });
    expect(await codeOf(phone.api.request('DELETE', `/v1/me/cards/${first.cardId}`))).toBe('CARD_NOT_FOUND');
    expect(await codeOf(makePrimary(phone, first.cardId))).toBe('CARD_NOT_FOUND');
    // Once the subscription has ended, the last card can go.
    await cancel(phone, vin, 'withdraw');
    await phone.api.request('DELETE', `/v1/me/cards/${second.cardId}`);
  });

  it('R10: a trial alone needs no card, and does not hold one', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await subscribe(phone, vin, { plan: 'trial' });
    const card = await addCard(phone, TEST_CARDS.visa);
    await phone.api.request('DELETE', `/v1/me/cards/${card.cardId}`);
  });

  it('R10: card numbers are Luhn-checked, only Visa and Mastercard are taken, and the number is never stored or shown', async () => {
    const t = await server();
    const { phone } = await owner(t);
    for (const number of ['4242424242424241', '378282246310005', 'not a number', '4242']) {
      const res = await rawCall(t.baseUrl, 'POST', '/v1/me/cards', { token: phone.api.token!, body: { number, expMonth: 12, expYear: 2099 } });
      expect(res.status, number).toBe(400);
      expect(res.json?.error?.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.json)).not.toContain(number.slice(0, 12));
    }
    const expired = await rawCall(t.baseUrl, 'POST', '/v1/me/cards', { token: phone.api.token!, body: { number: TEST_CARDS.visa, expMonth: 10, expYear: 2026 } });
    expect(expired.json?.error?.code).toBe('VALIDATION_FAILED');
    await addCard(phone, '4242 4242 4242 4242');
    const listed = await rawCall(t.baseUrl, 'GET', '/v1/me/cards', { token: phone.api.token! });
    expect(listed.json).toMatchObject({ cards: [{ brand: 'visa', last4: '4242', primary: true }] });
    expect(JSON.stringify(listed.json)).not.toMatch(/4242424242424242|sim_/);
    const stored = await t.store.get(storeKeys.paymentCards(phone.accountId!));
    expect(stored).toContain('"last4":"4242"');
    expect(stored).not.toContain('4242424242424242');
  });
});

describe('R10: failed payments', () => {
  /** A monthly subscriber whose renewal will meet a declining primary card. */
  async function decliningRenewal(t: TestServer) {
    const o = await owner(t);
    const good = await addCard(o.phone, TEST_CARDS.visa);
    await subscribe(o.phone, o.vin, { plan: 'monthly' });
    await o.phone.requestKey(o.vin);
    const bad = await addCard(o.phone, TEST_CARDS.declined);
    await makePrimary(o.phone, bad.cardId);
    return { ...o, good, bad };
  }

  it('R10: a failed renewal is retried twice over the next two days; after the third failure the subscription is cancelled and every key wiped (R4b); the user is told after each failure and at the cancellation', async () => {
    const t = await server();
    const { vin, phone, bad } = await decliningRenewal(t);
    const renewal = Date.parse('2026-12-25T12:00:00.000Z');
    const day = 86_400_000;

    await travel(t, renewal, phone);
    await t.app.scheduler.runDue();
    expect(await current(phone, vin)).toMatchObject({ state: 'past-due', keysAllowed: true, subscription: { retry: { failedAttempts: 1, attempts: 3, nextAttemptAt: iso(renewal + day) }, nextCharge: { attempt: 2, card: { cardId: bad.cardId } } } });
    expect(await notices(t, phone)).toEqual(['payment-failed']);
    await phone.refresh(vin);

    // Not before the retry is due.
    await travel(t, renewal + day / 2, phone);
    await t.app.scheduler.runDue();
    expect(gateway(t).chargeCalls).toBe(2);

    await travel(t, renewal + day, phone);
    await t.app.scheduler.runDue();
    expect((await current(phone, vin)).subscription!.retry).toEqual({ failedAttempts: 2, attempts: 3, nextAttemptAt: iso(renewal + 2 * day) });
    await phone.refresh(vin);

    await travel(t, renewal + 2 * day, phone);
    await t.app.scheduler.runDue();
    expect(await current(phone, vin)).toMatchObject({ state: 'ended', keysAllowed: false, subscription: { endReason: 'payment-failed' } });
    expect(await notices(t, phone)).toEqual(['payment-failed', 'payment-failed', 'payment-failed', 'subscription-cancelled']);
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');
    const audit = await lastAudit(t, vin);
    expect(audit).toMatchObject({ action: 'wipe', reason: 'subscription-ended', actor: { role: 'system' } });
    expect(JSON.stringify(audit.detail)).toContain('third failed payment');
    expect((await payments(phone, vin)).map((p) => [p.status, p.amountCents])).toEqual([['succeeded', 499], ['declined', 499], ['declined', 499], ['declined', 499]]);
    // Nothing more happens later.
    await travel(t, renewal + 40 * day, phone);
    await t.app.scheduler.runDue();
    expect(gateway(t).chargeCalls).toBe(4);
  });

  it('R10: a renewal that goes through on the second retry keeps the subscription and the keys; the period still starts on the anchor day', async () => {
    const t = await server();
    const { vin, phone, good } = await decliningRenewal(t);
    const key = phone.wallet.get(vin)!.keyId;
    const renewal = Date.parse('2026-12-25T12:00:00.000Z');
    const day = 86_400_000;
    await travel(t, renewal, phone);
    await t.app.scheduler.runDue();
    await travel(t, renewal + day, phone);
    await t.app.scheduler.runDue();
    await makePrimary(phone, good.cardId);
    await travel(t, renewal + 2 * day, phone);
    await t.app.scheduler.runDue();
    expect(await current(phone, vin)).toMatchObject({ state: 'active', subscription: { period: { start: '2026-12-25T12:00:00.000Z', end: '2027-01-25T12:00:00.000Z' }, lastCharge: { cardId: good.cardId } } });
    expect(await notices(t, phone)).toEqual(['payment-failed', 'payment-failed', 'payment-succeeded']);
    expect((await phone.refresh(vin)).keyId).toBe(key);
  });
});

describe('R11: cancelling and withdrawing', () => {
  it('R11: cancelling a monthly plan ends it at the end of the current cycle, without refund; the keys work until then', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'monthly' });
    await phone.requestKey(vin);
    await travel(t, '2026-12-10T00:00:00.000Z', phone);
    expect(await cancel(phone, vin, 'cancel')).toMatchObject({ state: 'cancelled', immediate: false, effectiveAt: '2026-12-25T12:00:00.000Z', refund: null, keysWiped: false, subscription: { autoRenew: false, nextCharge: null } });
    await travel(t, '2026-12-25T11:59:59.000Z', phone);
    await phone.refresh(vin);
    await travel(t, '2026-12-25T12:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect(await current(phone, vin)).toMatchObject({ state: 'ended', subscription: { endReason: 'cancelled', refundedCents: 0 } });
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');
    expect(gateway(t).netCents()).toBe(499);
  });

  it('R11: cancelling a yearly plan ends it at the end of the current subscription month and refunds the unused whole months to the card that paid', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    const paidWith = await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'yearly' });
    await phone.requestKey(vin);
    // The user changes card afterwards: the refund still goes to the card that paid.
    await makePrimary(phone, (await addCard(phone, TEST_CARDS.mastercard)).cardId);
    await travel(t, '2027-01-10T00:00:00.000Z', phone);
    // The quote the portal shows before the user confirms: the same end and refund, and nothing changes yet.
    expect(await quote(phone, vin, 'cancel')).toEqual({
      mode: 'cancel',
      immediate: false,
      effectiveAt: '2027-01-25T12:00:00.000Z',
      refund: { amountCents: prorate(4990, 10, 12), currency: 'EUR' },
      basis: expect.stringContaining('10 unused whole month(s) of 12'),
    });
    expect((await current(phone, vin)).state).toBe('active');
    const res = await cancel(phone, vin, 'cancel');
    expect(res).toMatchObject({
      state: 'cancelled',
      immediate: false,
      effectiveAt: '2027-01-25T12:00:00.000Z',
      refund: { amountCents: prorate(4990, 10, 12), currency: 'EUR', cardId: paidWith.cardId, last4: '4242' },
      subscription: { refundedCents: prorate(4990, 10, 12), cancelAt: '2027-01-25T12:00:00.000Z' },
    });
    expect(res.refund!.basis).toContain('10 unused whole month(s) of 12');
    const charge = [...gateway(t).charges.values()][0]!;
    expect(charge.refundedCents).toBe(4158);
    expect((await payments(phone, vin)).map((p) => [p.kind, p.status, p.amountCents, p.cardId])).toEqual([
      ['charge', 'succeeded', 4990, paidWith.cardId],
      ['refund', 'succeeded', 4158, paidWith.cardId],
    ]);
    expect(await notices(t, phone)).toEqual(['refund-issued']);
    await phone.refresh(vin);
    await travel(t, '2027-01-25T12:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');
    expect(gateway(t).netCents()).toBe(4990 - 4158);
  });

  it("R11: the withdrawal period is counted in the account's own time zone when the profile names one", async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await phone.api.request('PATCH', '/v1/me', { timeZone: 'America/New_York' });
    await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'yearly' });
    // Contract on 25 November 07:00 in New York: 14 days from the 26th end at midnight there (UTC−5), not in Brussels.
    expect((await current(phone, vin)).subscription!.withdrawalUntil).toBe('2026-12-10T05:00:00.000Z');
  });

  it('R11: withdrawing within 14 days ends at once and refunds everything except the days used; after 14 days it is refused', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'yearly' });
    await phone.requestKey(vin);
    // 14 calendar days from the day after the contract, in the customer's calendar (Europe/Brussels): midnight there.
    expect((await current(phone, vin)).subscription!.withdrawalUntil).toBe('2026-12-09T23:00:00.000Z');
    await travel(t, '2026-11-28T13:00:00.000Z', phone);
    expect(await quote(phone, vin, 'withdraw')).toMatchObject({ mode: 'withdraw', immediate: true, refund: { amountCents: 4990 - prorate(4990, 4, 365), currency: 'EUR' } });
    const res = await cancel(phone, vin, 'withdraw');
    // Four started days (25th 12:00 → 28th 13:00) of 365 are kept.
    expect(res).toMatchObject({ state: 'ended', immediate: true, keysWiped: true, refund: { amountCents: 4990 - prorate(4990, 4, 365) }, subscription: { endReason: 'withdrawn' } });
    expect(await codeOf(phone.refresh(vin))).toBe('REVOKED');

    const late = await owner(t);
    await addCard(late.phone, TEST_CARDS.visa);
    await subscribe(late.phone, late.vin, { plan: 'monthly' });
    await travel(t, '2026-12-13T00:00:00.000Z', late.phone);
    expect(await codeOf(quote(late.phone, late.vin, 'withdraw'))).toBe('WITHDRAWAL_UNAVAILABLE');
    expect(await codeOf(cancel(late.phone, late.vin, 'withdraw'))).toBe('WITHDRAWAL_UNAVAILABLE');
  });

  it('R11: a claim by another account ends the previous main user\'s paid subscription at once with the cancellation refund; the buyer starts their own (R4b, R9)', async () => {
    const t = await server();
    const seller = await owner(t);
    const card = await addCard(seller.phone, TEST_CARDS.visa);
    await subscribe(seller.phone, seller.vin, { plan: 'yearly' });
    await travel(t, '2027-02-01T00:00:00.000Z', seller.phone);
    const buyer = t.phone();
    await buyer.signUp(email('buyer'), 'Buyer');
    await buyer.claim(seller.vin, { method: 'qr', qrToken: seller.qrToken });
    expect(await notices(t, seller.phone)).toEqual(['vehicle-claimed-by-another', 'subscription-ended', 'refund-issued']);
    expect(gateway(t).netCents()).toBe(4990 - prorate(4990, 9, 12));
    // The seller's card no longer pays anything; the buyer sees no subscription and gets the trial that is left.
    await seller.phone.api.request('DELETE', `/v1/me/cards/${card.cardId}`);
    await buyer.activateStandardServices(seller.vin);
    expect((await current(buyer, seller.vin)).state).toBe('none');
    expect((await subscribe(buyer, seller.vin, { plan: 'trial' })).subscription!.period.end).toBe('2027-03-01T00:00:00.000Z');
    // A year on, nobody is charged for the seller's old plan.
    await travel(t, '2027-11-25T12:00:00.000Z', buyer);
    await t.app.scheduler.runDue();
    expect(gateway(t).chargeCalls).toBe(1);
  });

  it('R11: removing the vehicle from the account ends the subscription; no renewal is charged afterwards', async () => {
    const t = await server();
    const { vin, phone } = await owner(t);
    await addCard(phone, TEST_CARDS.visa);
    await subscribe(phone, vin, { plan: 'monthly' });
    await phone.api.request('DELETE', `/v1/me/vehicles/${vin}`, {});
    await t.app.scheduler.runDue();
    expect(await notices(t, phone)).toEqual(['subscription-ended']);
    await travel(t, '2027-01-25T12:00:00.000Z', phone);
    await t.app.scheduler.runDue();
    expect(gateway(t).chargeCalls).toBe(1);
  });
});
