/**
 * `npm run demo`: the whole story in one process on the embedded memory store — nothing installed,
 * nothing on the network but loopback. A server, two simulated cars on a simulated air, and a phone
 * that talks HTTP to the server and BLE (through the real noble API) to the cars. Every step is
 * narrated with its timing; the run ends with the link figures per command. Exits non-zero if any
 * step does not end the way the design says it must.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, type JWK } from 'jose';
import { systemClock } from '../../shared/clock.js';
import type { Command } from '../../shared/commands.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { jwkSetSchema, p256PublicJwkSchema } from '../../shared/credential/jwkSchema.js';
import { readKeyCredential } from '../../shared/credential/keyCredential.js';
import { revokedKeyDigestHex } from '../../shared/credential/revokedKeyDigest.js';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { linkSecretBytes } from '../../shared/ble/linkKeys.js';
import { encodeRequest, type ResponseMessage } from '../../shared/ble/messages.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { generateLinkSecret } from '../../server/operator/newVehicleIdentity.js';
import { provisionVehicle } from '../../server/operator/provisionVehicle.js';
import { MemoryStore } from '../../server/store/memoryStore.js';
import { Air } from '../air/air.js';
import { connectedToAnswer, type LinkMetrics } from '../air/linkMetrics.js';
import { DEFAULT_LINK_PROFILE } from '../air/linkProfile.js';
import { AirBindings } from '../noble/airBindings.js';
import { createNoble } from '../noble/createNoble.js';
import { buildCommandRequest } from '../phone/commandRequest.js';
import { PhoneApp } from '../phone/phoneApp.js';
import { sendCommand } from '../phone/phoneCentral.js';
import { openVehicleSession } from '../phone/vehicleSession.js';
import { createVehicle, type Vehicle } from '../vehicle/createVehicle.js';
import { VehicleSync } from '../vehicle/vehicleSync.js';
import { Narrator } from './narrator.js';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:8080';
const VIN = 'WVWZZZ1JZXW000001';
const SECOND_VIN = 'WBA8E9G50GNT40002';

/** The port a listening server is bound to (a TCP server's address is an object; a pipe's would be a string). */
function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`the server is not listening on a TCP port (${String(address)})`);
  return address.port;
}

function expectCode(response: ResponseMessage, code: string): string {
  if (response.code !== code) throw new Error(`the car answered ${response.code}, expected ${code}`);
  return `the car refused: ${response.code}`;
}


/** "1 round trip", "7 round trips". */
function roundTrips(n: number): string {
  return `${n} round trip${n === 1 ? '' : 's'}`;
}
async function main(): Promise<void> {
  const n = new Narrator();
  const dir = await mkdtemp(join(tmpdir(), 'sdk-demo-'));
  const figures: Array<{ cmd: string; where: string; metrics: LinkMetrics }> = [];
  const cars: Vehicle[] = [];
  let stopServer: (() => Promise<void>) | null = null;

  try {
    n.chapter('Key-issuance server (embedded memory store)');
    const config = loadConfig({ LOG_LEVEL: 'silent', RP_ID, RP_ORIGINS: ORIGIN });
    const store = new MemoryStore();
    const app = createApp({ config, store, issuerKey: await LocalIssuerKey.generate(), logger: createLogger({ level: 'silent' }) });
    const server = await n.step('start the server on a loopback port', async () => {
      const s = createServer(app.listener).listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => s.once('listening', () => resolve()));
      return s;
    }, (s) => `http://127.0.0.1:${portOf(s)}, issuer key ${app.ctx.issuerKey.kid.slice(0, 12)}…`);
    const port = portOf(server);
    const baseUrl = `http://127.0.0.1:${port}`;
    const stopListening = (s: typeof server) => async () => {
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      await closed;
      await app.close();
    };
    stopServer = stopListening(server);

    n.chapter('1. Provision two vehicles (operator)');
    const qrToken = randomBytes(24).toString('base64url');
    const vehicleKeys = new Map<string, JWK>();
    // What each car is given at provisioning besides its key: the link secret the server keeps too.
    const linkSecrets = new Map<string, string>();
    for (const [vin, odometerKm, firstRegistration] of [[VIN, 48_210, '2026-03-01'], [SECOND_VIN, 12_004, '2026-02-15']] as const) {
      await n.step(`provision ${vin}`, async () => {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        vehicleKeys.set(vin, await exportJWK(privateKey));
        linkSecrets.set(vin, generateLinkSecret());
        return provisionVehicle(app.ctx, {
          vin,
          firstRegistration,
          odometerKm,
          qrToken: vin === SECOND_VIN ? qrToken : randomBytes(24).toString('base64url'),
          vehiclePublicJwk: p256PublicJwkSchema.parse(publicKey.export({ format: 'jwk' })),
          linkSecret: linkSecrets.get(vin)!,
        });
      }, (v) => `first registration ${v.firstRegistration}, odometer ${v.odometerKm} km, QR token stored as its SHA-256, vehicle key P-256`);
    }
    const air = new Air({ seed: 7 });
    const jwks = await n.step('cars fetch the issuer keys they trust (JWKS)', async () => jwkSetSchema.parse(await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()), (j) => `${j.keys.length} key, ES256`);
    const startCar = async (vin: string): Promise<Vehicle> => {
      const car = createVehicle({ vin, linkSecret: linkSecretBytes(linkSecrets.get(vin)!), trust: { issuer: config.ISSUER, jwks }, rpId: RP_ID, origins: [ORIGIN], stateFile: join(dir, `${vin}.json`), clock: systemClock, air, linkProfile: DEFAULT_LINK_PROFILE });
      await n.step(`car ${vin} starts advertising on the simulated air`, () => car.start(), () => `private local name ${car.localName} (a new one every 15 min), MTU ${DEFAULT_LINK_PROFILE.mtu}, interval ${DEFAULT_LINK_PROFILE.intervalMs} ms`);
      cars.push(car);
      return car;
    };
    const car = await startCar(VIN);
    await startCar(SECOND_VIN);

    n.chapter('2. The phone creates an account and a passkey (user verification required)');
    const phone = new PhoneApp({ baseUrl, rpId: RP_ID, origin: ORIGIN });
    const bindings = new AirBindings(air);
    const noble = createNoble(bindings);
    const email = 'eva@example.com';
    await n.step('sign up and register the passkey (biometric check passes)', () => phone.signUp(email, 'Eva'), (r) => `account ${r.accountId}, passkey ${r.passkeyId.slice(0, 16)}…`);

    n.chapter('3. Log in, claim the vehicles, accept the terms, Standard Services (R1, R2)');
    phone.api.token = null;
    await n.step('log in with the passkey', () => phone.logIn(email), () => 'session token (sdk-session+jwt), 15 min');
    await n.step(`claim ${VIN} by odometer reading (48,190 km vs 48,210 km reported)`, () => phone.claim(VIN, { method: 'odometer', odometerKm: 48_190 }), (r) => `role ${r.role}`);
    await n.step(`claim ${SECOND_VIN} by scanning its QR code`, () => phone.claim(SECOND_VIN, { method: 'qr', qrToken }), (r) => `role ${r.role}`);
    for (const vin of [VIN, SECOND_VIN]) {
      await n.step(`activate Standard Services on ${vin}`, () => phone.activateStandardServices(vin));
      await startSubscriptionIfNeeded(n, phone, vin);
    }

    n.chapter('4. The phone asks for digital keys');
    const key = await n.step(`get a key for ${VIN}`, () => phone.requestKey(VIN), (e) => {
      const bytes = base64UrlToBytes(e.credential);
      const c = readKeyCredential(bytes);
      return `COSE_Sign1 ES256 sdk-key+cwt, sub ${c.sub}, aud ${c.aud}, ep ${c.ep}, valid ${((c.exp - c.nbf) / 3600).toFixed(0)} h, bound to the passkey's key; ${bytes.length} bytes + manifest seq ${e.stateSeq}`;
    });
    await n.step(`get a key for ${SECOND_VIN}`, () => phone.requestKey(SECOND_VIN));

    n.chapter('5. Over BLE through noble: challenge, biometric assertion over the transaction hash, command');
    const send = async (cmd: Command, where: string, vin = VIN) => {
      const held = phone.credentialFor(vin);
      const scenario = bindings.bondRecords().some((b) => b.peer === vin) ? (held.carHoldsCredential ? 'bonded, credential held by the car' : 'bonded, new credential') : 'first contact';
      // The phone's stack keeps bonds: its first OK command with a car bonds them, later ones skip discovery and the CCCD write.
      const result = await sendCommand({ noble, metricsSource: bindings, bonds: bindings, vin, cmd, ...held, authenticator: phone.authenticator, rpId: RP_ID, origin: ORIGIN });
      phone.noteCommand(vin, held.credential, result);
      if (!result.response.ok) throw new Error(`the car refused ${cmd}: ${result.response.code}`);
      figures.push({ cmd, where: `${where}; ${scenario}`, metrics: result.answerMetrics });
      return result;
    };
    for (const cmd of ['unlock', 'lock', 'start'] as const) {
      await n.step(`${cmd}`, () => send(cmd, 'online'), (r) => `car: locked=${r.response.vehicle.locked} engine=${r.response.vehicle.engine}, answer authenticated: ${r.authenticated}; ${roundTrips(r.metrics.roundTrips)}, ${r.metrics.simulatedMs} simulated ms`);
    }
    await n.step('refresh the credential online (R8), then lock: the car meets a new credential', async () => {
      await phone.refresh(VIN);
      return send('lock', 'online');
    }, (r) => `car: locked=${r.response.vehicle.locked}; ${roundTrips(r.metrics.roundTrips)}`);

    n.chapter('6. The server goes down for maintenance; the car verifies offline (R7)');
    await n.step('stop the server', async () => {
      if (stopServer === null) throw new Error('the server is not running');
      await stopServer();
      stopServer = null;
    });
    await n.step('unlock again, with no server reachable', () => send('unlock', 'offline'), (r) => `car: locked=${r.response.vehicle.locked}`);

    n.chapter('7. Attacks the car must refuse, each with its exact code');
    const carAdvertising = phone.credentialFor(VIN).advertising;
    const passkey = phone.passkeyId ? { passkeyId: phone.passkeyId } : {};
    await n.step('an assertion made for "lock" sent with "unlock"', async () => {
      const session = await openVehicleSession({ noble, metricsSource: bindings, advertising: carAdvertising, vin: VIN });
      try {
        const challenge = await session.challenge();
        const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'lock', credential: key.credential, ...passkey, authenticator: phone.authenticator, rpId: RP_ID, origin: ORIGIN });
        await session.writeMessage(encodeRequest({ ...request, cmd: 'unlock' }));
        return expectCode(await session.nextResponse(), 'BAD_ASSERTION');
      } finally {
        await session.close();
      }
    }, (s) => s);
    await n.step('a replayed request (the same bytes again)', async () => {
      const session = await openVehicleSession({ noble, metricsSource: bindings, advertising: carAdvertising, vin: VIN });
      try {
        const challenge = await session.challenge();
        const bytes = encodeRequest(await buildCommandRequest({ challenge, vin: VIN, cmd: 'lock', credential: key.credential, ...passkey, authenticator: phone.authenticator, rpId: RP_ID, origin: ORIGIN }));
        await session.writeMessage(bytes);
        const first = await session.nextResponse();
        if (!first.ok) throw new Error(`the original request failed: ${first.code}`);
        await session.writeMessage(bytes);
        return expectCode(await session.nextResponse(), 'UNKNOWN_NONCE');
      } finally {
        await session.close();
      }
    }, (s) => s);
    await n.step(`the credential for ${SECOND_VIN} shown to ${VIN}`, async () => {
      const { credential, responseKey } = phone.credentialFor(SECOND_VIN);
      const { response } = await sendCommand({ noble, metricsSource: bindings, advertising: carAdvertising, vin: VIN, cmd: 'unlock', credential, responseKey, ...passkey, authenticator: phone.authenticator, rpId: RP_ID, origin: ORIGIN });
      return expectCode(response, 'WRONG_VEHICLE');
    }, (s) => s);
    await n.step('an assertion without user verification (the fingerprint check failed)', async () => {
      phone.authenticator.biometricPasses = false;
      try {
        const { state: _state, ...held } = phone.credentialFor(VIN);
        const { response } = await sendCommand({ noble, metricsSource: bindings, vin: VIN, cmd: 'unlock', ...held, authenticator: phone.authenticator, rpId: RP_ID, origin: ORIGIN });
        return expectCode(response, 'USER_NOT_VERIFIED');
      } finally {
        phone.authenticator.biometricPasses = true;
      }
    }, (s) => s);

    n.chapter('8. Sharing, and a revocation that reaches the car (R3, R13)');
    await n.step('the server is back after maintenance (same port, same store)', async () => {
      const again = createServer(app.listener).listen(port, '127.0.0.1');
      await new Promise<void>((resolve) => again.once('listening', () => resolve()));
      stopServer = stopListening(again);
    });
    const carKey = vehicleKeys.get(VIN);
    if (!carKey) throw new Error(`no provisioned key for ${VIN}`);
    const sync = new VehicleSync({ baseUrl, vin: VIN, privateKey: carKey, issuer: config.ISSUER, clock: systemClock, applyManifest: (m) => car.applyManifest(m) });
    await n.step('the car opens its sync channel (a request signed with its own key)', async () => {
      sync.start();
      await waitFor(() => sync.lastSeq >= 0);
    }, () => `manifest seq ${sync.lastSeq}`);
    try {
      phone.api.token = null;
      await n.step('the owner logs in again', () => phone.logIn(email));
      const invitation = await n.step('invite a family member: unlock and lock only', () => phone.api.request<{ code: string; expiresAt: number }>('POST', `/v1/vehicles/${VIN}/invitations`, { perms: ['unlock', 'lock'] }), (i) => `single-use code, expires ${new Date(i.expiresAt).toISOString()}`);
      const family = new PhoneApp({ baseUrl, rpId: RP_ID, origin: ORIGIN });
      const familyNoble = createNoble(new AirBindings(air));
      await n.step('the family member signs up and accepts with their passkey', async () => {
        await family.signUp('sam@example.com', 'Sam');
        family.wallet.put(VIN, await family.api.request('POST', `/v1/invitations/${invitation.code}/accept`, { passkeyId: family.passkeyId }));
      }, () => `shared key, perms ${JSON.stringify(readKeyCredential(base64UrlToBytes(family.credentialFor(VIN).credential)).perms)}`);
      const familySend = (cmd: Command) => {
        const { state: _state, ...held } = family.credentialFor(VIN);
        return sendCommand({ noble: familyNoble, vin: VIN, cmd, ...held, authenticator: family.authenticator, rpId: RP_ID, origin: ORIGIN });
      };
      await n.step('the family member unlocks over BLE', async () => {
        const { response } = await familySend('unlock');
        if (!response.ok) throw new Error(`refused: ${response.code}`);
        return response;
      }, (r) => `car: locked=${r.vehicle.locked}`);
      await n.step('…and may not start the engine', async () => expectCode((await familySend('start')).response, 'PERMISSION_DENIED'), (s) => s);
      const familyKey = family.wallet.get(VIN);
      if (!familyKey) throw new Error(`the family member holds no key for ${VIN}`);
      const { keyId } = familyKey;
      await n.step("the owner revokes the family member's key", () => phone.api.request<{ seq: number }>('DELETE', `/v1/vehicles/${VIN}/keys/${keyId}`), (r) => `manifest seq ${r.seq}`);
      await n.step('the car receives the new manifest on its sync channel', () => waitFor(() => car.state.revoked.includes(revokedKeyDigestHex(keyId))), () => `seq ${car.state.seq}, revoked: 1 key`);
      await n.step('the family member tries again', async () => expectCode((await familySend('unlock')).response, 'REVOKED'), (s) => s);
    } finally {
      await sync.stop();
    }

    n.chapter(
      `9. Figures per command at the default link profile (MTU ${DEFAULT_LINK_PROFILE.mtu}, ${DEFAULT_LINK_PROFILE.intervalMs} ms interval, ${DEFAULT_LINK_PROFILE.packetsPerEvent ?? 1} packets per event), from the established connection to the car's answer, as npm run bench -- ble measures them`,
    );
    const verifyMs = car.events().filter((e) => e.ok).map((e) => e.verifyMs);
    n.table(
      ['command', 'round trips', 'conn. events', 'bytes on air (→car / ←car)', 'simulated ms', 'car verify ms'],
      figures.map((f, i) => {
        const ms = verifyMs[i];
        const m = connectedToAnswer(f.metrics);
        return [
          `${f.cmd} (${f.where})`,
          m.roundTrips,
          m.connectionEvents,
          `${m.bytesOnAir.centralToPeripheral} / ${m.bytesOnAir.peripheralToCentral}`,
          m.simulatedMs,
          ms === undefined ? '–' : ms.toFixed(2),
        ];
      }),
    );
    const events = car.events();
    n.note(`the car logged ${events.length} commands with RSSI and round-trip time (relay-attack evidence), e.g. ${JSON.stringify({ cmd: events[0]?.cmd, rssi: events[0]?.rssi, rttMs: events[0]?.rttMs })}`);
    console.log(`\nDone in ${(n.elapsedMs / 1000).toFixed(2)} s: every step ended as designed.`);
  } finally {
    for (const car of cars) await car.stop();
    await stopServer?.();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Wait (bounded, 5 s) until a condition holds. */
async function waitFor(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** R1/R4b: keys need an active Smart Digital Key subscription where the server offers one (the trial). */
async function startSubscriptionIfNeeded(n: Narrator, phone: PhoneApp, vin: string): Promise<void> {
  const openApi = await phone.api.request<{ paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
  if (!openApi.paths['/v1/vehicles/{vin}/subscriptions']) return;
  await n.step(`start the Smart Digital Key trial on ${vin} (R9)`, () => phone.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'trial' }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\nThe demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
