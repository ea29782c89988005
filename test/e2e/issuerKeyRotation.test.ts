/**
 * Issuer key rotation end to end (docs/operations.md): the server is restarted through the three
 * steps — announce the next key, promote it, retire the previous one — on the same store and port,
 * while a car keeps its sync channel and a phone unlocks it over BLE before, during and after. The
 * car takes new issuer keys only from a trust update signed by a key it already trusts; a car that
 * slept through the announcement catches up from the update the previous key co-signs; a credential
 * signed with the old key works until the old key is retired.
 */
import { get as httpGet } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { JWK } from 'jose';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Air } from '../../ble-sim/air/air.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble, type Noble } from '../../ble-sim/noble/createNoble.js';
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { sendCommand } from '../../ble-sim/phone/phoneCentral.js';
import { createVehicle, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { VehicleSync } from '../../ble-sim/vehicle/vehicleSync.js';
import { MemoryStore } from '../../server/store/memoryStore.js';
import { ManualClock } from '../../shared/clock.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { decodeCoseSign1 } from '../../shared/cose/coseSign1.js';
import { coseKidOf } from '../../shared/credential/issuerCoseKeys.js';
import { jwkSetSchema } from '../../shared/credential/jwkSchema.js';
import { signTrustUpdate } from '../../shared/credential/trustUpdate.js';
import { POLL } from '../support/poll.js';
import { startTestServer, TEST_ORIGIN, TEST_RP_ID, type TestServer } from '../support/testServer.js';

const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
const store = new MemoryStore({ clock });
const air = new Air({ seed: 23 });
let dir: string;
let t: TestServer;
let port: number;
let k1: LocalIssuerKey;
let k2: LocalIssuerKey;
const syncs: VehicleSync[] = [];
const syncEvents: string[] = [];
const cars: Vehicle[] = [];
let noble: Noble;

/** (Re)start the server on the same store, clock and port with this issuer configuration. */
/**
 * GET a JSON document on a connection of its own: the server was just restarted on the same port,
 * and a kept-alive socket of fetch's pool to the old one may not have seen its close yet.
 */
function getJsonOnNewConnection(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve(JSON.parse(body)));
    }).once('error', reject);
  });
}

async function restart(issuerKey: LocalIssuerKey, extra: object[] = []): Promise<void> {
  await t?.close();
  clock.advance(60_000);
  t = await startTestServer({ store, clock, issuerKey, ...(port ? { port } : {}), env: extra.length ? { ISSUER_EXTRA_JWKS: JSON.stringify(extra) } : {} });
  port = Number(new URL(t.baseUrl).port);
}

async function carOnAir({ vin, linkSecret }: { vin: string; linkSecret: Uint8Array }): Promise<Vehicle> {
  const car = createVehicle({ vin, linkSecret, trust: t.app.ctx.trust, rpId: TEST_RP_ID, origins: [TEST_ORIGIN], stateFile: join(dir, `${vin}.json`), clock, air });
  await car.start();
  cars.push(car);
  return car;
}

function syncCar(car: Vehicle, privateKey: JWK): VehicleSync {
  const sync = new VehicleSync({
    baseUrl: t.baseUrl,
    vin: car.vin,
    privateKey,
    issuer: t.config.ISSUER,
    clock,
    applyManifest: (m) => car.applyManifest(m),
    applyTrustUpdate: (tokens) => car.applyTrustUpdate(tokens),
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    onEvent: (e) => syncEvents.push(`${car.vin.slice(-1)} ${JSON.stringify(e)}`),
  });
  sync.start();
  syncs.push(sync);
  return sync;
}

/** A failed wait says what the cars' sync channels saw. */
function withSyncEvents(err: Error): never {
  throw new Error(`${err.message}; sync events: ${syncEvents.join(' | ')}`);
}

const trustedKids = (car: Vehicle) => (car.state.issuerKeys ?? []).map((k) => k.kid).sort();
/** The COSE key id (hex) a credential names its issuer key by. */
const kidOf = (held: HeldKey) => Buffer.from(decodeCoseSign1(base64UrlToBytes(held.credential), { allowedLabels: [1, 4, 16] }).protectedHeader.get(4) as Uint8Array).toString('hex');
const coseKid = (jwk: JWK) => Buffer.from(coseKidOf(jwk)).toString('hex');
type HeldKey = ReturnType<PhoneApp['credentialFor']>;

async function unlock(phone: PhoneApp, vin: string, held: HeldKey = phone.credentialFor(vin)): Promise<string> {
  const { state: _state, advertising, carHoldsCredential: _holds, ...key } = held;
  const result = await sendCommand({ noble, advertising: { ...advertising, clock }, vin, cmd: 'unlock', ...key, authenticator: phone.authenticator, rpId: TEST_RP_ID, origin: TEST_ORIGIN, timeoutMs: 5000 });
  return result.response.code;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-rotation-'));
  k1 = await LocalIssuerKey.generate();
  k2 = await LocalIssuerKey.generate();
  noble = createNoble(new AirBindings(air));
});
afterAll(async () => {
  for (const s of syncs) await s.stop();
  for (const car of cars) await car.stop();
  await t?.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('issuer key rotation with a synced car', () => {
  it(
    'announce, promote, retire: the car follows every step over its sync channel and unlocks before, during and after',
    async () => {
      await restart(k1);
      const v = await t.provision();
      const sleeper = await t.provision();
      const car = await carOnAir(v);
      const sleepingCar = await carOnAir(sleeper);
      syncCar(car, v.vehiclePrivateJwk);
      const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
      await expect.poll(() => trustedKids(car), POLL).toEqual([k1.kid]).catch(withSyncEvents);
      expect(await unlock(owner, v.vin)).toBe('OK');
      const oldCredential = owner.credentialFor(v.vin);
      expect(kidOf(oldCredential)).toBe(coseKid(k1.publicJwk));

      // 1. Announce: K1 signs, K2 is published; the car now trusts both.
      await restart(k1, [k2.publicJwk]);
      const jwks = jwkSetSchema.parse(await getJsonOnNewConnection(`${t.baseUrl}/.well-known/jwks.json`));
      expect(jwks.keys.map((k) => k.kid)).toEqual([k1.kid, k2.kid]);
      await expect.poll(() => trustedKids(car), POLL).toEqual([k1.kid, k2.kid].sort()).catch(withSyncEvents);
      expect(await unlock(owner, v.vin)).toBe('OK');

      // 2. Promote: K2 signs, K1 still verifies and co-signs the update.
      await restart(k2, [k1.exportPrivateJwk()]);
      await owner.refresh(v.vin);
      const newCredential = owner.credentialFor(v.vin);
      expect(kidOf(newCredential)).toBe(coseKid(k2.publicJwk));
      expect(await unlock(owner, v.vin, newCredential)).toBe('OK');
      expect(await unlock(owner, v.vin, oldCredential)).toBe('OK');
      // A car offline during the announcement takes the promotion from K1's signature.
      expect(trustedKids(sleepingCar)).toEqual([]);
      syncCar(sleepingCar, sleeper.vehiclePrivateJwk);
      await expect.poll(() => trustedKids(sleepingCar), POLL).toEqual([k1.kid, k2.kid].sort()).catch(withSyncEvents);

      // 3. Retire: only K2; the old credential stops working, the new one goes on.
      const promotion = await t.app.ctx.trustUpdates.tokens();
      await restart(k2);
      await expect.poll(() => trustedKids(car), POLL).toEqual([k2.kid]).catch(withSyncEvents);
      expect(await unlock(owner, v.vin, newCredential)).toBe('OK');
      expect(await unlock(owner, v.vin, oldCredential)).toBe('BAD_SIGNATURE');

      // Replaying the promotion (an instance still on the old configuration) does not bring K1 back.
      expect(await car.applyTrustUpdate(promotion)).toMatchObject({ applied: false });
      expect(trustedKids(car)).toEqual([k2.kid]);
    },
    120_000,
  );

  it('a trust update signed by a key the car does not trust is refused, and changes nothing', async () => {
    const stranger = await LocalIssuerKey.generate();
    const car = cars[0];
    if (!car) throw new Error('the rotation test runs first');
    const before = trustedKids(car);
    const forged = await signTrustUpdate({ key: stranger, issuer: t.config.ISSUER, keys: [stranger.publicJwk], nowSeconds: Math.floor(clock.now() / 1000) + 3600 });
    await expect(car.applyTrustUpdate([forged])).rejects.toMatchObject({ name: 'DigitalKeyError', code: 'BAD_SIGNATURE' });
    expect(trustedKids(car)).toEqual(before);
  });
});
