/**
 * What a digital key costs in storage keys (issue 11: Redis bytes per key). A key is one field of
 * its epoch's hash; "one key per passkey per vehicle" is read from the epoch's keys, not from an
 * index of its own; an index written before is still honoured where it matters (cleaned up with
 * its key or epoch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { codeOf } from '../../support/httpCalls.js';
import { shareKey } from '../../support/ownerFixtures.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('a key’s storage', () => {
  it('writes no per-epoch passkey index; a passkey still holds one key per vehicle', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const guest = t.phone();
    await guest.signUp(`guest-${v.vin}@example.com`, 'Guest');
    await shareKey(owner, guest, v.vin);
    expect(await t.store.hgetall(storeKeys.vehiclePasskeyKeys(v.vin, 0))).toEqual({});
    expect(Object.keys(await t.store.hgetall(storeKeys.vehicleKeys(v.vin, 0)))).toHaveLength(2);
    expect(await codeOf(owner.requestKey(v.vin))).toBe('KEY_EXISTS');
  });
});
