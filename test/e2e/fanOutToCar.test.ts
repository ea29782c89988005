/**
 * Fan-out to a real car across instances: two servers share one throwaway Redis; a simulated car
 * keeps its sync channel to instance B; the owner removes the vehicle through instance A (R4a); the
 * car applies the new manifest and refuses the old key over BLE with EPOCH_STALE.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Air } from '../../ble-sim/air/air.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble } from '../../ble-sim/noble/createNoble.js';
import { sendCommand } from '../../ble-sim/phone/phoneCentral.js';
import { createVehicle, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { VehicleSync } from '../../ble-sim/vehicle/vehicleSync.js';
import { POLL } from '../support/poll.js';
import { startTwoInstances, type TwoInstances } from '../support/twoInstances.js';
import { TEST_ORIGIN, TEST_RP_ID, type TestServer } from '../support/testServer.js';

let two: TwoInstances;
let a: TestServer;
let b: TestServer;
let dir: string;
beforeAll(async () => {
  two = await startTwoInstances();
  ({ a, b } = two);
  dir = await mkdtemp(join(tmpdir(), 'sdk-fanout-'));
});
afterAll(async () => {
  await two.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('revocation across instances reaches the car', () => {
  it('R4a: the owner removes the vehicle on instance A; the car synced to instance B refuses the old key over BLE (EPOCH_STALE)', async () => {
    const v = await a.provision();
    const owner = await a.mainUserWithKey(v.vin, v.odometerKm);
    const air = new Air({ seed: 3 });
    const car: Vehicle = createVehicle({ vin: v.vin, linkSecret: v.linkSecret, trust: b.app.ctx.trust, rpId: TEST_RP_ID, origins: [TEST_ORIGIN], stateFile: join(dir, 'car.json'), clock: b.clock, air });
    await car.start();
    const sync = new VehicleSync({ baseUrl: b.baseUrl, vin: v.vin, privateKey: v.vehiclePrivateJwk, issuer: b.config.ISSUER, clock: b.clock, applyManifest: (m) => car.applyManifest(m) });
    sync.start();
    try {
      await expect.poll(() => sync.lastSeq, POLL).toBe(0); // the car synced to B
      const noble = createNoble(new AirBindings(air));
      const unlock = () => {
        const { state: _state, advertising, ...key } = owner.credentialFor(v.vin);
        return sendCommand({ noble, advertising: { ...advertising, clock: b.clock }, vin: v.vin, cmd: 'unlock', ...key, authenticator: owner.authenticator, rpId: TEST_RP_ID, origin: TEST_ORIGIN, timeoutMs: 5000 });
      };
      expect((await unlock()).response.ok).toBe(true);

      await owner.api.request('DELETE', `/v1/me/vehicles/${v.vin}`, {});
      await expect.poll(() => car.state.ep, POLL).toBe(1); // the car applied the wipe made on A
      expect((await unlock()).response.code).toBe('EPOCH_STALE');
    } finally {
      await sync.stop();
      await car.stop();
    }
  });
});
