/**
 * Removing a vehicle ends its paid plan in the removal's own commit (R4a, R4b); the plan's
 * follow-ups — the notice that it ended — are carried out right after that commit, as a claim's are, not at the
 * scheduler's next run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_CARDS } from '../../../server/subscriptions/simulatedPaymentGateway.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

describe('removing a vehicle (R4a)', () => {
  it.each(['remove', 'relinquish'] as const)('%s: the main user is told the plan ended at once, without waiting for the scheduler', async (reason) => {
    t = await startTestServer({ env: { SCHEDULER_INTERVAL: '0' } });
    const v = await t.provision();
    const owner = t.phone();
    await owner.signUp(`owner-${reason}@example.com`, 'Owner');
    await owner.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
    await owner.activateStandardServices(v.vin);
    // A paid plan (a trial's end needs no message of its own).
    await owner.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    await owner.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'monthly' });
    await owner.requestKey(v.vin);
    const kinds = async () => (await owner.api.request<{ notifications: Array<{ kind: string }> }>('GET', '/v1/me/notifications')).notifications.map((n) => n.kind);
    expect(await kinds()).not.toContain('subscription-ended');

    await owner.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, { reason });
    expect(await kinds()).toContain('subscription-ended');
    // The scheduler, when it comes, does not tell them twice.
    await t.app.scheduler.runDue();
    expect((await kinds()).filter((k) => k === 'subscription-ended')).toHaveLength(1);
  });
});
