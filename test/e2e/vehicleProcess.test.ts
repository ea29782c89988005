/**
 * Two processes, one air: `ble-sim/vehicle/main.ts` (what `npm run vehicle` runs) is the car; this
 * test process is the phone, connected through the loopback air bridge, speaking ordinary noble.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRemoteRadio, type RemoteRadio } from '../../ble-sim/air/remoteRadio.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble } from '../../ble-sim/noble/createNoble.js';
import { sendCommand } from '../../ble-sim/phone/phoneCentral.js';
import { VirtualAuthenticator } from '../../ble-sim/phone/virtualAuthenticator.js';
import { generateVehicleKeyPair } from '../../server/operator/newVehicleIdentity.js';
import { deriveAdvertisingKey } from '../../shared/ble/linkKeys.js';
import { writeVehicleKeyFile } from '../../shared/vehicleKeyFile.js';
import { createIssuer, mintCredential, ORIGIN, registerPasskey, responseKeyFor, RP_ID, VIN, type TestIssuer } from '../support/bleFixtures.js';

const LINK_SECRET = new Uint8Array(32).fill(9);

let dir: string;
let child: ChildProcess;
let issuer: TestIssuer;
let airPort: number;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-vehicle-process-'));
  issuer = await createIssuer();
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(issuer.trust.jwks));
  // What provisioning gives the car: its own key pair's private half and its link secret.
  await writeVehicleKeyFile(join(dir, 'vehicle.key.json'), { vehicleKey: generateVehicleKeyPair().privateJwk, linkSecret: Buffer.from(LINK_SECRET).toString('base64url') });
  child = spawn(process.execPath, ['--import', 'tsx', 'ble-sim/vehicle/main.ts'], {
    env: {
      ...process.env,
      VIN,
      ISSUER: issuer.trust.issuer,
      JWKS_FILE: join(dir, 'jwks.json'),
      STATE_FILE: join(dir, 'state.json'),
      VEHICLE_KEY_FILE: join(dir, 'vehicle.key.json'),
      RP_ID,
      RP_ORIGINS: ORIGIN,
      AIR_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  airPort = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`vehicle exited with ${code}`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logLines.push(entry);
      if (entry.msg === 'advertising') resolve(Number(new URL(String(entry.air)).port));
    });
  });
}, 30_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('npm run vehicle + a phone in another process', () => {
  it('logs that it advertises, unlocks for a phone over the bridge, and logs the command as a JSON line', async () => {
    expect(logLines.find((l) => l.msg === 'advertising')).toMatchObject({ vin: VIN, issuerKeys: 1, linkProfile: { mtu: 185, intervalMs: 30 } });
    const authenticator = new VirtualAuthenticator();
    const passkey = await registerPasskey(authenticator);
    // The child uses the system clock: mint for now.
    const credential = await mintCredential({ issuer, passkey, nowMs: Date.now() });
    const radio: RemoteRadio = await connectRemoteRadio({ port: airPort });
    try {
      const bindings = new AirBindings(radio);
      const { response, metrics } = await sendCommand({ noble: createNoble(bindings), metricsSource: bindings, advertising: { key: deriveAdvertisingKey(LINK_SECRET) }, vin: VIN, cmd: 'unlock', credential, responseKey: responseKeyFor(LINK_SECRET, credential), passkeyId: passkey.id, authenticator, rpId: RP_ID, origin: ORIGIN });
      expect(response).toMatchObject({ ok: true, code: 'OK', cmd: 'unlock', vehicle: { locked: false } });
      expect(metrics).toMatchObject({ mtu: 185, intervalMs: 30 });
      expect(metrics.roundTrips).toBeGreaterThan(5);
    } finally {
      await radio.close();
    }
    await expect.poll(() => logLines.find((l) => l.msg === 'command')).toMatchObject({ event: { cmd: 'unlock', ok: true, code: 'OK' } });
  });
});
