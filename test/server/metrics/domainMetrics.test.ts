/**
 * Domain metrics (issue 12, HTTP edges): each moves after the HTTP action it counts, and no label
 * holds a VIN, an account or a key id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { SimulatedPaymentGateway, TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { rawCall } from '../../support/httpCalls.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';
import { vehicleToken } from '../../support/vehicleEvents.js';

let t: TestServer;
beforeEach(async (test) => {
  // The rate-limit test gets a small budget; the others the test server's unlimited one.
  t = await startTestServer(test.task.name.startsWith('rate-limit') ? { env: { ANONYMOUS_RATE_LIMIT_PER_MINUTE: '3' } } : {});
});
afterEach(async () => {
  await t.close();
});

/** The value of a metric's series with these labels, summed, from the scrape text (a histogram: `name_count` or `name_sum`); 0 when absent. */
async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  let sum = 0;
  for (const line of (await t.app.metrics.metrics()).split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** How much each metric moved while `action` ran. */
async function moved(metrics: Array<[string, Record<string, string>?]>, action: () => Promise<unknown>): Promise<number[]> {
  const before = await Promise.all(metrics.map(([n, l]) => value(n, l)));
  await action();
  const after = await Promise.all(metrics.map(([n, l]) => value(n, l)));
  return after.map((a, i) => a - before[i]!);
}

async function ownerWithKey(): Promise<{ vin: string; phone: PhoneApp; vehiclePrivateJwk: Awaited<ReturnType<TestServer['provision']>>['vehiclePrivateJwk'] }> {
  const { vin, odometerKm, vehiclePrivateJwk } = await t.provision();
  return { vin, vehiclePrivateJwk, phone: await t.mainUserWithKey(vin, odometerKm) };
}

describe('domain metrics', () => {
  it('credentials issued (a new key) and refreshed', async () => {
    const { vin, odometerKm } = await t.provision();
    expect(await moved([['sdk_credentials_total', { kind: 'issued' }], ['sdk_credentials_total', { kind: 'refreshed' }]], () => t.mainUserWithKey(vin, odometerKm))).toEqual([1, 0]);
    const { vin: other, phone: owner } = await ownerWithKey();
    expect(await moved([['sdk_credentials_total', { kind: 'issued' }], ['sdk_credentials_total', { kind: 'refreshed' }]], () => owner.refresh(other))).toEqual([0, 1]);
  });

  it('a revocation by its reason, a wipe by its reason, and the manifests they publish', async () => {
    const { vin, phone } = await ownerWithKey();
    const keyId = phone.wallet.get(vin)!.keyId;
    const revoked = [['sdk_key_revocations_total', { reason: 'revoked-by-user' }], ['sdk_manifests_published_total']] as Array<[string, Record<string, string>?]>;
    expect(await moved(revoked, () => phone.api.request('DELETE', `/v1/vehicles/${vin}/keys/${keyId}`, {}))).toEqual([1, 1]);
    const wiped = [['sdk_key_wipes_total', { reason: 'vehicle-removed' }], ['sdk_manifests_published_total']] as Array<[string, Record<string, string>?]>;
    expect(await moved(wiped, () => phone.api.request('DELETE', `/v1/me/vehicles/${vin}`, {}))).toEqual([1, 1]);
  });

  it('a claim by another account wipes (claimed-by-another)', async () => {
    const { vin, qrToken, odometerKm } = await t.provision();
    await t.mainUserWithKey(vin, odometerKm);
    const buyer = t.phone();
    await buyer.signUp('buyer@example.com', 'B');
    expect(await moved([['sdk_key_wipes_total', { reason: 'claimed-by-another' }]], () => buyer.claim(vin, { method: 'qr', qrToken }))).toEqual([1]);
  });

  it('cars connected to the sync stream, and the delivery lag of the manifests they are sent', async () => {
    const { vin, phone, vehiclePrivateJwk } = await ownerWithKey();
    expect(await value('sdk_sync_connected_cars')).toBe(0);
    const controller = new AbortController();
    const res = await fetch(`${t.baseUrl}/v1/vehicle-api/events`, { headers: { authorization: `Bearer ${await vehicleToken(t, vin, vehiclePrivateJwk)}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(await value('sdk_sync_connected_cars')).toBe(1);
    const keyId = phone.wallet.get(vin)!.keyId;
    const lag = await moved([['sdk_manifest_delivery_lag_seconds_count']], async () => {
      await phone.api.request('DELETE', `/v1/vehicles/${vin}/keys/${keyId}`, {});
      for (let i = 0; i < 100 && (await value('sdk_manifest_delivery_lag_seconds_count')) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    });
    expect(lag).toEqual([1]);
    controller.abort();
    for (let i = 0; i < 100 && (await value('sdk_sync_connected_cars')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await value('sdk_sync_connected_cars')).toBe(0);
  });

  it('payment outcomes: a charge that succeeds, one declined, one whose outcome is unknown', async () => {
    /** A main user with this card, ready to start a paid plan. */
    const payer = async (card: string) => {
      const { vin, odometerKm } = await t.provision();
      const phone = t.phone();
      await phone.signUp(`payer-${vin}@example.com`, 'P');
      await phone.claim(vin, { method: 'odometer', odometerKm });
      await phone.activateStandardServices(vin);
      await phone.api.request('POST', '/v1/me/cards', { number: card, expMonth: 12, expYear: 2099 });
      return () => rawCall(t.baseUrl, 'POST', `/v1/vehicles/${vin}/subscriptions`, { token: phone.api.token!, body: { plan: 'monthly' } });
    };
    const outcomes = (['succeeded', 'declined', 'unknown'] as const).map((outcome): [string, Record<string, string>] => ['sdk_payments_total', { operation: 'charge', outcome }]);
    expect(await moved(outcomes, await payer(TEST_CARDS.visa))).toEqual([1, 0, 0]);
    expect(await moved(outcomes, await payer(TEST_CARDS.declined))).toEqual([0, 1, 0]);
    const subscribe = await payer(TEST_CARDS.visa);
    const gateway = t.app.paymentGateway;
    if (!(gateway instanceof SimulatedPaymentGateway)) throw new Error('the test server runs the simulator');
    gateway.outage = true;
    expect(await moved(outcomes, subscribe)).toEqual([0, 0, 1]);
    gateway.outage = false;
  });

  it('scheduler runs, their outcomes and lag: a monthly plan renewed a day late', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = t.phone();
    await phone.signUp('renew@example.com', 'R');
    await phone.claim(vin, { method: 'odometer', odometerKm });
    await phone.activateStandardServices(vin);
    await phone.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    await phone.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'monthly' });
    t.clock.advance(32 * 86_400_000);
    const metrics: Array<[string, Record<string, string>?]> = [['sdk_scheduler_runs_total'], ['sdk_scheduler_vehicles_total', { outcome: 'processed' }], ['sdk_scheduler_lag_seconds_count'], ['sdk_payments_total', { operation: 'charge', outcome: 'succeeded' }]];
    const [runs, processed, lagSamples, charged] = await moved(metrics, () => t.app.scheduler.runDue());
    expect({ runs, charged }).toEqual({ runs: 1, charged: 1 });
    expect(processed).toBeGreaterThanOrEqual(1);
    expect(lagSamples).toBeGreaterThanOrEqual(1);
    // The renewal was due a day (or more) before the run.
    expect(await value('sdk_scheduler_lag_seconds_sum')).toBeGreaterThan(86_400 - 60);
  });

  it('rate-limit refusals, by route pattern', async () => {
    const route = '/v1/sessions/options';
    const refusals = await moved([['sdk_rate_limited_total', { route }]], async () => {
      for (let i = 0; i < 5; i++) await rawCall(t.baseUrl, 'POST', route, { body: {} });
    });
    expect(refusals).toEqual([2]);
  });

  it('no label holds a VIN or an id', async () => {
    const { vin, phone } = await ownerWithKey();
    await phone.api.request('DELETE', `/v1/me/vehicles/${vin}`, {});
    const text = await t.app.metrics.metrics();
    expect(text).not.toContain(vin);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });
});
