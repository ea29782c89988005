/**
 * What a dealer sees (issue 9 §2): each key's holder, device label, role, perms, window, created
 * and last used; the customer; the subscription, read-only; the car's status; search by VIN (pasted
 * with spaces, lower-case) or e-mail; the audit trail paged newest first and exported as CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantDealer } from '../../../server/operator/grantDealer.js';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { rawCall } from '../../support/httpCalls.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
let dealer: PhoneApp;
let n = 0;
const email = (who: string) => `desk-${who}-${++n}@example.com`;
beforeAll(async () => {
  t = await startTestServer();
  dealer = t.phone();
  await dealer.signUp('desk-dealer@example.com', 'Dirk Dealer');
  await grantDealer(t.app.ctx, 'desk-dealer@example.com');
});
afterAll(async () => {
  await t.close();
});

async function vehicleWithOwner() {
  const v = await t.provision();
  const address = email('owner');
  const owner = await t.mainUserWithKey(v.vin, v.odometerKm, address);
  await owner.api.request('PATCH', `/v1/me/passkeys/${owner.passkeyId}`, { label: 'Pixel 8' });
  return { ...v, owner, address };
}
const get = <T>(path: string) => dealer.api.request<T>('GET', path);
const raw = (path: string) => rawCall(t.baseUrl, 'GET', path, { token: dealer.api.token! });

interface DealerKey {
  keyId: string;
  holderName: string | null;
  passkeyLabel: string | null;
  role: string;
  perms: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

describe('the dealer vehicle view', () => {
  it("names each key's holder and device, the customer, the subscription and the car's status", async () => {
    const v = await vehicleWithOwner();
    const view = await get<{ keys: DealerKey[]; customer: unknown; subscription: unknown; car: { state: string } }>(`/v1/dealer/vehicles/${v.vin}/keys`);
    expect(view.keys).toHaveLength(1);
    expect(view.keys[0]).toMatchObject({ holderName: 'Owner', passkeyLabel: 'Pixel 8', role: 'main', createdAt: expect.any(Number) as unknown });
    expect(view.keys[0]!.perms.length).toBeGreaterThan(0);
    expect(view.customer).toEqual({ accountId: v.owner.accountId, displayName: 'Owner', email: v.address, emailVerified: expect.any(Boolean) as unknown });
    expect(view.subscription).toMatchObject({ state: 'trial', plan: 'trial', years: null, trialDaysLeft: expect.any(Number) as unknown, autoRenew: expect.any(Boolean) as unknown, lastPayment: null });
    expect((view.subscription as { trialDaysLeft: number }).trialDaysLeft).toBeGreaterThan(0);
    expect(view.car.state).toBe('never');
  });

  it('a vehicle without a main user has no customer and no subscription', async () => {
    const v = await t.provision();
    const view = await get<{ customer: unknown; subscription: { state: string; trialDaysLeft: unknown } }>(`/v1/dealer/vehicles/${v.vin}/keys`);
    expect(view.customer).toBeNull();
    expect(view.subscription).toMatchObject({ state: 'none', trialDaysLeft: null, lastPayment: null });
  });
});

describe('dealer search', () => {
  it('finds a vehicle by a VIN pasted with spaces in lower case', async () => {
    const v = await vehicleWithOwner();
    const pasted = `  ${v.vin.slice(0, 8).toLowerCase()} ${v.vin.slice(8).toLowerCase()}\t`;
    const found = await get(`/v1/dealer/search?q=${encodeURIComponent(pasted)}`);
    expect(found).toEqual({ kind: 'vin', query: v.vin, vehicles: [{ vin: v.vin, role: null }], account: null });
  });

  it("finds a customer by e-mail (any case) with the vehicles the customer holds", async () => {
    const v = await vehicleWithOwner();
    const found = await get<{ kind: string; vehicles: unknown; account: { displayName: string } | null }>(`/v1/dealer/search?q=${encodeURIComponent(` ${v.address.toUpperCase()} `)}`);
    expect(found).toMatchObject({ kind: 'email', query: v.address, vehicles: [{ vin: v.vin, role: 'main' }], account: { accountId: v.owner.accountId, displayName: 'Owner' } });
  });

  it('finds nothing for an unknown VIN, an unknown e-mail or anything else', async () => {
    expect(await get('/v1/dealer/search?q=WVWZZZ1JZ3W000000')).toMatchObject({ kind: 'vin', vehicles: [] });
    expect(await get('/v1/dealer/search?q=nobody%40example.com')).toMatchObject({ kind: 'email', vehicles: [], account: null });
    expect(await get('/v1/dealer/search?q=hello')).toMatchObject({ kind: 'none', vehicles: [], account: null });
  });

  it('refuses a missing, empty, over-long or extra query parameter with 400 VALIDATION_FAILED', async () => {
    for (const path of ['/v1/dealer/search', '/v1/dealer/search?q=', `/v1/dealer/search?q=${'a'.repeat(255)}`, '/v1/dealer/search?q=a&x=1']) {
      const res = await raw(path);
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
  });
});

describe('the dealer audit trail', () => {
  async function revokedTwice() {
    const v = await vehicleWithOwner();
    const shared = t.phone();
    await shared.signUp(email('shared'), 'Anna Peeters');
    const { code } = await v.owner.api.request<{ code: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['unlock'] });
    await shared.api.request('POST', `/v1/invitations/${code}/accept`, { passkeyId: shared.passkeyId });
    await dealer.api.request('POST', `/v1/dealer/vehicles/${v.vin}/revocations`, { scope: 'passkey', passkeyId: shared.passkeyId, reason: 'phone lost, "urgent"' });
    await dealer.api.request('POST', `/v1/dealer/vehicles/${v.vin}/revocations`, { scope: 'all', reason: '=HYPERLINK("x")' });
    return v;
  }

  it('pages newest first, with the actor by name and whether the car has each change', async () => {
    const v = await revokedTwice();
    const first = await get<{ total: number; entries: Array<{ action: string; actorName: string | null; reachedCar: boolean; seq: number }> }>(`/v1/dealer/vehicles/${v.vin}/audit/page?limit=1`);
    expect(first.total).toBeGreaterThanOrEqual(2);
    expect(first.entries).toHaveLength(1);
    expect(first.entries[0]).toMatchObject({ actorName: 'Dirk Dealer', reachedCar: false, reason: 'dealer-revoked-all', note: '=HYPERLINK("x")' });
    const second = await get<{ entries: Array<{ reason: string }> }>(`/v1/dealer/vehicles/${v.vin}/audit/page?limit=1&offset=1`);
    expect(second.entries[0]).toMatchObject({ reason: 'lost-phone: phone lost, "urgent"' });
    const beyond = await get<{ entries: unknown[] }>(`/v1/dealer/vehicles/${v.vin}/audit/page?offset=1000`);
    expect(beyond.entries).toEqual([]);
  });

  it('exports the trail as CSV, quoting commas and quotes and defusing formulas', async () => {
    const v = await revokedTwice();
    const res = await fetch(`${t.baseUrl}/v1/dealer/vehicles/${v.vin}/audit/export`, { headers: { authorization: `Bearer ${dealer.api.token!}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="audit-${v.vin}.csv"`);
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe('at,action,actorRole,actorAccountId,actorName,reason,note,keyIds,epoch,seq,reachedCar');
    expect(lines[1]).toContain(`,Dirk Dealer,dealer-revoked-all,"'=HYPERLINK(""x"")",`);
    expect(lines[2]).toContain(',"lost-phone: phone lost, ""urgent""",');
  });

  it('refuses a bad page with 400 VALIDATION_FAILED and an unknown vehicle with 404', async () => {
    const v = await t.provision();
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'offset=x', 'limit=1&extra=1']) {
      const res = await raw(`/v1/dealer/vehicles/${v.vin}/audit/page?${q}`);
      expect([q, res.status, res.json?.error?.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
    const unknown = await raw('/v1/dealer/vehicles/WVWZZZ1JZ3W000000/audit/export');
    expect([unknown.status, unknown.json?.error?.code]).toEqual([404, 'VEHICLE_NOT_FOUND']);
    const badVin = await raw('/v1/dealer/vehicles/not-a-vin/audit/page');
    expect(badVin.status).toBe(400);
  });
});
