/**
 * Crash injection (issue 11): a server process is killed (SIGKILL) at the commit point of a
 * revocation, an invitation accept, a claim and a wipe — right after Redis acknowledged the
 * vehicle's commit, before anything else ran.
 * The user retries on another instance (a separate `server/main.ts` process on the same Redis): the
 * retry answers as done and publishes, a car synced to that instance applies the state, the old key
 * is refused over BLE, and the notice the commit owed is in the outbox exactly once. The wipe kills
 * the instance the car syncs with, which is then started again on the same Redis: the car gets the
 * new epoch when it reconnects, and the restarted instance delivers what the wipe owed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Air } from '../../ble-sim/air/air.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble } from '../../ble-sim/noble/createNoble.js';
import { ApiClient } from '../../ble-sim/phone/apiClient.js';
import { PhoneApp, type IssuedKey } from '../../ble-sim/phone/phoneApp.js';
import { sendCommand } from '../../ble-sim/phone/phoneCentral.js';
import { createVehicle, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { VehicleSync } from '../../ble-sim/vehicle/vehicleSync.js';
import { systemClock } from '../../shared/clock.js';
import { linkSecretBytes } from '../../shared/ble/linkKeys.js';
import { readVehicleKeyFile } from '../../shared/vehicleKeyFile.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { POLL } from '../support/poll.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';
import { freePort, runCommandLine, spawnProcess, type SpawnedProcess } from '../support/spawnedProcess.js';
import { shareKey } from '../support/ownerFixtures.js';
import { TEST_CARDS } from '../../server/subscriptions/simulatedPaymentGateway.js';

const VIN = 'WVWZZZ1JZXW000521';
let dir: string;
let redis: RedisServer;
let env: Record<string, string>;
let origin: string;
let originPort: number;
/** The `server/main.ts` process on `originPort`, which the car syncs with. */
let primary: SpawnedProcess;
const started: SpawnedProcess[] = [];
const air = new Air({ seed: 5 });
const noble = createNoble(new AirBindings(air));
let car: Vehicle;
let sync: VehicleSync;
let qrToken: string;

/** A server process on the shared Redis; `crash` arms the commit-point kill for VIN. */
async function serverProcess(port: number, crash: boolean): Promise<SpawnedProcess> {
  const entry = crash ? 'test/process/support/crashAfterCommitServer.ts' : 'server/main.ts';
  const p = spawnProcess(process.execPath, ['--import', 'tsx', entry], { env: { ...env, PORT: String(port), ...(crash ? { CRASH_VIN: VIN } : {}) } });
  started.push(p);
  await p.waitFor((l) => l.json?.msg === 'server listening', 90_000, `${entry} listening`);
  return p;
}

function phoneOn(baseUrl: string): PhoneApp {
  return new PhoneApp({ baseUrl, rpId: 'localhost', origin });
}

/** The same phone's session, talking to another instance. */
function viaInstance(phone: PhoneApp, baseUrl: string): ApiClient {
  const api = new ApiClient(baseUrl);
  api.token = phone.api.token;
  return api;
}

async function unlock(phone: PhoneApp): Promise<string> {
  const result = await sendCommand({ noble, vin: VIN, cmd: 'unlock', ...phone.credentialFor(VIN), authenticator: phone.authenticator, rpId: 'localhost', origin, timeoutMs: 5000 });
  return result.response.code;
}

const kinds = async (phone: PhoneApp) => (await phone.api.request<{ notifications: Array<{ kind: string }> }>('GET', '/v1/me/notifications')).notifications.map((n) => n.kind);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-crash-'));
  redis = await startRedisServer();
  originPort = await freePort();
  origin = `http://localhost:${originPort}`;
  const issuerKey = await LocalIssuerKey.generate();
  env = {
    SDK_DATA_DIR: dir,
    REDIS_URL: redis.url,
    ISSUER: origin,
    RP_ORIGINS: origin,
    ISSUER_PRIVATE_JWK: JSON.stringify(issuerKey.exportPrivateJwk()),
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    // Only the retry may bring the car the new state (no heartbeat catch-up within the test).
    SYNC_HEARTBEAT: '300',
    SCHEDULER_INTERVAL: '1',
  };
  primary = await serverProcess(originPort, false);
  const provisioned = JSON.parse((await runCommandLine(`npm run -s operator -- provision-vehicle --vin ${VIN} --odometer 900 --json`, env)).stdout) as { qrToken: string; keyFile: string };
  qrToken = provisioned.qrToken;
  const { vehicleKey, linkSecret } = await readVehicleKeyFile(provisioned.keyFile);
  car = createVehicle({ vin: VIN, linkSecret: linkSecretBytes(linkSecret), trust: { issuer: origin, jwks: { keys: [issuerKey.publicJwk] } }, rpId: 'localhost', origins: [origin], stateFile: join(dir, 'car.json'), clock: systemClock, air });
  await car.start();
  sync = new VehicleSync({ baseUrl: origin, vin: VIN, privateKey: vehicleKey, issuer: origin, clock: systemClock, applyManifest: (m) => car.applyManifest(m), applyTrustUpdate: (t) => car.applyTrustUpdate(t), initialBackoffMs: 20, maxBackoffMs: 200 });
  sync.start();
}, 180_000);

afterAll(async () => {
  await sync?.stop();
  await car?.stop();
  await Promise.all(started.map((p) => p.stop()));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a server killed at the commit point', () => {
  it('a revocation, an invitation accept, a claim, then a wipe: each retried (or its instance restarted) is answered as done, reaches the car, and tells its notice once', { timeout: 300_000 }, async () => {
    const owner = phoneOn(origin);
    await owner.signUp('owner@example.com', 'Owner');
    await owner.claim(VIN, { method: 'qr', qrToken });
    await owner.activateStandardServices(VIN);
    await owner.api.request('POST', `/v1/vehicles/${VIN}/subscriptions`, { plan: 'trial' });
    await owner.requestKey(VIN);
    const guest = phoneOn(origin);
    await guest.signUp('guest@example.com', 'Guest');
    const guestKey = await shareKey(owner, guest, VIN);
    expect(await unlock(guest)).toBe('OK');

    // Revocation: killed right after its commit.
    let doomedPort = await freePort();
    let doomed = await serverProcess(doomedPort, true);
    await expect(viaInstance(owner, `http://localhost:${doomedPort}`).request('DELETE', `/v1/vehicles/${VIN}/keys/${guestKey}`)).rejects.toThrow();
    expect(await doomed.exited).toBe('SIGKILL');
    // The retry, on the surviving instance: done, at the current seq; the car gets it; the guest is told once.
    const revoked = await owner.api.request<{ keyId: string; seq: number }>('DELETE', `/v1/vehicles/${VIN}/keys/${guestKey}`);
    expect(revoked.keyId).toBe(guestKey);
    await expect.poll(() => car.state.seq, POLL).toBeGreaterThanOrEqual(revoked.seq);
    expect(await unlock(guest)).toBe('REVOKED');
    await new Promise((r) => setTimeout(r, 1500)); // a scheduler run of the survivor
    expect(await kinds(guest)).toEqual(['key-revoked']);

    // An invitation accept: killed right after the key's commit; the retry finds that key, and makes no second.
    const friend = phoneOn(origin);
    await friend.signUp('friend@example.com', 'Friend');
    const { code } = await owner.api.request<{ code: string }>('POST', `/v1/vehicles/${VIN}/invitations`, { perms: ['unlock'] });
    doomedPort = await freePort();
    doomed = await serverProcess(doomedPort, true);
    await expect(viaInstance(friend, `http://localhost:${doomedPort}`).request('POST', `/v1/invitations/${code}/accept`, { passkeyId: friend.passkeyId })).rejects.toThrow();
    expect(await doomed.exited).toBe('SIGKILL');
    const accepted = await friend.api.request<IssuedKey>('POST', `/v1/invitations/${code}/accept`, { passkeyId: friend.passkeyId });
    friend.wallet.put(VIN, accepted);
    expect((await owner.api.request<{ keys: Array<{ keyId: string; role: string }> }>('GET', `/v1/vehicles/${VIN}/keys`)).keys.filter((k) => k.role === 'shared').map((k) => k.keyId)).toEqual([accepted.keyId]);
    expect(await unlock(friend)).toBe('OK');

    // Claim by another account: killed right after its commit.
    const buyer = phoneOn(origin);
    await buyer.signUp('buyer@example.com', 'Buyer');
    doomedPort = await freePort();
    doomed = await serverProcess(doomedPort, true);
    await expect(viaInstance(buyer, `http://localhost:${doomedPort}`).request('POST', `/v1/vehicles/${VIN}/claims`, { method: 'qr', qrToken, acceptTerms: true })).rejects.toThrow();
    expect(await doomed.exited).toBe('SIGKILL');
    expect(await buyer.claim(VIN, { method: 'qr', qrToken })).toMatchObject({ role: 'main' });
    await expect.poll(() => car.state.ep, POLL).toBe(1);
    expect(await unlock(owner)).toBe('EPOCH_STALE');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await kinds(owner)).filter((k) => k === 'vehicle-claimed-by-another')).toHaveLength(1);

    // A wipe (R4a: the main user removes the vehicle, its monthly plan ending with it, R4b): the
    // instance the car syncs with is killed right after the commit, then started again on the same Redis.
    await buyer.activateStandardServices(VIN);
    await buyer.api.request('POST', '/v1/me/cards', { number: TEST_CARDS.visa, expMonth: 12, expYear: 2099 });
    await buyer.api.request('POST', `/v1/vehicles/${VIN}/subscriptions`, { plan: 'monthly' });
    const { keyId: buyerKey } = await buyer.requestKey(VIN);
    const wipedShare = await shareKey(buyer, friend, VIN);
    expect(await unlock(friend)).toBe('OK');
    await new Promise((r) => setTimeout(r, 1500)); // a scheduler run: nothing of the plan's start is left due
    await primary.stop();
    primary = await serverProcess(originPort, true);
    await expect(buyer.api.request('DELETE', `/v1/me/vehicles/${VIN}`, {})).rejects.toThrow();
    expect(await primary.exited).toBe('SIGKILL');
    primary = await serverProcess(originPort, false);
    // The car, reconnected, gets the new epoch: every key of the old one is refused.
    await expect.poll(() => car.state.ep, POLL).toBe(2);
    expect(await unlock(friend)).toBe('EPOCH_STALE');
    expect(await unlock(buyer)).toBe('EPOCH_STALE');
    // The plan ended in the wipe's commit: the restarted instance's scheduler tells its main user, once.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await kinds(buyer)).filter((k) => k === 'subscription-ended')).toHaveLength(1);
    expect((await buyer.api.request<{ vehicles: unknown[] }>('GET', '/v1/me/vehicles')).vehicles).toEqual([]);
    // The retry is answered as done, with what the removal wiped, and wipes nothing more (no new epoch reaches the car) nor tells anything twice.
    const retried = await buyer.api.request<{ revokedKeyIds: string[] }>('DELETE', `/v1/me/vehicles/${VIN}`, {});
    expect({ ...retried, revokedKeyIds: retried.revokedKeyIds.toSorted() }).toEqual({ vin: VIN, epoch: 2, seq: car.state.seq, revokedKeyIds: [buyerKey, wipedShare].toSorted() });
    await new Promise((r) => setTimeout(r, 1500));
    expect(car.state.ep).toBe(2);
    expect((await kinds(buyer)).filter((k) => k === 'subscription-ended')).toHaveLength(1);
  });
});
