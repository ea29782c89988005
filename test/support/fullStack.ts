/**
 * The whole product in one test: the real server (HTTP, memory store, manual clock), cars on a
 * simulated air trusting the server's JWKS and sharing its clock (each provisioned with the link
 * secret its vehicle record holds), and phones that talk HTTP to the server and BLE — through noble,
 * finding a car with the advertising key their wallet got from the server — to the cars.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { Command } from '../../shared/commands.js';
import { Air } from '../../ble-sim/air/air.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble, type Noble } from '../../ble-sim/noble/createNoble.js';
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { sendCommand, type SendCommandResult } from '../../ble-sim/phone/phoneCentral.js';
import { createVehicle, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { VehicleSync } from '../../ble-sim/vehicle/vehicleSync.js';
import { startTestServer, TEST_ORIGIN, TEST_RP_ID, type ProvisionedTestVehicle, type TestServer } from './testServer.js';

export interface BlePhone {
  app: PhoneApp;
  noble: Noble;
  /** Send a command to a car with the phone's current credential and newest manifest. */
  send(vin: string, cmd: Command, opts?: { withState?: boolean }): Promise<SendCommandResult>;
}

export interface FullStack {
  t: TestServer;
  air: Air;
  car(vin: string): Vehicle;
  /** Provision a vehicle on the server and start its car on the air. */
  provisionCar(opts?: { firstRegistration?: string }): Promise<ProvisionedTestVehicle & { car: Vehicle }>;
  /** Connect a car to the server's sync channel. */
  sync(vin: string, privateKey: JWK): VehicleSync;
  phone(app?: PhoneApp): BlePhone;
  cleanup(): Promise<void>;
}

export async function startFullStack(opts: Pick<Parameters<typeof startTestServer>[0] & object, 'env' | 'mailer'> = {}): Promise<FullStack> {
  const t = await startTestServer(opts);
  const dir = await mkdtemp(join(tmpdir(), 'sdk-e2e-'));
  const air = new Air({ seed: 11 });
  const cars = new Map<string, Vehicle>();
  const syncs: VehicleSync[] = [];
  const stack: FullStack = {
    t,
    air,
    car(vin) {
      const car = cars.get(vin);
      if (!car) throw new Error(`no car ${vin}`);
      return car;
    },
    async provisionCar(p = {}) {
      const v = await t.provision(p.firstRegistration ? { firstRegistration: p.firstRegistration } : {});
      const car = createVehicle({ vin: v.vin, linkSecret: v.linkSecret, trust: t.app.ctx.trust, rpId: TEST_RP_ID, origins: [TEST_ORIGIN], stateFile: join(dir, `${v.vin}.json`), clock: t.clock, air });
      await car.start();
      cars.set(v.vin, car);
      return { ...v, car };
    },
    sync(vin, privateKey) {
      const car = stack.car(vin);
      const s = new VehicleSync({ baseUrl: t.baseUrl, vin, privateKey, issuer: t.config.ISSUER, clock: t.clock, applyManifest: (m) => car.applyManifest(m), applyTrustUpdate: (tokens) => car.applyTrustUpdate(tokens), initialBackoffMs: 20, maxBackoffMs: 200 });
      s.start();
      syncs.push(s);
      return s;
    },
    phone(app) {
      const phoneApp = app ?? t.phone();
      const noble = createNoble(new AirBindings(air));
      return {
        app: phoneApp,
        noble,
        send(vin, cmd, o = {}) {
          const { state, advertising, ...key } = phoneApp.credentialFor(vin);
          const withState = o.withState ?? true;
          return sendCommand({ noble, vin, advertising: { ...advertising, clock: t.clock }, cmd, ...key, ...(withState && state ? { state } : {}), authenticator: phoneApp.authenticator, rpId: TEST_RP_ID, origin: TEST_ORIGIN, timeoutMs: 5000 }).then((result) => {
            phoneApp.noteCommand(vin, key.credential, result);
            return result;
          });
        },
      };
    },
    async cleanup() {
      for (const s of syncs) await s.stop();
      for (const car of cars.values()) await car.stop();
      await t.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return stack;
}
