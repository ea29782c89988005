/**
 * The subscription's life, end to end, on the test clock (R9, R10, R4b): the trial, the paid yearly
 * plan chosen during it, a year on, a card that declines — three times, and the subscription is
 * cancelled: every key is wiped and the car, told over its sync channel, refuses the phone's next
 * unlock over BLE (EPOCH_STALE). The same year with a recovery on the second retry keeps the keys
 * working. Real server, simulated car on the air, phone over noble; years pass in milliseconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_CARDS } from '../../server/subscriptions/simulatedPaymentGateway.js';
import { codeOf } from '../support/httpCalls.js';
import { startFullStack, type BlePhone, type FullStack } from '../support/fullStack.js';
import { POLL } from '../support/poll.js';

let stack: FullStack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

const DAY = 86_400_000;
const RENEWAL = Date.parse('2028-03-01T00:00:00.000Z');

interface Card {
  card: { cardId: string };
}

/**
 * A main user with the trial, a key, a yearly plan chosen during the trial (charged at its end on
 * 1 March 2027), then — a year on — a declining card as the only card; the car on its sync channel.
 */
async function yearOfSubscription(s: FullStack) {
  const v = await s.provisionCar({ firstRegistration: '2026-03-01' });
  const sync = s.sync(v.vin, v.vehiclePrivateJwk);
  await expect.poll(() => sync.lastSeq, POLL).toBe(0); // sync connected
  const app = s.t.phone();
  await app.signUp(`year-${v.vin}@example.com`, 'Owner');
  await app.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
  await app.activateStandardServices(v.vin);
  await app.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
  await app.requestKey(v.vin);
  const phone = s.phone(app);
  expect((await phone.send(v.vin, 'unlock')).response).toMatchObject({ ok: true, code: 'OK' });

  const good = await app.api.request<Card>('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
  expect(await app.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'yearly' })).toMatchObject({ started: 'queued' });

  await travel(s, Date.parse('2027-03-01T00:00:00.000Z'), phone, v.vin);
  expect(await app.api.request('GET', `/v1/vehicles/${v.vin}/subscriptions/current`)).toMatchObject({ state: 'active', subscription: { plan: 'yearly', lastCharge: { amountCents: 4990 } } });
  expect((await phone.send(v.vin, 'lock')).response.ok).toBe(true);

  // Months later the owner swaps cards: the new primary card will decline.
  await travel(s, Date.parse('2027-10-01T00:00:00.000Z'), phone, v.vin);
  const bad = await app.api.request<Card>('POST', '/v1/me/cards', { number: TEST_CARDS.declined, expMonth: 12, expYear: 2099 });
  await app.api.request('POST', `/v1/me/cards/${bad.card.cardId}/primary`, {});
  await app.api.request('DELETE', `/v1/me/cards/${good.card.cardId}`);
  return { v, app, phone, sync };
}

/** Move the clock, let the scheduler run, log the phone in again and refresh its credential (R8). */
async function travel(s: FullStack, to: number, phone: BlePhone, vin: string, opts: { refresh?: boolean } = {}): Promise<void> {
  s.t.clock.set(to);
  await s.t.app.scheduler.runDue();
  await phone.app.logIn();
  if (opts.refresh ?? true) await phone.app.refresh(vin);
}

describe('the subscription over a year, end to end', () => {
  it('R9, R10, R4b: trial → paid yearly → the card declines three times → cancelled → every key wiped and the phone\'s next unlock over BLE refused', async () => {
    stack = await startFullStack();
    const { v, app, phone } = await yearOfSubscription(stack);

    // Renewal day and the first retry: declined, but the keys keep working meanwhile.
    await travel(stack, RENEWAL, phone, v.vin);
    expect((await phone.send(v.vin, 'unlock')).response.ok).toBe(true);
    await travel(stack, RENEWAL + DAY, phone, v.vin);
    expect((await phone.send(v.vin, 'lock')).response.ok).toBe(true);
    // The phone refreshes an hour before the last attempt: its credential is still unexpired afterwards.
    await travel(stack, RENEWAL + 2 * DAY - 3_600_000, phone, v.vin);

    // The third failure cancels the subscription and wipes every key (R4b).
    stack.t.clock.set(RENEWAL + 2 * DAY);
    await stack.t.app.scheduler.runDue();
    await app.logIn();
    expect(await app.api.request('GET', `/v1/vehicles/${v.vin}/subscriptions/current`)).toMatchObject({ state: 'ended', keysAllowed: false, subscription: { endReason: 'payment-failed' } });
    expect((await stack.t.app.outbox.list(app.accountId!)).map((m) => m.kind)).toEqual(['payment-failed', 'payment-failed', 'payment-failed', 'subscription-cancelled']);
    expect(await codeOf(app.refresh(v.vin))).toBe('REVOKED');
    expect(await codeOf(app.requestKey(v.vin))).toBe('SUBSCRIPTION_INACTIVE');

    // The car learns of the wipe on its sync channel and refuses the phone's (unexpired) credential.
    await expect.poll(() => v.car.state.ep, POLL).toBe(1); // the car applied the wipe
    expect((await phone.send(v.vin, 'unlock', { withState: false })).response).toMatchObject({ ok: false, code: 'EPOCH_STALE' });
  });

  it('R10: the same year with a recovery on the second retry keeps the keys working over BLE', async () => {
    stack = await startFullStack();
    const { v, app, phone } = await yearOfSubscription(stack);
    const keyId = app.wallet.get(v.vin)!.keyId;

    await travel(stack, RENEWAL, phone, v.vin);
    await travel(stack, RENEWAL + DAY, phone, v.vin);
    // Before the last attempt the owner adds a card that works and makes it primary.
    const good = await app.api.request<Card>('POST', '/v1/me/cards', { number: TEST_CARDS.mastercard, expMonth: 12, expYear: 2099 });
    await app.api.request('POST', `/v1/me/cards/${good.card.cardId}/primary`, {});
    await travel(stack, RENEWAL + 2 * DAY, phone, v.vin);

    expect(await app.api.request('GET', `/v1/vehicles/${v.vin}/subscriptions/current`)).toMatchObject({
      state: 'active',
      subscription: { period: { start: '2028-03-01T00:00:00.000Z', end: '2029-03-01T00:00:00.000Z' }, lastCharge: { last4: '4444', amountCents: 4990 } },
    });
    expect(app.wallet.get(v.vin)!.keyId).toBe(keyId);
    expect(v.car.state.ep).toBe(0);
    for (const cmd of ['unlock', 'start', 'lock'] as const) expect((await phone.send(v.vin, cmd)).response).toMatchObject({ ok: true, code: 'OK', cmd });
  });
});
