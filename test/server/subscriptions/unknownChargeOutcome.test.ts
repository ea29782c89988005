/**
 * Charges whose outcome is unknown or arrives late (R10, R11, R4b): the provider timed out, was
 * down, or answered an instance that had lost its lease. The due index never loses the vehicle, a
 * charge is retried until it is answered and counts as a failed attempt past R10's retry window,
 * money taken for a charge nobody wants any more goes back — once, to the account that paid — and
 * an answer that was applied already is never refunded. Time is a ManualClock; a gateway call is
 * held open with a promise the test resolves (no wall-clock sleeps).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { addMonths, DAY_MS } from '../../../server/subscriptions/billingCalendar.js';
import type { PaymentGateway } from '../../../server/subscriptions/paymentGateway.js';
import { SimulatedPaymentGateway, TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { PaymentLedger } from '../../../server/subscriptions/paymentLedger.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const START = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function server(opts: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const t = await startTestServer(opts);
  cleanups.push(() => t.close());
  return t;
}

/** A gateway call the test holds open: `entered` resolves when the call reached the provider's door, `release()` lets it through. */
function holdable(sim: SimulatedPaymentGateway): { gateway: PaymentGateway; hold: () => { entered: Promise<void>; release: () => void } } {
  let held: { gate: Promise<void>; arrived: () => void } | null = null;
  return {
    gateway: {
      kind: 'held',
      tokenizeCard: (c) => sim.tokenizeCard(c),
      refund: (r) => sim.refund(r),
      charge: async (r) => {
        if (held) {
          held.arrived();
          await held.gate;
        }
        return sim.charge(r);
      },
    },
    hold: () => {
      let arrived!: () => void;
      let release!: () => void;
      const entered = new Promise<void>((r) => (arrived = r));
      const gate = new Promise<void>((r) => (release = r));
      held = { gate, arrived };
      return {
        entered,
        release: () => {
          held = null;
          release();
        },
      };
    },
  };
}

let n = 0;
async function subscriber(t: TestServer, plan: 'monthly' | 'yearly' = 'monthly', firstRegistration = '2020-01-01'): Promise<{ vin: string; qrToken: string; phone: PhoneApp }> {
  const v = await t.provision({ firstRegistration });
  const phone = t.phone();
  await phone.signUp(`unknown-${++n}-${Math.random().toString(36).slice(2)}@example.com`, 'Owner');
  await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
  await phone.activateStandardServices(v.vin);
  await phone.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
  await phone.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan });
  return { vin: v.vin, qrToken: v.qrToken, phone };
}

const dueMembers = async (t: TestServer) => (await t.store.zrangeByScore(storeKeys.subscriptionsDue(), Number.MAX_SAFE_INTEGER, 1000)).map((e) => e.member);
const currentSub = async (t: TestServer, vin: string) => (await t.app.ctx.vehicles.get(vin)).subscriptions!;
const ledger = (t: TestServer, vin: string) => new PaymentLedger(t.app.ctx).lines(vin, 10_000);
const notices = async (t: TestServer, accountId: string) => (await t.app.outbox.list(accountId)).map((m) => m.kind);

describe('R10: a charge whose outcome stays unknown', () => {
  it('R10: a renewal the provider did not answer, twice, stays in the due index and is charged once the provider is back', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedPaymentGateway();
    const t = await server({ clock, paymentGateway: sim });
    const { vin, phone } = await subscriber(t);
    clock.set(addMonths(START, 1));
    sim.outage = true;
    await t.app.scheduler.runDue();
    clock.advance(61_000);
    await t.app.scheduler.runDue();
    expect(await dueMembers(t)).toContain(vin);
    sim.outage = false;
    clock.advance(DAY_MS);
    await t.app.scheduler.runDue();
    expect(sim.charges.size).toBe(2);
    const s = await currentSub(t, vin);
    expect(s.current).toMatchObject({ status: 'active', periodsPaid: 2, periodEnd: addMonths(START, 2) });
    expect(s.current).not.toHaveProperty('charging');
    await phone.logIn();
    expect(await phone.api.request('GET', `/v1/vehicles/${vin}/subscriptions/current`)).toMatchObject({ state: 'active', subscription: { period: { start: new Date(addMonths(START, 1)).toISOString() } } });
  });

  it('R10: a failure notice the outbox cannot take, due the instant the scheduler runs, keeps the vehicle in the due index: the retry still comes', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedPaymentGateway();
    const t = await server({ clock, paymentGateway: sim });
    const { vin, phone } = await subscriber(t);
    const { card } = await phone.api.request<{ card: { cardId: string } }>('POST', '/v1/me/cards', { number: TEST_CARDS.declined, expMonth: 12, expYear: 2099 });
    await phone.api.request('POST', `/v1/me/cards/${card.cardId}/primary`, {});
    const { outbox } = t.app;
    const notify = outbox.notify.bind(outbox);
    let outboxDown = true;
    outbox.notify = async (...args: Parameters<typeof notify>) => {
      if (outboxDown) throw new Error('outbox unreachable');
      return notify(...args);
    };
    clock.set(addMonths(START, 1));
    await t.app.scheduler.runDue();
    expect((await currentSub(t, vin)).current).toMatchObject({ status: 'past-due', failedAttempts: 1 });
    expect(await dueMembers(t)).toContain(vin);
    outboxDown = false;
    clock.advance(DAY_MS);
    await t.app.scheduler.runDue();
    expect((await currentSub(t, vin)).current).toMatchObject({ status: 'past-due', failedAttempts: 2 });
    expect(await notices(t, phone.accountId!)).toEqual(['payment-failed', 'payment-failed']);
  });

  it('R10: a renewal still unanswered two retry intervals after it was made counts as a failed attempt: the payer is told, it is retried, and after the third failure the subscription is cancelled and the keys refused (R4b)', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedPaymentGateway();
    const t = await server({ clock, paymentGateway: sim });
    const { vin, phone } = await subscriber(t);
    const renewal = addMonths(START, 1);
    clock.set(renewal);
    sim.outage = true;
    await t.app.scheduler.runDue();
    // Still unknown within the retry window: no failure yet, the keys keep working.
    for (let at = renewal + HOUR; at < renewal + 2 * DAY_MS; at += HOUR) {
      clock.set(at);
      await t.app.scheduler.runDue();
    }
    expect((await currentSub(t, vin)).current).toMatchObject({ status: 'active', failedAttempts: 0 });
    for (let at = renewal + 2 * DAY_MS; at <= renewal + 10 * DAY_MS; at += HOUR) {
      clock.set(at);
      await t.app.scheduler.runDue();
    }
    const s = await currentSub(t, vin);
    expect(s.current).toMatchObject({ status: 'ended', endReason: 'payment-failed', failedAttempts: 3 });
    expect(await notices(t, phone.accountId!)).toEqual(['payment-failed', 'payment-failed', 'payment-failed', 'subscription-cancelled']);
    expect((await ledger(t, vin)).map((e) => `${e.kind} ${e.status} ${e.failure ?? ''}`)).toEqual(['charge succeeded ', 'charge failed no_answer', 'charge failed no_answer', 'charge failed no_answer']);
    await phone.logIn();
    expect(await phone.api.request('GET', `/v1/vehicles/${vin}/subscriptions/current`)).toMatchObject({ state: 'ended', keysAllowed: false });
    // The provider is back: every dropped attempt is asked again with its own key, and whatever it took is refunded.
    sim.outage = false;
    for (let i = 0; i < 2; i++) {
      clock.advance(DAY_MS);
      await t.app.scheduler.runDue();
    }
    expect(sim.netCents()).toBe(499);
    expect((await currentSub(t, vin)).effects).toEqual([]);
  });
});

describe('R11, R4b: a subscription that ends while its charge is unknown', () => {
  it.each(['cancel', 'standard-services'] as const)('R11: money taken for a renewal whose answer was lost is refunded in full once the subscription ends (%s), exactly once', async (how) => {
    const clock = new ManualClock(START);
    const sim = new SimulatedPaymentGateway();
    let loseAnswer = false;
    // The provider takes the money, then the answer is lost (a timeout after the charge).
    const gateway: PaymentGateway = {
      kind: 'lossy',
      tokenizeCard: (c) => sim.tokenizeCard(c),
      refund: (r) => sim.refund(r),
      charge: async (r) => {
        const result = await sim.charge(r);
        if (loseAnswer) throw new Error('timeout');
        return result;
      },
    };
    const t = await server({ clock, paymentGateway: gateway });
    const { vin, phone } = await subscriber(t);
    clock.set(addMonths(START, 1));
    loseAnswer = true;
    await t.app.scheduler.runDue();
    expect(sim.netCents()).toBe(998);
    await phone.logIn();
    if (how === 'cancel') {
      expect(await phone.api.request('DELETE', `/v1/vehicles/${vin}/subscriptions/current`, { mode: 'cancel' })).toMatchObject({ state: 'ended', keysWiped: true });
    } else {
      await phone.api.request('DELETE', `/v1/vehicles/${vin}/standard-services`);
    }
    // The first reconciliation gets no answer either; it is retried by the scheduler.
    for (let i = 0; i < 3; i++) {
      clock.advance(2 * 60_000);
      await t.app.scheduler.runDue();
    }
    expect(sim.netCents()).toBe(998);
    loseAnswer = false;
    for (let i = 0; i < 5; i++) {
      clock.advance(HOUR);
      await t.app.scheduler.runDue();
    }
    expect(sim.netCents()).toBe(499);
    expect([...sim.charges.values()].map((c) => [c.amountCents, c.refundedCents])).toEqual([[499, 0], [499, 499]]);
    const s = await currentSub(t, vin);
    expect(s.current).toMatchObject({ status: 'ended' });
    expect(s.effects).toEqual([]);
    await phone.logIn();
    if (how === 'cancel') {
      const { payments } = await phone.api.request<{ payments: Array<{ kind: string; status: string; amountCents: number }> }>('GET', `/v1/vehicles/${vin}/subscriptions/payments`);
      expect(payments.map((p) => `${p.kind} ${p.status} ${p.amountCents}`)).toEqual(['charge succeeded 499', 'charge succeeded 499', 'refund succeeded 499']);
    }
    expect((await notices(t, phone.accountId!)).filter((k) => k === 'refund-issued')).toHaveLength(1);
    const calls = sim.chargeCalls;
    clock.advance(DAY_MS);
    await t.app.scheduler.runDue();
    expect(sim.chargeCalls).toBe(calls);
    expect(sim.netCents()).toBe(499);
  });
});

describe('R10: late answers', () => {
  it('R10: a late answer of another instance for a period that was paid meanwhile is not refunded', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedPaymentGateway();
    const store = new MemoryStore({ clock });
    cleanups.push(() => store.close());
    const issuerKey = await LocalIssuerKey.generate();
    const slow = holdable(sim);
    const a = await server({ clock, store, issuerKey, paymentGateway: sim });
    const b = await server({ clock, store, issuerKey, paymentGateway: slow.gateway });
    const { vin } = await subscriber(a);
    // The scheduler was down for three months; B starts on period 2 and its call hangs past its lease.
    clock.set(addMonths(START, 3) + 1000);
    const held = slow.hold();
    const bRun = b.app.subscriptions.processVehicle(vin);
    await held.entered;
    clock.advance(121_000);
    await a.app.subscriptions.processVehicle(vin);
    expect((await currentSub(a, vin)).current).toMatchObject({ periodsPaid: 4 });
    held.release();
    await bRun;
    await a.app.subscriptions.processVehicle(vin);
    expect((await currentSub(a, vin)).current).toMatchObject({ status: 'active', periodsPaid: 4 });
    expect(sim.netCents()).toBe(4 * 499);
    expect([...sim.charges.values()].every((c) => c.refundedCents === 0)).toBe(true);
    expect((await ledger(a, vin)).filter((e) => e.kind === 'refund')).toEqual([]);
  });

  it('R11: a late answer for the previous owner\'s renewal is refunded to the previous owner, not filed under the new one', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedPaymentGateway();
    const slow = holdable(sim);
    const t = await server({ clock, paymentGateway: slow.gateway });
    const { vin, qrToken, phone: seller } = await subscriber(t, 'monthly', '2026-06-01');
    clock.set(addMonths(START, 1));
    const held = slow.hold();
    const run = t.app.scheduler.runDue();
    await held.entered;
    const buyer = t.phone();
    await buyer.signUp(`buyer-${++n}@example.com`, 'Buyer');
    await buyer.claim(vin, { method: 'qr', qrToken });
    await buyer.activateStandardServices(vin);
    await buyer.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'trial' });
    held.release();
    await run;
    await t.app.scheduler.runDue();
    expect((await buyer.api.request<{ payments: unknown[] }>('GET', `/v1/vehicles/${vin}/subscriptions/payments`)).payments).toEqual([]);
    expect(await notices(t, buyer.accountId!)).not.toContain('refund-issued');
    const sellerId = seller.accountId!;
    expect((await ledger(t, vin)).filter((e) => e.kind === 'refund').map((e) => [e.accountId, e.status, e.amountCents])).toEqual([[sellerId, 'succeeded', 499]]);
    expect((await notices(t, sellerId)).filter((k) => k === 'refund-issued')).toHaveLength(1);
    // The claim's reconciliation of the same charge comes later: the same refund, not a second one.
    clock.advance(HOUR);
    await t.app.scheduler.runDue();
    expect(sim.netCents()).toBe(499);
    expect((await ledger(t, vin)).filter((e) => e.kind === 'refund')).toHaveLength(1);
    expect((await notices(t, sellerId)).filter((k) => k === 'refund-issued')).toHaveLength(1);
    expect((await currentSub(t, vin)).effects).toEqual([]);
  });
});
