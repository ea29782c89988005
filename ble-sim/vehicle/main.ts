/**
 * `npm run vehicle`: one simulated car on a simulated air, reachable from other processes through
 * the loopback air bridge (a phone simulator connects with connectRemoteRadio). Logs are JSON lines
 * (pino): that it is advertising (its name and address at start: they rotate every 15 minutes), then
 * one line per command with the link's RSSI and timing. Its provisioning file's secrets are never logged.
 * Configuration: see vehicleConfig.ts.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { pino } from 'pino';
import { Air } from '../air/air.js';
import { serveAir } from '../air/airBridgeServer.js';
import { LINK_PROFILES } from '../air/linkProfile.js';
import { linkSecretBytes } from '../../shared/ble/linkKeys.js';
import { systemClock } from '../../shared/clock.js';
import { jwkSetSchema } from '../../shared/credential/jwkSchema.js';
import { dataDir } from '../../shared/dataDir.js';
import { readVehicleKeyFile } from '../../shared/vehicleKeyFile.js';
import { createVehicle } from './createVehicle.js';
import { loadVehicleConfig, type VehicleConfig } from './vehicleConfig.js';
import { VehicleSync } from './vehicleSync.js';

const log = pino({ name: 'vehicle', base: null });

/** The issuer's public keys: from JWKS_FILE, else fetched from JWKS_URL (or the issuer's well-known URL). */
async function loadJwks(config: VehicleConfig): Promise<JSONWebKeySet> {
  if (config.JWKS_FILE) return jwkSetSchema.parse(JSON.parse(await readFile(config.JWKS_FILE, 'utf8')));
  const url = config.JWKS_URL ?? `${config.ISSUER.replace(/\/$/, '')}/.well-known/jwks.json`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return jwkSetSchema.parse(await res.json());
  } catch (err) {
    log.warn({ url, err: err instanceof Error ? err.message : String(err) }, 'no issuer keys: every credential will be refused (BAD_SIGNATURE) until restarted with JWKS_FILE or a reachable JWKS_URL');
    return { keys: [] };
  }
}

async function main(): Promise<void> {
  const config = loadVehicleConfig();
  const stateFile = config.STATE_FILE ?? join(dataDir(), `vehicle-${config.VIN}.json`);
  await mkdir(dirname(stateFile), { recursive: true });
  // Its secrets: never logged (the log names the file only when it cannot be read).
  const provisioned = await readVehicleKeyFile(config.VEHICLE_KEY_FILE ?? join(dataDir(), `vehicle-${config.VIN}.key.json`));
  const jwks = await loadJwks(config);
  const air = new Air({ seed: config.AIR_SEED });
  const linkProfile = LINK_PROFILES[config.LINK_PROFILE];
  const vehicle = createVehicle({
    vin: config.VIN,
    linkSecret: linkSecretBytes(provisioned.linkSecret),
    trust: { issuer: config.ISSUER, jwks },
    rpId: config.RP_ID,
    origins: config.RP_ORIGINS,
    stateFile,
    clock: systemClock,
    air,
    linkProfile,
    onEvent: (event) => log.info({ event }, 'command'),
  });
  await vehicle.start();
  const bridge = await serveAir(air, { host: config.AIR_HOST, port: config.AIR_PORT });
  const { seq, ep } = vehicle.state;
  log.info(
    { vin: vehicle.vin, localName: vehicle.localName, address: vehicle.address, linkProfile, seq, ep, stateFile, air: `tcp://${bridge.host}:${bridge.port}`, issuerKeys: jwks.keys.length },
    'advertising',
  );

  // The telematics sync channel: revocations reach the car while it is online.
  let sync: VehicleSync | null = null;
  if (config.SERVER_URL) {
    sync = new VehicleSync({
      baseUrl: config.SERVER_URL,
      vin: config.VIN,
      privateKey: provisioned.vehicleKey,
      issuer: config.ISSUER,
      clock: systemClock,
      applyManifest: (m) => vehicle.applyManifest(m),
      applyTrustUpdate: (tokens) => vehicle.applyTrustUpdate(tokens),
      onEvent: (event) => log.info({ sync: event }, 'sync'),
    });
    sync.start();
  } else {
    log.warn('SERVER_URL unset: no sync channel; the car learns revocations only from phones');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await sync?.stop();
    await bridge.close();
    await vehicle.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'the vehicle could not start');
  process.exit(1);
});
