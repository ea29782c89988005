/**
 * `npm run dev`: the server on the memory store, ready for the three-terminal story. It provisions
 * one vehicle (key pair and QR token made here, the car's key file written), opens a loopback
 * operator endpoint so `npm run operator` works against it, and prints the VIN, the QR token (once)
 * and the exact commands for the car and the phone. Nothing is kept when it stops; each start is a
 * new issuer key and a new car, so a car state file left by an earlier run is removed.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../shared/clock.js';
import { dataDir } from '../shared/dataDir.js';
import { createApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { drainServer } from './drainServer.js';
import { errorMessage } from './errorMessage.js';
import { issuerKeyFromConfig } from './issuerKeyFromConfig.js';
import { createLogger, flushLogger } from './logger.js';
import { startOperatorEndpoint } from './operator/operatorEndpoint.js';
import { devOperatorFile, type DevOperatorEndpoint } from './operator/operatorTarget.js';
import { provisionNewVehicle } from './operator/provisionNewVehicle.js';
import { provisionVehicle } from './operator/provisionVehicle.js';
import { MemoryStore } from './store/memoryStore.js';
import { writePrivateFile } from '../shared/privateFile.js';

/** The car `npm run vehicle` simulates by default. */
const DEV_VIN = 'SDKDEM00000000001';
const DEV_ODOMETER_KM = 48_210;

/** `NAME=value` words a shell reads back as they are (values quoted only when they need it). */
function envWords(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${/^[\w./:,@+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`}`)
    .join(' ');
}

function banner(config: Config, opts: { vin: string; qrToken: string; keyFile: string; firstRegistration: string; operatorUrl: string }): string {
  const local = config.PORT === 8080 && config.ISSUER === 'http://localhost:8080';
  const serverUrl = `http://localhost:${config.PORT}`;
  const carEnv: Record<string, string> = {
    ...(opts.vin === DEV_VIN ? {} : { VIN: opts.vin }),
    SERVER_URL: serverUrl,
    VEHICLE_KEY_FILE: opts.keyFile,
    ...(local ? {} : { ISSUER: config.ISSUER, RP_ID: config.RP_ID, RP_ORIGINS: config.RP_ORIGINS.join(',') }),
  };
  const server = local ? '' : ` --server ${serverUrl}`;
  return [
    '',
    `Smart Digital Key development server — memory store (nothing is kept when it stops)`,
    `  API       ${serverUrl}  (issuer ${config.ISSUER}, passkeys for ${config.RP_ID})`,
    `  vehicle   ${opts.vin} provisioned: odometer ${DEV_ODOMETER_KM} km, first registration ${opts.firstRegistration}`,
    `  QR token  ${opts.qrToken}  (shown once; the server keeps only its SHA-256)`,
    `  operator  npm run operator -- --help  (acts on this server through ${opts.operatorUrl})`,
    '',
    'Terminal 2, the car:',
    `  ${envWords(carEnv)} npm run vehicle`,
    'Terminal 3, the phone:',
    `  npm run phone -- sign-up --email you@example.com --name You${server}`,
    `  npm run phone -- claim --vin ${opts.vin} --qr ${opts.qrToken}`,
    '  npm run phone -- activate',
    '  npm run phone -- key',
    '  npm run phone -- unlock',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  } catch (err) {
    console.error(errorMessage(err));
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  if (config.REDIS_URL) logger.warn('npm run dev always runs on the memory store: REDIS_URL is ignored (use npm start for Redis)');
  const store = new MemoryStore({ clock: systemClock });
  const app = createApp({ config: { ...config, REDIS_URL: undefined }, store, issuerKey: await issuerKeyFromConfig(config), logger });
  app.scheduler.start(config.SCHEDULER_INTERVAL * 1000);
  const server = createServer(app.listener).listen(config.PORT);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  const dir = dataDir();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  const operator = await startOperatorEndpoint(app.ctx, { token });
  const endpointFile = devOperatorFile();
  const endpoint: DevOperatorEndpoint = { url: operator.url, token, pid: process.pid };
  await writePrivateFile(endpointFile, `${JSON.stringify(endpoint)}\n`);

  const vin = process.env.DEV_VIN || DEV_VIN;
  const firstRegistration = new Date(systemClock.now()).toISOString().slice(0, 10);
  // A new car each start: an earlier run's state (its epoch and manifest seq) would refuse the new keys.
  await rm(join(dir, `vehicle-${vin}.json`), { force: true });
  const { newQrToken, keyFile } = await provisionNewVehicle((input) => provisionVehicle(app.ctx, input), {
    vin,
    odometerKm: DEV_ODOMETER_KM,
    firstRegistration,
    keyFile: join(dir, `vehicle-${vin}.key.json`),
  });
  // Provisioning made both: this call brings neither a QR token nor a public key.
  if (newQrToken === undefined || keyFile === undefined) throw new Error('provisioning the development car made no QR token or key file');
  console.log(banner(config, { vin, qrToken: newQrToken, keyFile, firstRegistration, operatorUrl: operator.url }));

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    app.beginShutdown();
    await Promise.all([drainServer(server, config.SHUTDOWN_TIMEOUT * 1000), drainServer(operator.server, 1000)]);
    await app.close();
    await store.close();
    await rm(endpointFile, { force: true });
    flushLogger(logger);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`the development server could not start: ${errorMessage(err)}`);
  process.exit(1);
});
