/**
 * Credential issuance, measured two ways in one run.
 *
 * Over HTTP, as production runs it: the server built and spawned as its own process tree (`node
 * dist/server/main.js`, WORKERS 1 and 2) on a throwaway Redis, holders made through the real API, and autocannon in a
 * process of its own refreshing their credentials (`POST /v1/keys/{keyId}/credential`, round robin
 * over the holders). Reported: req/s, latency p50/p99 and the server's CPU per request (its
 * process tree's CPU time from /proc over the measured run), beside raw ES256 signing on one core
 * measured in the same run, before and after the load (jose and node:crypto, in a process pinned
 * with `taskset -c 0`).
 *
 * In process, the cost breakdown of one credential: (a) node `crypto.sign` P-256 of the exact
 * Sig_structure bytes a credential signs; (c0) the claims schema check alone; (c1)
 * `issueKeyCredential` with a signer that returns a fixed 64 bytes; (c) `issueKeyCredential`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomUUID, sign as nodeSign, type JsonWebKey } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../shared/clock.js';
import { decodeCoseSign1, HEADER } from '../../shared/cose/coseSign1.js';
import { encodeDeterministic } from '../../shared/cose/strictCbor.js';
import { COMMANDS } from '../../shared/commands.js';
import { LocalIssuerKey, type IssuerSigningKey } from '../../shared/credential/issuerKey.js';
import { issueKeyCredential, keyCredentialClaimsSchema, type KeyCredentialClaims } from '../../shared/credential/keyCredential.js';
import { createStore } from '../../server/store/createStore.js';
import { redisCommand, startRedisServer, type RedisServer } from '../support/redisServer.js';
import { freePort } from '../support/spawnedProcess.js';
import { randomVin, startTestServer } from '../support/testServer.js';
import { fmt, measureInterleaved, type BenchSection, type CaseResult, type OpsCase } from './benchSupport.js';
import { treeCpuSeconds } from './processCpu.js';

/** The issuer and relying party the holders were made with; the spawned server must say the same. */
const ISSUER = 'http://localhost:8080';

/** A passkey as WebAuthn registration stores it: a P-256 COSE key (77 bytes), base64url. */
function passkeyCose(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const key = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);
  return Buffer.from(encodeDeterministic(key)).toString('base64url');
}

interface SigningBaselines {
  jose: { sequential: number; inFlight16: number };
  nodeCrypto: number;
  pinned: boolean;
}

/** Raw signing on one core, in its own process (test/bench/processes/signingBaselines.ts). */
function signingBaselines(durationMs: number): SigningBaselines {
  const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const command = pinned ? 'taskset' : process.execPath;
  const args = [...(pinned ? ['-c', '0', process.execPath] : []), '--import', 'tsx', 'test/bench/processes/signingBaselines.ts', String(durationMs)];
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`the signing baselines failed: ${run.stderr}`);
  return { ...(JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Omit<SigningBaselines, 'pinned'>), pinned };
}

interface LoadResult {
  requests: number;
  durationS: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  loadGeneratorCpuS: number;
}

/** autocannon in its own process (test/bench/processes/loadGenerator.ts). */
async function generateLoad(job: { url: string; holders: Array<{ keyId: string; token: string }>; connections: number; durationS: number; floor?: boolean }): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/processes/loadGenerator.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stdin.end(JSON.stringify(job));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult;
}

interface ServerPool {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** The built server (`node dist/server/main.js`, as `npm start` runs it) as its own process tree with WORKERS workers; its log goes to a file, read for "server listening". */
async function startServerPool(opts: { workers: number; redisUrl: string; issuerKey: LocalIssuerKey; dir: string; built: string }): Promise<ServerPool> {
  const port = await freePort();
  const logFile = join(opts.dir, `server-${opts.workers}.log`);
  const log = openSync(logFile, 'w');
  // BENCH_CPU_PROF=<dir>: V8 CPU profiles of every server process, for finding where the time goes.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, join(opts.built, 'server/main.js')], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PORT: String(port),
      WORKERS: String(opts.workers),
      REDIS_URL: opts.redisUrl,
      ISSUER,
      RP_ORIGINS: ISSUER,
      ISSUER_PRIVATE_JWK: JSON.stringify(opts.issuerKey.exportPrivateJwk()),
      METRICS_PORT: '0',
      // As production logs: a line per request.
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    },
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"server listening"')).length < opts.workers) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Redis's own CPU seconds (user + sys) from INFO cpu. */
async function redisCpuSeconds(redis: RedisServer): Promise<number> {
  const info = String(await redisCommand(redis.port, ['INFO', 'cpu']));
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export const issuanceBench: BenchSection = {
  name: 'issuance',
  description: 'credential refresh over HTTP on Redis (spawned server pool, autocannon in its own process) vs raw ES256 signing on one core (jose, node:crypto), and the in-process cost of one credential',
  async run({ quick, stage }) {
    const loop = { warmupMs: quick ? 200 : 500, durationMs: quick ? 500 : 1500, trials: quick ? 1 : 3 };
    const holdersCount = quick ? 40 : 200;
    const durationS = quick ? 4 : 10;
    const workerLevels = quick ? [2] : [1, 2];
    const connectionsPerWorker = 16;
    const baselineMs = quick ? 1000 : 2000;

    // --- In process: the cost breakdown of one credential ---------------------------------------
    const issuerKey = await LocalIssuerKey.generate();
    const privateKey = createPrivateKey({ key: issuerKey.exportPrivateJwk() as JsonWebKey, format: 'jwk' });
    const nowSeconds = Math.floor(Date.now() / 1000);
    // The claims of a main-key credential, sized as the server makes them (a 77-byte COSE P-256 key).
    const claims: KeyCredentialClaims = {
      iss: ISSUER,
      sub: randomUUID(),
      aud: randomVin(),
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + 86_400,
      role: 'main',
      perms: [...COMMANDS],
      ep: 0,
      cnf: { wa: { pk: passkeyCose() } },
    };
    // The baseline signs exactly what a credential's signature covers (RFC 9052 §4.4).
    const credential = await issueKeyCredential({ key: issuerKey, claims });
    const message = decodeCoseSign1(credential, { allowedLabels: [HEADER.alg, HEADER.kid, HEADER.typ] });
    const sigStructure = encodeDeterministic(['Signature1', message.protectedBytes, new Uint8Array(0), message.payload]);
    const fixedSignature = new Uint8Array(64);
    const unsigned: IssuerSigningKey = { kid: issuerKey.kid, alg: 'ES256', publicJwk: issuerKey.publicJwk, sign: () => Promise.resolve(fixedSignature) };
    const cases: OpsCase[] = [
      { name: 'a', fn: () => nodeSign('sha256', sigStructure, { key: privateKey, dsaEncoding: 'ieee-p1363' }) },
      { name: 'c0', fn: () => keyCredentialClaimsSchema.parse(claims) },
      { name: 'c1', fn: () => issueKeyCredential({ key: unsigned, claims }) },
      { name: 'c', fn: () => issueKeyCredential({ key: issuerKey, claims }) },
    ];
    const measured = await measureInterleaved(cases, {
      ...loop,
      eachTrial: (trial, run) => stage(`in process, trial ${trial + 1}/${loop.trials}: (a) (c0) (c1) (c), ${loop.durationMs} ms each`, run),
    });
    const [rawNode, schemaOnly, unsignedIssue, issue] = ['a', 'c0', 'c1', 'c'].map((n) => measured.get(n)!) as [CaseResult, CaseResult, CaseResult, CaseResult];

    // --- Over HTTP on Redis, with raw signing on one core before and after ----------------------
    const before = await stage(`raw ES256 signing on one core, ${baselineMs} ms each (before the load)`, () => Promise.resolve(signingBaselines(baselineMs)));
    const redis = await stage('start a throwaway Redis (appendonly yes, everysec)', async () => {
      const r = await startRedisServer();
      await redisCommand(r.port, ['CONFIG', 'SET', 'appendonly', 'yes']);
      return r;
    });
    const dir = await mkdtemp(join(tmpdir(), 'sdk-issuance-bench-'));
    // Inside the project, so the build finds node_modules as dist/ does.
    const built = join('node_modules', '.cache', 'sdk-issuance-bench', 'dist');
    await stage('build the server as production runs it (npm run build, into a temporary directory)', () => {
      const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out-dir', built], { encoding: 'utf8', timeout: 300_000 });
      if (build.status !== 0) throw new Error(`the build failed:\n${build.stdout}\n${build.stderr}`);
      return Promise.resolve();
    });
    const floors: Array<{ workers: number; reqPerSec: number; latencyMs: LoadResult['latencyMs']; serverCpuMsPerRequest: number; loadGeneratorCpuMsPerRequest: number }> = [];
    const runs: Array<{ workers: number; connections: number; load: LoadResult; serverCpuS: number; serverProcesses: number; redisCpuS: number }> = [];
    try {
      const holders = await stage(`make ${holdersCount} holders through the API (sign-up, claim, trial, key)`, async () => {
        const store = createStore({ redisUrl: redis.url, clock: new ManualClock(Date.now()) });
        const t = await startTestServer({ store, issuerKey, clock: new ManualClock(Date.now()) });
        try {
          const made: Array<{ keyId: string; token: string }> = [];
          for (let i = 0; i < holdersCount; i++) {
            const v = await t.provision();
            const phone = await t.mainUserWithKey(v.vin, v.odometerKm);
            made.push({ keyId: phone.wallet.get(v.vin)!.keyId, token: phone.api.token! });
          }
          return made;
        } finally {
          await t.close();
          await store.close();
        }
      });
      for (const workers of workerLevels) {
        const connections = connectionsPerWorker * workers;
        const pool = await stage(`start the server with WORKERS=${workers}`, () => startServerPool({ workers, redisUrl: redis.url, issuerKey, dir, built }));
        try {
          await stage('warm up: 2 s of load (not counted)', () => generateLoad({ url: pool.url, holders, connections, durationS: 2 }));
          const run = await stage(`WORKERS=${workers}: ${durationS} s of refreshes, ${connections} connections`, async () => {
            const cpu0 = await treeCpuSeconds(pool.pid);
            const redis0 = await redisCpuSeconds(redis);
            const load = await generateLoad({ url: pool.url, holders, connections, durationS });
            const cpu1 = await treeCpuSeconds(pool.pid);
            const redis1 = await redisCpuSeconds(redis);
            return { workers, connections, load, serverCpuS: cpu1.cpuS - cpu0.cpuS, serverProcesses: cpu1.processes, redisCpuS: redis1 - redis0 };
          });
          if (run.load.non2xx > 0 || run.load.errors > 0) throw new Error(`refreshes failed: ${run.load.non2xx} non-2xx answers, ${run.load.errors} errors`);
          runs.push(run);
          floors.push(
            await stage(`WORKERS=${workers}: ${durationS} s of GET /healthz (the HTTP floor), ${connections} connections`, async () => {
              const cpu0 = await treeCpuSeconds(pool.pid);
              const load = await generateLoad({ url: pool.url, holders, connections, durationS, floor: true });
              const cpu1 = await treeCpuSeconds(pool.pid);
              return { workers, reqPerSec: load.reqPerSec, latencyMs: load.latencyMs, serverCpuMsPerRequest: ((cpu1.cpuS - cpu0.cpuS) * 1000) / load.requests, loadGeneratorCpuMsPerRequest: (load.loadGeneratorCpuS * 1000) / load.requests };
            }),
          );
        } finally {
          await pool.stop();
        }
      }
    } finally {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
    const after = await stage(`raw ES256 signing on one core, ${baselineMs} ms each (after the load)`, () => Promise.resolve(signingBaselines(baselineMs)));

    // The baseline is the faster of jose's two ways of signing, averaged before and after the load.
    const joseOneCore = (Math.max(before.jose.sequential, before.jose.inFlight16) + Math.max(after.jose.sequential, after.jose.inFlight16)) / 2;
    const joseSequentialOneCore = (before.jose.sequential + after.jose.sequential) / 2;
    const nodeOneCore = (before.nodeCrypto + after.nodeCrypto) / 2;
    const http = runs.map((r) => ({
      workers: r.workers,
      connections: r.connections,
      store: 'redis',
      requests: r.load.requests,
      reqPerSec: r.load.reqPerSec,
      latencyMs: r.load.latencyMs,
      serverCpuMsPerRequest: (r.serverCpuS * 1000) / r.load.requests,
      serverProcesses: r.serverProcesses,
      redisCpuMsPerRequest: (r.redisCpuS * 1000) / r.load.requests,
      loadGeneratorCpuMsPerRequest: (r.load.loadGeneratorCpuS * 1000) / r.load.requests,
      ratioToJoseOneCore: r.load.reqPerSec / joseOneCore,
      ratioToJoseOneAtATimeOneCore: r.load.reqPerSec / joseSequentialOneCore,
      ratioToNodeCryptoOneCore: r.load.reqPerSec / nodeOneCore,
    }));
    const row = (name: string, r: CaseResult) => ({
      operation: name,
      'ops/s': r.opsPerSec,
      'µs/op': 1e6 / r.opsPerSec,
      'ratio to (a)': r.ratioToBaseline,
      'trials ops/s': r.trialsOpsPerSec.map((x) => fmt(x)).join(' / '),
    });
    return {
      tables: [
        {
          title: 'Credential refresh over HTTP on Redis (autocannon in its own process; the server a process tree of its own)',
          rows: http.map((h) => ({
            WORKERS: h.workers,
            connections: h.connections,
            'req/s': h.reqPerSec,
            'p50 ms': h.latencyMs.p50,
            'p99 ms': h.latencyMs.p99,
            'server CPU ms/req': h.serverCpuMsPerRequest,
            'Redis CPU ms/req': h.redisCpuMsPerRequest,
            'load generator CPU ms/req': h.loadGeneratorCpuMsPerRequest,
            'ratio to jose, one core': h.ratioToJoseOneCore,
            'ratio to jose one at a time': h.ratioToJoseOneAtATimeOneCore,
          })),
        },
        {
          title: 'The same server\'s HTTP floor: GET /healthz (no store, no crypto), same connections',
          rows: floors.map((f) => ({ WORKERS: f.workers, 'req/s': f.reqPerSec, 'p50 ms': f.latencyMs.p50, 'p99 ms': f.latencyMs.p99, 'server CPU ms/req': f.serverCpuMsPerRequest, 'load generator CPU ms/req': f.loadGeneratorCpuMsPerRequest })),
        },
        {
          title: `Raw ES256 signing on one core (${before.pinned ? 'taskset -c 0' : 'not pinned: no taskset'}), ops/s`,
          rows: [
            { when: 'before the load', 'jose, one at a time': before.jose.sequential, 'jose, 16 in flight': before.jose.inFlight16, 'node:crypto': before.nodeCrypto },
            { when: 'after the load', 'jose, one at a time': after.jose.sequential, 'jose, 16 in flight': after.jose.inFlight16, 'node:crypto': after.nodeCrypto },
          ],
        },
        {
          title: 'One credential in process (median trial; ratio to (a) = median of per-trial ratios, trials interleaved)',
          rows: [
            row('(a) raw node crypto.sign P-256 of the Sig_structure', rawNode),
            row('(c0) zod claims check alone', schemaOnly),
            row('(c1) issueKeyCredential, signature not computed', unsignedIssue),
            row('(c) issueKeyCredential', issue),
          ],
        },
        { title: 'Credential size', rows: [{ format: 'COSE_Sign1 CWT', bytes: credential.length, 'base64url characters (as the API carries it)': Buffer.from(credential).toString('base64url').length, 'signed bytes (Sig_structure)': sigStructure.length }] },
      ],
      results: {
        baseline: 'joseEs256OneCore: the faster of jose SignJWT ES256 one at a time and 16 in flight, in a process pinned to one core, mean of before and after the load',
        format: 'cwt+cose_sign1',
        credentialBytes: credential.length,
        holders: holdersCount,
        durationS,
        httpRefresh: http,
        httpHealthzFloor: floors,
        signingOneCore: { pinned: before.pinned, before, after, joseEs256OneCore: joseOneCore, joseEs256OneAtATimeOneCore: joseSequentialOneCore, nodeCryptoOneCore: nodeOneCore },
        rawNodeCryptoSign: rawNode,
        claimsSchemaParse: schemaOnly,
        issueKeyCredentialUnsigned: unsignedIssue,
        issueKeyCredential: issue,
        trials: loop.trials,
        ratios: {
          'refresh/joseOneCore': Object.fromEntries(http.map((h) => [`workers${h.workers}`, h.ratioToJoseOneCore])),
          'c/a': issue.ratioToBaseline,
          'c1/a': unsignedIssue.ratioToBaseline,
        },
      },
      notes: [
        'The machine runs the server pool, Redis and the load generator at once: their CPU per request is reported side by side, and the load average is kept with the results.',
        'Each refresh signs a credential and the vehicle\'s state manifest (cached per vehicle and seq for 5 s, so mostly once per vehicle per 5 s), verifies nothing (the session token is cached per process) and makes 3 Redis round trips of batched reads.',
        'The server logs a line per request at info level, as in production (asynchronously, to a file here).',
      ],
    };
  },
};
