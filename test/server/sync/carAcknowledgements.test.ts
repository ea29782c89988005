/**
 * The car reports what it applied (issue 9): POST /v1/vehicle-api/acks with the car's own signed,
 * single-use token; the server keeps the newest seq, when it was first reported and when the car was
 * last seen; the dealer's vehicle view says reached / waiting. The car's sync channel acknowledges
 * every manifest it applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { grantDealer } from '../../../server/operator/grantDealer.js';
import { VehicleSync } from '../../../ble-sim/vehicle/vehicleSync.js';
import type { PhoneApp } from '../../../ble-sim/phone/phoneApp.js';
import { rawCall } from '../../support/httpCalls.js';
import { POLL } from '../../support/poll.js';
import { vehicleToken } from '../../support/vehicleEvents.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
let dealer: PhoneApp;
beforeAll(async () => {
  t = await startTestServer();
  dealer = t.phone();
  await dealer.signUp('ack-dealer@example.com', 'Dealer');
  await grantDealer(t.app.ctx, 'ack-dealer@example.com');
});
afterAll(async () => {
  await t.close();
});

interface CarStatus {
  state: string;
  seq: number;
  appliedSeq: number | null;
  appliedAt: number | null;
  lastSeenAt: number | null;
}
const carOf = async (vin: string) => (await dealer.api.request<{ car: CarStatus }>('GET', `/v1/dealer/vehicles/${vin}/keys`)).car;
const ack = async (vin: string, key: JWK, body: unknown) => rawCall(t.baseUrl, 'POST', '/v1/vehicle-api/acks', { token: await vehicleToken(t, vin, key), body: body as object });

describe('the car reports the manifest it applied', () => {
  it('a car that never reported is "never"; a report of the current seq is "reached"; a newer manifest makes it "waiting"', async () => {
    const v = await t.provision();
    expect(await carOf(v.vin)).toEqual({ state: 'never', seq: 0, appliedSeq: null, appliedAt: null, lastSeenAt: null });
    const first = await ack(v.vin, v.vehiclePrivateJwk, { seq: 0 });
    expect(first.status).toBe(200);
    const at = t.clock.now();
    expect(first.json).toEqual({ seq: 0, appliedAt: at, lastSeenAt: at });
    expect(await carOf(v.vin)).toEqual({ state: 'reached', seq: 0, appliedSeq: 0, appliedAt: at, lastSeenAt: at });
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${owner.wallet.get(v.vin)!.keyId}`);
    expect(await carOf(v.vin)).toMatchObject({ state: 'waiting', seq: 1, appliedSeq: 0 });
  });

  it('the seq only moves forward: an older report refreshes "last seen" only', async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${owner.wallet.get(v.vin)!.keyId}`);
    expect((await ack(v.vin, v.vehiclePrivateJwk, { seq: 1 })).status).toBe(200);
    const appliedAt = t.clock.now();
    t.clock.advance(60_000);
    const late = await ack(v.vin, v.vehiclePrivateJwk, { seq: 0 });
    expect(late.json).toEqual({ seq: 1, appliedAt, lastSeenAt: appliedAt + 60_000 });
  });

  it('refuses malformed reports and a seq the server never made with 400 VALIDATION_FAILED', async () => {
    const v = await t.provision();
    for (const body of [{}, { seq: '0' }, { seq: -1 }, { seq: 0.5 }, { seq: 0, extra: 1 }, { seq: 1 }, { seq: 1e300 }, [0], 'seq']) {
      const res = await ack(v.vin, v.vehiclePrivateJwk, body);
      expect([JSON.stringify(body), res.status, res.json?.error?.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
    }
    expect((await carOf(v.vin)).state).toBe('never');
  });

  it('refuses a replayed token and a token signed by another car (the attack: reporting for a car one does not hold)', async () => {
    const v = await t.provision();
    const other = await t.provision();
    const token = await vehicleToken(t, v.vin, v.vehiclePrivateJwk);
    expect((await rawCall(t.baseUrl, 'POST', '/v1/vehicle-api/acks', { token, body: { seq: 0 } })).status).toBe(200);
    const replay = await rawCall(t.baseUrl, 'POST', '/v1/vehicle-api/acks', { token, body: { seq: 0 } });
    expect([replay.status, replay.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const forged = await rawCall(t.baseUrl, 'POST', '/v1/vehicle-api/acks', { token: await vehicleToken(t, other.vin, v.vehiclePrivateJwk), body: { seq: 0 } });
    expect([forged.status, forged.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await carOf(other.vin)).state).toBe('never');
  });

  it("the car's sync channel acknowledges each manifest it applies: a revocation reaches the car", async () => {
    const v = await t.provision();
    const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
    const sync = new VehicleSync({ baseUrl: t.baseUrl, vin: v.vin, privateKey: v.vehiclePrivateJwk, issuer: t.config.ISSUER, clock: t.clock, applyManifest: async () => undefined });
    sync.start();
    try {
      await expect.poll(async () => (await carOf(v.vin)).state, POLL).toBe('reached');
      await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${owner.wallet.get(v.vin)!.keyId}`);
      await expect.poll(async () => await carOf(v.vin), POLL).toMatchObject({ state: 'reached', seq: 1, appliedSeq: 1 });
    } finally {
      await sync.stop();
    }
  });
});
