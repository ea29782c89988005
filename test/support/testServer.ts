/**
 * Starts the real app (its request listener: server/app.ts) on an ephemeral loopback port for a test, on the memory store (or a
 * store the test brings) and a manual clock, and provisions vehicles the way the operator does.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { JWK } from 'jose';
import { ManualClock } from '../../shared/clock.js';
import { LocalIssuerKey, type IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { otherIssuerKeysFromConfig } from '../../server/issuerKeyFromConfig.js';
import { createApp, type App } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { generateLinkSecret } from '../../server/operator/newVehicleIdentity.js';
import { provisionVehicle } from '../../server/operator/provisionVehicle.js';
import { linkSecretBytes } from '../../shared/ble/linkKeys.js';
import { MemoryStore } from '../../server/store/memoryStore.js';
import type { Store } from '../../server/store/store.js';
import type { PaymentGateway } from '../../server/subscriptions/paymentGateway.js';
import type { Mailer } from '../../server/notifications/outbox.js';
import { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { TestMailbox } from './mailbox.js';

export const TEST_RP_ID = 'localhost';
export const TEST_ORIGIN = 'http://localhost:8080';

export interface TestServer {
  app: App;
  /** The HTTP server (to count its open connections). */
  httpServer: Server;
  baseUrl: string;
  clock: ManualClock;
  store: Store;
  issuerKey: IssuerSigningKey;
  config: Config;
  /** Every e-mail the server sent (links included), as the addressees' mailboxes would hold them. */
  mailbox: TestMailbox;
  /** Provision a vehicle; returns its VIN, QR token, the vehicle's private key and its link secret (what its car is given). */
  provision(opts?: { vin?: string; firstRegistration?: string; odometerKm?: number }): Promise<ProvisionedTestVehicle>;
  /** Click the newest verification link sent to the address (as its owner would). */
  verifyEmail(email: string): Promise<void>;
  /** A new phone app pointed at this server. */
  phone(): PhoneApp;
  /** A phone that signed up, claimed the vehicle by odometer, activated Standard Services, started the trial and holds a main key. */
  mainUserWithKey(vin: string, odometerKm: number, email?: string): Promise<PhoneApp>;
  close(): Promise<void>;
}

/** A vehicle provisioned on the test server, with what its car must be given. */
export interface ProvisionedTestVehicle {
  vin: string;
  qrToken: string;
  odometerKm: number;
  vehiclePrivateJwk: JWK;
  /** The link secret the server's record holds (give the same to the car: createVehicle's linkSecret). */
  linkSecret: Uint8Array;
}

let vinCounter = 0;
const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

/** A fresh valid VIN (17 characters, no I/O/Q), unique within the process. */
export function randomVin(): string {
  vinCounter += 1;
  const tail = vinCounter.toString().padStart(5, '0');
  let head = '';
  for (const b of randomBytes(12)) head += VIN_CHARS[b % VIN_CHARS.length];
  return head + tail;
}

export async function startTestServer(
  opts: {
    /** Extra environment; a function gets the port first (e.g. for `RP_ORIGINS` of a browser on `http://localhost:<port>`). */
    env?: Record<string, string> | ((port: number) => Record<string, string>);
    store?: Store;
    clock?: ManualClock;
    issuerKey?: IssuerSigningKey;
    port?: number;
    paymentGateway?: PaymentGateway;
    /** Where notifications go (default: the log); a test reads e-mailed links from it. */
    mailer?: Mailer;
  } = {},
): Promise<TestServer> {
  // Listen first, so the configuration may depend on the port; the app handles requests once built.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const store = opts.store ?? new MemoryStore({ clock });
  let config: Config;
  let issuerKey: IssuerSigningKey;
  let app: App;
  // The error lists of the route definitions are the published contract: any code a route answers
  // in a test that its definition does not list fails the test at close().
  const undeclared = new Set<string>();
  const mailbox = new TestMailbox();
  try {
    config = loadConfig({ LOG_LEVEL: 'silent', ANONYMOUS_RATE_LIMIT_PER_MINUTE: '1000000', ...(typeof opts.env === 'function' ? opts.env(port) : opts.env) });
    issuerKey = opts.issuerKey ?? (await LocalIssuerKey.generate());
    app = createApp({
      config,
      store,
      issuerKey,
      otherIssuerKeys: await otherIssuerKeysFromConfig(config),
      clock,
      logger: createLogger({ level: config.LOG_LEVEL }),
      mailer: mailbox,
      ...(opts.paymentGateway ? { paymentGateway: opts.paymentGateway } : {}),
      ...(opts.mailer ? { mailer: opts.mailer } : {}),
      onUndeclaredError: (route, code) => undeclared.add(`${route.operationId} (${route.method.toUpperCase()} ${route.path}) answered ${code}`),
    });
  } catch (err) {
    server.close();
    if (!opts.store) await store.close();
    throw err;
  }
  server.on('request', app.listener);
  const baseUrl = `http://127.0.0.1:${port}`;

  const phone = () => new PhoneApp({ baseUrl, rpId: TEST_RP_ID, origin: TEST_ORIGIN });
  const t: TestServer = {
    app,
    httpServer: server,
    baseUrl,
    clock,
    store,
    issuerKey,
    config,
    mailbox,
    async provision(p = {}) {
      const vin = p.vin ?? randomVin();
      const qrToken = randomBytes(24).toString('base64url');
      const odometerKm = p.odometerKm ?? 12_345;
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const linkSecret = generateLinkSecret();
      await provisionVehicle(app.ctx, {
        vin,
        firstRegistration: p.firstRegistration ?? '2026-03-01',
        odometerKm,
        qrToken,
        vehiclePublicJwk: publicKey.export({ format: 'jwk' }) as { kty: 'EC'; crv: 'P-256'; x: string; y: string },
        linkSecret,
      });
      return { vin, qrToken, odometerKm, vehiclePrivateJwk: privateKey.export({ format: 'jwk' }) as JWK, linkSecret: linkSecretBytes(linkSecret) };
    },
    phone,
    async verifyEmail(email) {
      const res = await fetch(`${baseUrl}/v1/email-verifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: mailbox.tokenFor(email, 'verify-email') }) });
      if (res.status !== 200) throw new Error(`verifying ${email} failed: ${res.status} ${await res.text()}`);
    },
    async mainUserWithKey(vin, odometerKm, email) {
      const p = phone();
      await p.signUp(email ?? `owner-${randomBytes(4).toString('hex')}@example.com`, 'Owner');
      await p.claim(vin, { method: 'odometer', odometerKm });
      await p.activateStandardServices(vin);
      // R1/R4b: keys need an active subscription; the trial (R9) is there for vehicles registered under a year ago.
      await p.api.request('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'trial' });
      await p.requestKey(vin);
      return p;
    },
    async close() {
      // Long-lived streams (the vehicle sync channel) would hold close() open: end them first.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await app.close();
      if (!opts.store) await store.close();
      if (undeclared.size > 0) throw new Error(`error codes not listed in their route definitions (server/routes/*): ${[...undeclared].join('; ')}`);
    },
  };
  return t;
}
