/**
 * What a digital key costs in storage keys (issue 11: Redis bytes per key). A key is one field of
 * its epoch's hash; "one key per passkey per vehicle" is read from the epoch's keys, and the keys a
 * passkey was given are listed in its record (R6, and how a refresh finds the key's vehicle), not
 * in indexes of their own; a passkey's key index and a key's VIN index written before are still
 * read and pruned with their keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeLostPasskey } from '../../../server/keys/revokeLostPasskey.js';
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

describe('the keys a passkey was given (R6)', () => {
  it('are listed in the passkey record (no index of their own), compactly, and found by a lost-phone revocation', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const keyId = owner.wallet.get(v.vin)!.keyId;
    const passkeyId = owner.passkeyId!;
    expect(await t.store.hgetall(storeKeys.passkeyKeyIndex(passkeyId))).toEqual({});
    expect((await t.app.ctx.accounts.findPasskey(passkeyId))?.givenKeys).toEqual([`${v.vin} ${keyId}`]);
    const place = t.app.ctx.accounts.buckets.passkey(passkeyId);
    expect(await t.store.hget(place.key, place.field)).not.toContain(keyId);
    expect(await t.app.ctx.vehicles.keysGivenToPasskey(passkeyId)).toEqual([{ vin: v.vin, keyId }]);
    expect(await t.store.get(storeKeys.keyVehicle(keyId))).toBeNull();
  });

  it('a key index written before (its own hash) is still read and pruned', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const passkeyId = owner.passkeyId!;
    const legacyKeyId = '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41';
    await t.store.commit({ hset: [{ key: storeKeys.passkeyKeyIndex(passkeyId), field: `${v.vin} ${legacyKeyId}`, value: '' }] });
    expect((await t.app.ctx.vehicles.keysGivenToPasskey(passkeyId)).map((k) => k.keyId)).toContain(legacyKeyId);
    await t.app.ctx.vehicles.unindexKeys([{ vin: v.vin, keyId: legacyKeyId, passkeyId }]);
    expect(await t.store.hgetall(storeKeys.passkeyKeyIndex(passkeyId))).toEqual({});
    expect(await t.app.ctx.vehicles.keysGivenToPasskey(passkeyId)).toEqual([{ vin: v.vin, keyId: owner.wallet.get(v.vin)!.keyId }]);
  });

  it('R6: a lost phone’s key is revoked through its passkey record', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const keyId = owner.wallet.get(v.vin)!.keyId;
    const result = await revokeLostPasskey(t.app.ctx, { vin: v.vin, passkeyId: owner.passkeyId!, dealer: '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41', reason: 'lost' });
    expect(JSON.stringify(result)).toContain(keyId);
    expect((await t.app.ctx.vehicles.get(v.vin)).revoked.map((r) => r.keyId)).toEqual([keyId]);
  });
});
