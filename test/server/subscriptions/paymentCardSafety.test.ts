/**
 * Payment cards behind subscriptions (R10): the gateway's card token never leaves the server, and
 * the rule that the only card behind an active subscription cannot be removed holds even when the
 * check runs while a subscription is being started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { CardWallet } from '../../../server/subscriptions/cardWallet.js';
import { SimulatedPaymentGateway, TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import type { StoreTransaction } from '../../../server/store/store.js';
import { FaultyStore } from '../../support/faultyStore.js';
import { codeOf, rawCall } from '../../support/httpCalls.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

let n = 0;
async function mainUser(t: TestServer) {
  const v = await t.provision({ firstRegistration: '2020-01-01' });
  const phone = t.phone();
  await phone.signUp(`cards-${++n}-${Math.random().toString(36).slice(2)}@example.com`, 'Owner');
  await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
  await phone.activateStandardServices(v.vin);
  return { vin: v.vin, phone };
}

describe('R10: the card token stays on the server', () => {
  it('R10: no response of the subscription and card routes contains the gateway token, not even the next charge of a payment still being processed', async () => {
    const sim = new SimulatedPaymentGateway();
    const t = await startTestServer({ clock: new ManualClock(START), paymentGateway: sim });
    servers.push(t);
    const { vin, phone } = await mainUser(t);
    const token = phone.api.token ?? undefined;
    const bodies: string[] = [];
    const call = async (method: string, path: string, body?: object) => {
      const res = await rawCall(t.baseUrl, method, path, { token, ...(body ? { body } : {}) });
      bodies.push(`${method} ${path} ${res.status} ${JSON.stringify(res.json)}`);
      return res;
    };
    const added = await call('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    const cardId = (added.json as { card: { cardId: string } }).card.cardId;
    const other = await call('POST', '/v1/me/cards', { number: TEST_CARDS.mastercard, expMonth: 12, expYear: 2099 });
    const otherId = (other.json as { card: { cardId: string } }).card.cardId;
    const tokens = (await new CardWallet(t.store).get(phone.accountId!)).cards.map((c) => c.token);
    expect(tokens).toHaveLength(2);
    await call('GET', '/v1/me/cards');
    await call('POST', `/v1/me/cards/${cardId}/primary`, {});
    await call('GET', '/v1/subscription-plans');
    // The provider does not answer: the plan stays pending, its charge (with the card) under way.
    sim.outage = true;
    expect((await call('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'monthly' })).status).toBe(202);
    const pending = await call('GET', `/v1/vehicles/${vin}/subscriptions/current`);
    expect(pending.json).toMatchObject({ state: 'pending-payment', subscription: { nextCharge: { card: { cardId, brand: 'visa', last4: '4242' } } } });
    sim.outage = false;
    t.clock.advance(61_000);
    await t.app.scheduler.runDue();
    await call('GET', `/v1/vehicles/${vin}/subscriptions/current`);
    await call('PUT', `/v1/vehicles/${vin}/subscriptions/current/auto-renew`, { autoRenew: false });
    await call('PUT', `/v1/vehicles/${vin}/subscriptions/current/auto-renew`, { autoRenew: true });
    await call('GET', `/v1/vehicles/${vin}/subscriptions/payments`);
    await call('DELETE', `/v1/me/cards/${otherId}`);
    await call('DELETE', `/v1/me/cards/${cardId}`);
    await call('DELETE', `/v1/vehicles/${vin}/subscriptions/current`, { mode: 'withdraw' });
    await call('DELETE', `/v1/vehicles/${vin}/standard-services`);
    expect(bodies.length).toBe(15);
    // A simulator token is `sim_<last4>_…` (charge and refund references, `ch_sim_…`, `re_sim_…`, may be shown).
    for (const b of bodies) {
      expect(b).not.toMatch(/\bsim_\d{4}_/);
      for (const tok of tokens) expect(b).not.toContain(tok);
    }
  });
});

describe('R10: the only card behind an active subscription', () => {
  it('R10: a card-removal check that runs while a paid plan is being started does not forget the plan: the only card stays (CARD_IN_USE)', async () => {
    const t = await startTestServer({ clock: new ManualClock(START), paymentGateway: new SimulatedPaymentGateway() });
    servers.push(t);
    const { vin, phone } = await mainUser(t);
    const { card } = await phone.api.request<{ card: { cardId: string } }>('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    // The check runs between the start's "pays for this vehicle" entry and its commit.
    const { vehicles } = t.app.ctx;
    const update = vehicles.update.bind(vehicles);
    let raced = false;
    vehicles.update = (async (...args: Parameters<typeof update>) => {
      if (!raced) {
        raced = true;
        // A plan being started already counts (issue 11: its card could otherwise be removed right now).
        expect(await t.app.subscriptions.paysActiveSubscription(phone.accountId!)).toBe(true);
      }
      return update(...args);
    }) as typeof vehicles.update;
    await phone.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'monthly' });
    vehicles.update = update;
    expect(raced).toBe(true);
    expect(await t.app.subscriptions.paysActiveSubscription(phone.accountId!)).toBe(true);
    expect(await codeOf(phone.api.request('DELETE', `/v1/me/cards/${card.cardId}`))).toBe('CARD_IN_USE');
  });
});

describe('R10: the only card behind a plan being started can never be removed, under any interleaving', () => {
  /** Whether a commit writes the plan's entry in the account's subscriptions (the start's reservation). */
  const reservesFor = (accountId: string) => (tx: StoreTransaction) => (tx.hset ?? []).some((h) => h.key === storeKeys.accountSubscriptions(accountId));

  it.each(['before', 'after'] as const)("R10: removing the only card right %s the start's reservation commit leaves no running plan without a card", async (when) => {
    const clock = new ManualClock(START);
    const store = new FaultyStore(new MemoryStore({ clock }));
    const t = await startTestServer({ clock, store });
    servers.push(t);
    const { vin, phone } = await mainUser(t);
    const added = await phone.api.request<{ card: { cardId: string } }>('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    const reserves = reservesFor(phone.accountId!);
    let removal: { status: number; code: string | undefined } | null = null;
    const remove = async () => {
      const res = await rawCall(t.baseUrl, 'DELETE', `/v1/me/cards/${added.card.cardId}`, { token: phone.api.token! });
      removal = { status: res.status, code: res.json?.error?.code };
    };
    // The removal runs at that exact point of the start, once.
    if (when === 'before') store.beforeCommit = async (tx) => (reserves(tx) && !removal ? remove() : undefined);
    else store.afterCommit = async (tx, committed) => (committed && reserves(tx) && !removal ? remove() : undefined);

    const started = await rawCall(t.baseUrl, 'POST', `/v1/vehicles/${vin}/subscriptions`, { token: phone.api.token!, body: { plan: 'monthly' } });
    store.beforeCommit = store.afterCommit = null;
    expect(removal).not.toBeNull();
    const wallet = await phone.api.request<{ cards: unknown[] }>('GET', '/v1/me/cards');
    const current = await phone.api.request<{ state: string }>('GET', `/v1/vehicles/${vin}/subscriptions/current`);
    // Exactly one of the two won: the plan runs with its card, or the card is gone and no plan started.
    if (removal!.status === 200) {
      expect([started.status, started.json?.error?.code]).toEqual([409, 'PAYMENT_METHOD_REQUIRED']);
      expect(wallet.cards).toHaveLength(0);
      expect(current.state).toBe('none');
    } else {
      expect(removal).toEqual({ status: 409, code: 'CARD_IN_USE' });
      expect(started.status).toBe(201);
      expect(wallet.cards).toHaveLength(1);
      expect(current.state).toBe('active');
    }
  });
});
