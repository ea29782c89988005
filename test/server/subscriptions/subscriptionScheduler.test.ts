/**
 * The subscription scheduler with several server instances (R10): due work is done exactly once —
 * two instances never double-charge, on one memory store or one Redis — and a crash between a
 * charge and its commit is resumed by another instance with the same idempotency key, never a
 * second charge. Time is a shared ManualClock: a year of renewals runs in milliseconds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { createRedisStore } from '../../../server/store/redisStore.js';
import type { Store } from '../../../server/store/store.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { addMonths } from '../../../server/subscriptions/billingCalendar.js';
import type { PaymentGateway } from '../../../server/subscriptions/paymentGateway.js';
import { SimulatedPaymentGateway, TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { startRedisServer, type RedisServer } from '../../support/redisServer.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

let redis: RedisServer | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Instances {
  a: TestServer;
  b: TestServer;
  gateway: SimulatedPaymentGateway;
  clock: ManualClock;
  store: Store;
}

/** Two server instances on one store (memory: the same object; redis: two connections), one provider, one clock. */
async function twoInstances(kind: 'memory' | 'redis', gatewayOf: (sim: SimulatedPaymentGateway) => [PaymentGateway, PaymentGateway] = (g) => [g, g]): Promise<Instances> {
  const clock = new ManualClock(START);
  const gateway = new SimulatedPaymentGateway({ seed: 'scheduler-test' });
  const issuerKey = await LocalIssuerKey.generate();
  const stores: [Store, Store] = kind === 'memory' ? (() => {
    const s = new MemoryStore({ clock });
    return [s, s];
  })() : [createRedisStore({ url: redis!.url }), createRedisStore({ url: redis!.url })];
  const [ga, gb] = gatewayOf(gateway);
  const a = await startTestServer({ store: stores[0], clock, issuerKey, paymentGateway: ga });
  const b = await startTestServer({ store: stores[1], clock, issuerKey, paymentGateway: gb });
  cleanups.push(async () => {
    await a.close();
    await b.close();
    await stores[0].close();
    if (stores[1] !== stores[0]) await stores[1].close();
  });
  return { a, b, gateway, clock, store: stores[0] };
}

let n = 0;
async function monthlySubscriber(t: TestServer): Promise<{ vin: string; phone: PhoneApp }> {
  const v = await t.provision();
  const phone = t.phone();
  await phone.signUp(`sched-${++n}-${Math.random().toString(36).slice(2)}@example.com`, 'Owner');
  await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
  await phone.activateStandardServices(v.vin);
  await phone.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
  await phone.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'monthly' });
  return { vin: v.vin, phone };
}

describe.each(['memory', 'redis'] as const)('scheduler with two instances on one %s store', (kind) => {
  it('R10: two scheduler instances never double-charge: a year of monthly renewals, both instances running at once, each period charged exactly once', async () => {
    const { a, b, gateway, clock } = await twoInstances(kind);
    const owners = [];
    for (let i = 0; i < 6; i++) owners.push(await monthlySubscriber(i % 2 ? a : b));
    expect(gateway.charges.size).toBe(6);
    for (let month = 1; month <= 12; month++) {
      clock.set(addMonths(START, month));
      const runs = await Promise.all([a.app.scheduler.runDue(), b.app.scheduler.runDue(), a.app.scheduler.runDue(), b.app.scheduler.runDue()]);
      expect(runs.reduce((sum, r) => sum + r.failed, 0)).toBe(0);
    }
    expect(gateway.charges.size).toBe(6 * 13);
    // Not even a deduplicated second call: the leases kept the instances off each other's vehicles.
    expect(gateway.chargeCalls).toBe(6 * 13);
    const keys = [...gateway.charges.values()].map((c) => c.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const { vin, phone } of owners) {
      await phone.logIn();
      const view = await phone.api.request<{ subscription: { period: { end: string } } }>('GET', `/v1/vehicles/${vin}/subscriptions/current`);
      expect(view.subscription.period.end).toBe(new Date(addMonths(START, 13)).toISOString());
    }
    // Running again changes nothing.
    await Promise.all([a.app.scheduler.runDue(), b.app.scheduler.runDue()]);
    expect(gateway.chargeCalls).toBe(6 * 13);
  });
});

describe('crashes and resumption', () => {
  it('R10: a crash between the charge and its commit never charges twice: another instance resumes it with the same idempotency key once the lease has run out', async () => {
    let crash = false;
    const { a, b, gateway, clock, store } = await twoInstances('memory', (sim) => [
      {
        kind: 'crashing',
        tokenizeCard: (c) => sim.tokenizeCard(c),
        refund: (r) => sim.refund(r),
        // The provider takes the money, then this instance dies before it can commit.
        charge: async (r) => {
          const result = await sim.charge(r);
          if (crash) throw new Error('instance crashed after the charge');
          return result;
        },
      },
      sim,
    ]);
    const { vin, phone } = await monthlySubscriber(a);
    crash = true;
    clock.set(addMonths(START, 1));
    await a.app.scheduler.runDue();
    expect(gateway.charges.size).toBe(2);
    // The crashed instance still holds the vehicle's lease (it never released it).
    await store.set(storeKeys.vehicleLease(vin), 'crashed-instance', { ttlMs: a.config.SCHEDULER_LEASE * 1000 });
    clock.advance(61_000);
    expect(await b.app.scheduler.runDue()).toMatchObject({ processed: 0, skipped: 1 });
    clock.advance(a.config.SCHEDULER_LEASE * 1000);
    expect(await b.app.scheduler.runDue()).toMatchObject({ processed: 1 });
    expect(gateway.charges.size).toBe(2);
    expect(gateway.chargeCalls).toBe(3);
    await phone.logIn();
    const view = await phone.api.request<{ state: string; subscription: { period: { start: string } } }>('GET', `/v1/vehicles/${vin}/subscriptions/current`);
    expect(view).toMatchObject({ state: 'active', subscription: { period: { start: new Date(addMonths(START, 1)).toISOString() } } });
    const ledger = await phone.api.request<{ payments: Array<{ status: string; reference: string }> }>('GET', `/v1/vehicles/${vin}/subscriptions/payments`);
    expect(ledger.payments.map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
    expect(new Set(ledger.payments.map((p) => p.reference)).size).toBe(2);
  });

  it('R10: a first payment the provider did not answer leaves the plan pending (202); the scheduler settles it later with the same key', async () => {
    const { a, gateway, clock } = await twoInstances('memory');
    const v = await a.provision();
    const phone = a.phone();
    await phone.signUp(`pending-${++n}@example.com`, 'P');
    await phone.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
    await phone.activateStandardServices(v.vin);
    await phone.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    gateway.outage = true;
    const res = await fetch(`${a.baseUrl}/v1/vehicles/${v.vin}/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${phone.api.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ plan: 'yearly' }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ state: 'pending-payment', keysAllowed: false });
    gateway.outage = false;
    await a.app.scheduler.runDue();
    expect(gateway.charges.size).toBe(0);
    clock.advance(61_000);
    await a.app.scheduler.runDue();
    await phone.logIn();
    expect(await phone.api.request('GET', `/v1/vehicles/${v.vin}/subscriptions/current`)).toMatchObject({ state: 'active', subscription: { lastCharge: { amountCents: 4990 } } });
    expect(gateway.charges.size).toBe(1);
    await phone.requestKey(v.vin);
  });

  it('stale and early index entries are harmless: the document decides, nothing is charged early', async () => {
    const { a, gateway, clock } = await twoInstances('memory');
    const { vin } = await monthlySubscriber(a);
    await a.app.subscriptions.due.add(vin, START + 1000);
    await a.app.subscriptions.due.add('1HGCM82633A004352', START);
    clock.advance(5000);
    expect((await a.app.scheduler.runDue()).failed).toBe(0);
    expect(gateway.chargeCalls).toBe(1);
    clock.set(addMonths(START, 1));
    await a.app.scheduler.runDue();
    expect(gateway.chargeCalls).toBe(2);
  });

  it('a vehicle is filed once in the due index: before the commit (now), then moved to its next time by the scheduler', async () => {
    const { a, clock, store } = await twoInstances('redis');
    const { vin } = await monthlySubscriber(a);
    const mine = async () => (await store.zrangeByScore(storeKeys.subscriptionsDue(), 1e15, 1000)).filter((e) => e.member.startsWith(vin));
    const filed = await mine();
    expect(filed).toHaveLength(1);
    expect(filed[0]!.member).toBe(vin);
    expect(filed[0]!.score).toBeLessThanOrEqual(START);
    clock.advance(1000);
    await a.app.scheduler.runDue();
    expect(await mine()).toEqual([{ member: vin, score: addMonths(START, 1) }]);
  });

  it('a filing made while the scheduler works on the vehicle is not undone: the vehicle stays due and is looked at again', async () => {
    const { a, clock } = await twoInstances('redis');
    const { vin } = await monthlySubscriber(a);
    clock.advance(1000);
    const [entry] = (await a.app.subscriptions.due.due(clock.now(), 1000)).filter((e) => e.vin === vin);
    expect(entry).toBeDefined();
    // Another request files the vehicle (before its commit) at the very instant the entry holds.
    await a.app.subscriptions.due.add(vin, entry!.at);
    await a.app.subscriptions.due.settle(entry!, await a.app.ctx.vehicles.find(vin));
    expect((await a.app.subscriptions.due.due(clock.now(), 1000)).filter((e) => e.vin === vin)).toEqual([{ member: vin, vin, at: entry!.at - 1 }]);
    await a.app.scheduler.runDue();
    expect((await a.app.subscriptions.due.due(clock.now(), 1000)).filter((e) => e.vin === vin)).toEqual([]);
  });

  it('entries written before ("VIN|dueAt", one per filing) still read, and the scheduler replaces them with the one entry', async () => {
    const { a, clock, store, gateway } = await twoInstances('memory');
    const { vin } = await monthlySubscriber(a);
    await store.zrem(storeKeys.subscriptionsDue(), vin);
    await store.zadd(storeKeys.subscriptionsDue(), `${vin}|${START}`, START);
    await store.zadd(storeKeys.subscriptionsDue(), `${vin}|${addMonths(START, 1)}`, addMonths(START, 1));
    clock.advance(1000);
    expect((await a.app.scheduler.runDue()).failed).toBe(0);
    expect(await store.zrangeByScore(storeKeys.subscriptionsDue(), 1e15, 1000)).toEqual([
      { member: vin, score: addMonths(START, 1) },
      { member: `${vin}|${addMonths(START, 1)}`, score: addMonths(START, 1) },
    ]);
    clock.set(addMonths(START, 1));
    await a.app.scheduler.runDue();
    expect(gateway.chargeCalls).toBe(2);
    // The old entry's replacement files the vehicle once more: no later than its next renewal.
    const [only, ...rest] = await store.zrangeByScore(storeKeys.subscriptionsDue(), 1e15, 1000);
    expect(rest).toEqual([]);
    expect(only!.member).toBe(vin);
    expect(only!.score).toBeGreaterThan(addMonths(START, 2) - 1000);
    expect(only!.score).toBeLessThanOrEqual(addMonths(START, 2));
  });
});
