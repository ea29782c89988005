/**
 * Every record read from the store goes through its schema: a subscription whose fields do not fit
 * its status, or a vehicle document someone corrupted, is CORRUPT_RECORD — and the API answers a
 * generic 500 (no detail of the record leaks), never a silently mistyped object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vehicleRecordSchema } from '../../../server/domain/vehicleRecord.js';
import { subscriptionSchema } from '../../../server/domain/subscriptionRecord.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';

const base = {
  subscriptionId: 's1',
  accountId: 'a1',
  plan: 'monthly',
  createdAt: 0,
  anchor: 0,
  periodStart: 0,
  periodEnd: 1,
  periodsPaid: 1,
  autoRenew: true,
  failedAttempts: 1,
  refundedCents: 0,
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('a subscription is a union on its status', () => {
  it.each([
    ['past-due without the time of its next attempt', { ...base, status: 'past-due' }],
    ['ended without an end reason', { ...base, status: 'ended', endedAt: 5 }],
    ['an unknown status', { ...base, status: 'paused' }],
  ])('%s does not parse', (_what, record) => {
    expect(subscriptionSchema.safeParse(record).success).toBe(false);
  });

  it('each variant keeps exactly its fields: a retry time on an active subscription is dropped', () => {
    expect(subscriptionSchema.parse({ ...base, status: 'active', retryAt: 9 })).not.toHaveProperty('retryAt');
    expect(subscriptionSchema.parse({ ...base, status: 'past-due', retryAt: 9 })).toMatchObject({ status: 'past-due', retryAt: 9 });
  });
});

describe('a corrupt vehicle document', () => {
  it('is CORRUPT_RECORD in the repository and a generic 500 over HTTP', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const raw = await t.store.get(storeKeys.vehicle(vin));
    const vehicle = vehicleRecordSchema.parse(JSON.parse(raw ?? 'null'));
    await t.store.set(storeKeys.vehicle(vin), JSON.stringify({ ...vehicle, epoch: 'one' }));
    await expectRejectsWithCode(t.app.ctx.vehicles.get(vin), 'CORRUPT_RECORD');
    const res = await fetch(`${t.baseUrl}/v1/vehicles/${vin}/keys`, { headers: { authorization: `Bearer ${phone.api.token}` } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
  });
});

describe('a key record as stored (issue 11: compact, and older records still read)', () => {
  it('leaves out what its place says (id, VIN, epoch), reads back whole, reads the older full form, and refuses one that names another place', async () => {
    const { vin, odometerKm } = await t.provision();
    const phone = await t.mainUserWithKey(vin, odometerKm);
    const keyId = phone.wallet.get(vin)!.keyId;
    const hash = storeKeys.vehicleKeys(vin, 0);
    const stored = JSON.parse((await t.store.hget(hash, keyId)) ?? 'null') as Record<string, unknown>;
    expect(stored).not.toHaveProperty('keyId');
    expect(stored).not.toHaveProperty('vin');
    expect(stored).not.toHaveProperty('epoch');
    const key = await t.app.ctx.vehicles.key(vin, 0, keyId);
    expect(key).toMatchObject({ keyId, vin, epoch: 0, role: 'main', passkeyId: phone.passkeyId });

    // A record written before issue 11 carries every field.
    await t.store.commit({ hset: [{ key: hash, field: keyId, value: JSON.stringify(key) }] });
    expect(await t.app.ctx.vehicles.key(vin, 0, keyId)).toEqual(key);
    expect(await t.app.ctx.vehicles.keys(vin, 0)).toEqual([key]);

    await t.store.commit({ hset: [{ key: hash, field: keyId, value: JSON.stringify({ ...key, epoch: 4 }) }] });
    await expectRejectsWithCode(t.app.ctx.vehicles.key(vin, 0, keyId), 'CORRUPT_RECORD');
  });
});
