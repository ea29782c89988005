/**
 * A credential refresh does the least work that keeps every rule: at most 3 store round trips, and
 * a session token verified once per process (cached until it expires) while logout, a removed
 * passkey (R6) and the other store checks still end a session at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../server/store/memoryStore.js';
import { ManualClock } from '../../shared/clock.js';
import { addPhone, shareKey } from '../support/ownerFixtures.js';
import { codeOf } from '../support/httpCalls.js';
import { countRoundTrips, type RoundTripCounter } from '../support/roundTrips.js';
import { storeKeys } from '../../server/store/storeKeys.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

let t: TestServer;
let trips: RoundTripCounter;

beforeEach(async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  trips = countRoundTrips(new MemoryStore({ clock }));
  t = await startTestServer({ clock, store: trips.store });
});
afterEach(async () => {
  await t.close();
  await trips.store.close();
});

/** The session look-ups of the authenticator so far, from the app's own metrics. */
async function sessionLookups(): Promise<{ hit: number; miss: number }> {
  const metric = await t.app.metrics.getSingleMetric('sdk_session_cache_lookups_total')?.get();
  const count = (outcome: string) => metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { hit: count('hit'), miss: count('miss') };
}

describe('credential refresh', () => {
  it('makes at most 3 store round trips and 6 reads, for a main key and for a shared key, whether the session was seen before or not', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const guest = t.phone();
    await guest.signUp(`guest-${v.vin}@example.com`, 'Guest');
    const sharedKeyId = await shareKey(owner, guest, v.vin);
    const mainKeyId = owner.wallet.get(v.vin)!.keyId;

    for (const [phone, keyId] of [[owner, mainKeyId], [guest, sharedKeyId]] as const) {
      await phone.logIn(); // a token this process has not verified yet
      for (const attempt of ['first use of the token', 'token seen before']) {
        trips.reset();
        await phone.api.request('POST', `/v1/keys/${keyId}/credential`, {});
        expect(trips.count, `${attempt}: ${trips.calls.join(', ')}`).toBeLessThanOrEqual(3);
        // Six reads: the session's three checks and the key's index, the key, the vehicle (the passkey and the account the session read serve again).
        expect(trips.calls.length, `${attempt}: ${trips.calls.join(', ')}`).toBeLessThanOrEqual(6);
      }
    }
  });

  it('verifies a session token once per process until it expires, and never caches a refusal', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const keyId = owner.wallet.get(v.vin)!.keyId;
    await owner.logIn();
    const before = await sessionLookups();
    for (let i = 0; i < 5; i++) await owner.api.request('POST', `/v1/keys/${keyId}/credential`, {});
    const after = await sessionLookups();
    expect({ misses: after.miss - before.miss, hits: after.hit - before.hit }).toEqual({ misses: 1, hits: 4 });

    // A forged token is verified (and refused) every time.
    const forged = `${owner.api.token!.slice(0, -4)}AAAA`;
    const real = owner.api.token;
    owner.api.token = forged;
    expect(await codeOf(owner.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
    expect(await codeOf(owner.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
    expect((await sessionLookups()).miss - after.miss).toBe(2);
    owner.api.token = real;

    // Past its expiry the cached token is refused like any other.
    t.clock.advance((t.config.SESSION_TTL + 6) * 1000);
    expect(await codeOf(owner.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
  });

  it('still ends a cached session at once on logout', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    await owner.api.request('GET', '/v1/me'); // cached now
    const token = owner.api.token;
    await owner.api.request('DELETE', '/v1/sessions/current');
    owner.api.token = token;
    expect(await codeOf(owner.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
  });

  it('still refuses a cached session at once when its passkey is removed (R6)', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const second = await addPhone(t, owner, 'Old phone');
    await second.api.request('GET', '/v1/me'); // cached now
    await owner.api.request('DELETE', `/v1/me/passkeys/${second.passkeyId}`);
    expect(await codeOf(second.api.request('GET', '/v1/me'))).toBe('PASSKEY_DISABLED');
  });

  it("R8: a shared key past its window gets no new credential: EXPIRED, a code the route declares", async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const guest = t.phone();
    await guest.signUp(`window-${v.vin}@example.com`, 'Guest');
    const now = Math.floor(t.clock.now() / 1000);
    const keyId = await shareKey(owner, guest, v.vin, { perms: ['unlock'], notAfter: now + 3600 });
    t.clock.advance(2 * 3600 * 1000);
    await guest.logIn();
    expect(await codeOf(guest.api.request('POST', `/v1/keys/${keyId}/credential`, {}))).toBe('EXPIRED');
  });

  it("R15: still refuses a cached session at once when a recovery raised the account's session generation", async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    await owner.api.request('GET', '/v1/me'); // cached now
    await t.app.ctx.accounts.update(owner.accountId!, (a) => ({ ...a, sessionGeneration: (a.sessionGeneration ?? 0) + 1 }));
    expect(await codeOf(owner.api.request('GET', '/v1/me'))).toBe('UNAUTHENTICATED');
  });

  it('still refuses a cached session at once when its account is closed', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const keyId = owner.wallet.get(v.vin)!.keyId;
    await owner.api.request('POST', `/v1/keys/${keyId}/credential`, {}); // cached now
    await owner.api.request('DELETE', '/v1/me', { confirm: true });
    expect(await codeOf(owner.api.request('POST', `/v1/keys/${keyId}/credential`, {}))).toMatch(/^(UNAUTHENTICATED|PASSKEY_DISABLED)$/);
  });

  it("finds a key made before by its VIN index (with no epoch, the right one or a stale one), and refuses a corrupt index", async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const keyId = owner.wallet.get(v.vin)!.keyId;
    const refresh = () => owner.api.request<{ keyId: string }>('POST', `/v1/keys/${keyId}/credential`, {});
    const index = storeKeys.keyVehicle(keyId);
    // A key made now has no VIN index: its passkey's record names its vehicle.
    expect(await t.store.get(index)).toBeNull();
    // As a key made before: its passkey's record does not list it, its VIN index names it.
    await t.app.ctx.vehicles.unindexKeys([{ vin: v.vin, keyId, passkeyId: owner.passkeyId! }]);
    expect(await codeOf(refresh())).toBe('KEY_NOT_FOUND');

    for (const entry of [v.vin, `${v.vin} 0`, `${v.vin} 7`]) {
      await t.store.set(index, entry);
      trips.reset();
      expect((await refresh()).keyId, entry).toBe(keyId);
      if (entry === `${v.vin} 0`) expect(trips.count, trips.calls.join(', ')).toBeLessThanOrEqual(3);
    }
    // After a wipe the key is gone, whatever the index says.
    await t.store.set(index, `${v.vin} 0`);
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/standard-services`, {});
    expect(await codeOf(refresh())).toBe('REVOKED');

    for (const corrupt of [`${v.vin} x`, `${v.vin} 0 1`, 'NOTAVIN 0', `${v.vin} 01`]) {
      await t.store.set(index, corrupt);
      await expect(t.app.ctx.vehicles.homeOfKey(keyId), corrupt).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    }
  });

  it("refreshes a key for its account's other phone too: that passkey's record names the key", async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const keyId = owner.wallet.get(v.vin)!.keyId;
    const second = await addPhone(t, owner, 'Tablet');
    expect((await second.api.request<{ keyId: string }>('POST', `/v1/keys/${keyId}/credential`, {})).keyId).toBe(keyId);
    const stranger = t.phone();
    await stranger.signUp(`stranger-${v.vin}@example.com`, 'Stranger');
    expect(await codeOf(stranger.api.request('POST', `/v1/keys/${keyId}/credential`, {}))).toBe('KEY_NOT_FOUND');
  });
});
