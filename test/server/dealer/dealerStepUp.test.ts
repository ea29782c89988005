/**
 * Step-up for destructive dealer actions (issue 9 §3): revoking a lost phone or every key needs a
 * session whose passkey check (UV) is at most 5 minutes old; an older session gets 401
 * UNAUTHENTICATED with detail.stepUp "required" and changes nothing; a new passkey login lets the
 * dealer go on. Reading stays possible with the older session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantDealer } from '../../../server/operator/grantDealer.js';
import { STEP_UP_MAX_AGE_SECONDS } from '../../../server/dealer/requireStepUp.js';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { rawCall } from '../../support/httpCalls.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
let n = 0;
beforeAll(async () => {
  // Sessions outlive the step-up window, so an old but valid session is what gets refused.
  t = await startTestServer({ env: { SESSION_TTL: '15m' } });
});
afterAll(async () => {
  await t.close();
});

async function dealerAndVehicle(): Promise<{ dealer: PhoneApp; vin: string; owner: PhoneApp }> {
  const v = await t.provision();
  const owner = await t.mainUserWithKey(v.vin, v.odometerKm, `stepup-owner-${++n}@example.com`);
  const dealer = t.phone();
  const address = `stepup-dealer-${n}@example.com`;
  await dealer.signUp(address, 'Dealer');
  await grantDealer(t.app.ctx, address);
  return { dealer, vin: v.vin, owner };
}

const revoke = (dealer: PhoneApp, vin: string, body: object) => rawCall(t.baseUrl, 'POST', `/v1/dealer/vehicles/${vin}/revocations`, { token: dealer.api.token!, body });

describe('step-up for destructive dealer actions', () => {
  it.each([
    [0, 200],
    [STEP_UP_MAX_AGE_SECONDS - 1, 200],
    [STEP_UP_MAX_AGE_SECONDS, 200],
    [STEP_UP_MAX_AGE_SECONDS + 1, 401],
    [10 * 60, 401],
  ])('a session whose passkey check is %i s old: revoke all answers %i', async (ageSeconds, status) => {
    const { dealer, vin } = await dealerAndVehicle();
    t.clock.advance(ageSeconds * 1000);
    const res = await revoke(dealer, vin, { scope: 'all', reason: 'customer at the desk' });
    expect(res.status).toBe(status);
    if (status === 401) expect(res.json?.error).toMatchObject({ code: 'UNAUTHENTICATED', detail: { stepUp: 'required', maxAgeSeconds: STEP_UP_MAX_AGE_SECONDS } });
  });

  it('the attack: a dealer session left open (or stolen) for 6 minutes cannot revoke a lost phone; nothing changes until a fresh passkey login', async () => {
    const { dealer, vin, owner } = await dealerAndVehicle();
    t.clock.advance(6 * 60 * 1000);
    const before = await dealer.api.request<{ seq: number; keys: unknown[] }>('GET', `/v1/dealer/vehicles/${vin}/keys`); // reading still works
    const refused = await revoke(dealer, vin, { scope: 'passkey', passkeyId: owner.passkeyId, reason: 'phone lost' });
    expect(refused.status).toBe(401);
    expect(refused.json?.error).toMatchObject({ code: 'UNAUTHENTICATED', detail: { stepUp: 'required' } });
    expect(await dealer.api.request('GET', `/v1/dealer/vehicles/${vin}/keys`)).toMatchObject({ seq: before.seq, keys: before.keys });
    await dealer.logIn(); // the step-up: a new assertion with user verification
    expect((await revoke(dealer, vin, { scope: 'passkey', passkeyId: owner.passkeyId, reason: 'phone lost' })).status).toBe(200);
  });
});
