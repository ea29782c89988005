/**
 * Issuer key rotation as operators do it (docs/operations.md), with every piece its own process: the
 * server (`tsx server/main.ts` on a throwaway Redis) restarted through announce, promote and retire;
 * the car (`npm run vehicle`) keeping its sync channel throughout; the phone CLI (`npm run phone`)
 * unlocking before, during and after. A credential signed with the retired key is refused at the car.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';
import { freePort, spawnProcess, type OutputLine, type SpawnedProcess, runCommandLine } from '../support/spawnedProcess.js';

const VIN = 'WVWZZZ1JZXW000913';
let dir: string;
let redis: RedisServer;
let env: Record<string, string>;
let server: SpawnedProcess | undefined;
let car: SpawnedProcess | undefined;
let k1: LocalIssuerKey;
let k2: LocalIssuerKey;

/** Run one shell command line the way a user types it, in this test's environment. */
function run(commandLine: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommandLine(commandLine, { ...env, ...extraEnv });
}

async function phone(command: string, extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const result = await run(`npm run -s phone -- ${command} --json`, extraEnv);
  const json: unknown = JSON.parse(result.stdout || '{}');
  if (typeof json !== 'object' || json === null) throw new Error(`phone ${command}: ${result.stdout} ${result.stderr}`);
  return { exit: result.code, ...json };
}

/** (Re)start the server with this signing key and these extra keys; resolves once it listens. */
async function startServer(signing: LocalIssuerKey, extra: object[] = []): Promise<void> {
  await server?.stop();
  // node itself (not npx), so stop() signals the process that listens.
  server = spawnProcess(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...env, ISSUER_PRIVATE_JWK: JSON.stringify(signing.exportPrivateJwk()), ...(extra.length ? { ISSUER_EXTRA_JWKS: JSON.stringify(extra) } : {}) },
  });
  await server.waitFor((l) => l.json?.msg === 'server listening', 90_000, 'the server listening');
}

/** The next trust update the car logs taking, after `since` lines of its output. */
async function carTakes(since: number, kids: string[]): Promise<void> {
  const want = [...kids].sort().join(',');
  const trusted = (l: OutputLine) => {
    const sync = l.json?.sync as { type?: string; kids?: string[] } | undefined;
    return sync?.type === 'trust' && [...(sync.kids ?? [])].sort().join(',') === want;
  };
  await car!.waitFor((l) => car!.lines.indexOf(l) >= since && trusted(l), 30_000, `the car trusting ${want}`);
}

/** The server on K1, the car provisioned by the operator CLI and started, synced to K1: its QR token. */
async function startWithCar(): Promise<{ qrToken: string }> {
  await startServer(k1);
  const provisioned = JSON.parse((await run(`npm run -s operator -- provision-vehicle --vin ${VIN} --odometer 1200 --json`)).stdout) as { qrToken: string; keyFile: string };
  car = spawnProcess('npm', ['run', 'vehicle'], { env: { ...env, VIN, VEHICLE_KEY_FILE: provisioned.keyFile } });
  await carTakes(0, [k1.kid]);
  return { qrToken: provisioned.qrToken };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-rotation-process-'));
  redis = await startRedisServer();
  k1 = await LocalIssuerKey.generate();
  k2 = await LocalIssuerKey.generate();
  const port = await freePort();
  env = {
    SDK_DATA_DIR: dir,
    REDIS_URL: redis.url,
    PORT: String(port),
    SERVER_URL: `http://localhost:${port}`,
    ISSUER: `http://localhost:${port}`,
    RP_ORIGINS: `http://localhost:${port}`,
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    AIR_PORT: String(await freePort()),
  };
}, 60_000);

afterAll(async () => {
  await car?.stop();
  await server?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('issuer key rotation across processes', () => {
  it(
    'announce, promote, retire: the car follows over its sync channel, the phone unlocks throughout, the retired key is refused',
    async () => {
      const { qrToken } = await startWithCar();
      for (const step of ['sign-up --email rotation@example.com --name Rotation', `claim --vin ${VIN} --qr ${qrToken}`, 'activate', 'key']) {
        expect(await phone(step), step).toMatchObject({ exit: 0 });
      }
      expect(await phone('unlock')).toMatchObject({ exit: 0, ok: true, cmd: 'unlock' });
      // The phone as it is now, holding a credential signed with K1.
      await copyFile(join(dir, 'phone.json'), join(dir, 'phone-k1.json'));

      // 1. Announce K2.
      let mark = car!.lines.length;
      await startServer(k1, [k2.publicJwk]);
      await carTakes(mark, [k1.kid, k2.kid]);
      expect(await phone('lock')).toMatchObject({ exit: 0, ok: true, cmd: 'lock' });

      // 2. Promote K2; K1 still verifies and co-signs.
      mark = car!.lines.length;
      await startServer(k2, [k1.exportPrivateJwk()]);
      await carTakes(mark, [k1.kid, k2.kid]);
      expect(await phone('key --refresh')).toMatchObject({ exit: 0, vin: VIN });
      expect(await phone('unlock')).toMatchObject({ exit: 0, ok: true, cmd: 'unlock' });

      // 3. Retire K1: the K2 credential goes on, the K1 one is refused.
      mark = car!.lines.length;
      await startServer(k2);
      await carTakes(mark, [k2.kid]);
      expect(await phone('lock')).toMatchObject({ exit: 0, ok: true, cmd: 'lock' });
      expect(await phone('unlock', { PHONE_STATE: join(dir, 'phone-k1.json') })).toMatchObject({ exit: 1, error: { code: 'BAD_SIGNATURE' } });
    },
    300_000,
  );
});
