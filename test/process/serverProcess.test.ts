/**
 * The server as an operator runs it: `npm run build`, then `npm start` or `node dist/server/main.js`
 * as separate processes, signalled by PID. Drain on SIGTERM/SIGINT with a request in flight, config
 * refusals with their messages, a Redis Cluster through its seed-node URL, Redis away at start and
 * back later, and the durability check of Redis's persistence settings.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { connect, type Socket } from 'node:net';
import { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCommand, startRedisCluster, startRedisServer, type RedisCluster, type RedisServer } from '../support/redisServer.js';
import { freePort, isListening, processAlive, spawnProcess, type OutputLine, type SpawnedProcess } from '../support/spawnedProcess.js';

const started: SpawnedProcess[] = [];

beforeAll(() => {
  // What the README tells an operator to run.
  const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', timeout: 240_000 });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}, 300_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

/**
 * `node dist/server/main.js` with this environment (LOG_LEVEL info so the logs can be read; the
 * metrics listener on a free port, so servers started side by side do not fight over 9464; one
 * process unless the test asks for a pool of workers).
 */
function startServer(env: Record<string, string>, how: 'node' | 'npm' = 'node'): SpawnedProcess {
  const full = { LOG_LEVEL: 'info', METRICS_PORT: '0', WORKERS: '1', ...env };
  const p = how === 'npm' ? spawnProcess('npm', ['start'], { env: full }) : spawnProcess(process.execPath, ['dist/server/main.js'], { env: full });
  started.push(p);
  return p;
}

const msg = (text: string | RegExp) => (l: OutputLine) => l.json !== undefined && (typeof text === 'string' ? l.json.msg === text : text.test(String(l.json.msg)));

/** Open a POST whose body is only half sent: a request in flight until `finish()`. */
async function slowRequest(port: number): Promise<{ finish(): void; response: Promise<string> }> {
  const body = JSON.stringify({ email: 'slow@example.com', displayName: 'Slow' });
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString()));
  const response = new Promise<string>((resolve) => {
    socket.once('close', () => resolve(answer));
    socket.once('error', () => resolve(answer));
  });
  socket.write(`POST /v1/accounts HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  return { finish: () => socket.write(body.slice(10)), response };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('shutdown', () => {
  it('SIGTERM to the spawned `npm start` PID: stops accepting, finishes the request in flight, and nothing is left listening', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port) }, 'npm');
    const listening = await server.waitFor(msg('server listening'), 60_000, 'server listening');
    const nodePid = Number(listening.json!.pid);
    expect(nodePid).not.toBe(server.pid); // npm → node: the signal must reach the server itself

    const inFlight = await slowRequest(port);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(server.pid, 'SIGTERM');
    await server.waitFor(msg(/^stopping/), 10_000, 'the server to start draining');
    await until(async () => !(await isListening(port)), 5000, 'the port to stop accepting');

    inFlight.finish();
    const answer = await inFlight.response;
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(answer.toLowerCase()).toContain('connection: close');

    await server.exited;
    await until(() => !processAlive(nodePid), 10_000, 'the node process to exit');
    expect(await isListening(port)).toBe(false);
    expect((await server.waitFor(msg(/^stopped/))).json).toMatchObject({ signal: 'SIGTERM', timedOut: false });
  }, 90_000);

  it('SIGINT to `node dist/server/main.js`: a request that never finishes is cut at SHUTDOWN_TIMEOUT and the process exits 0', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port), SHUTDOWN_TIMEOUT: '1s' });
    await server.waitFor(msg('server listening'), 60_000, 'server listening');
    const neverFinished = await slowRequest(port);
    process.kill(server.pid, 'SIGINT');
    expect(await server.exited).toBe(0);
    await neverFinished.response; // its connection was closed by the server
    expect(await isListening(port)).toBe(false);
    expect((await server.waitFor(msg(/^stopped/))).json).toMatchObject({ signal: 'SIGINT', timedOut: true });
  }, 90_000);
});

describe('metrics', () => {
  it('/metrics is not reachable on the public port; the metrics listener (METRICS_PORT, loopback) serves it and stops with the server', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port) });
    await server.waitFor(msg('server listening'), 60_000, 'server listening');
    const { json } = await server.waitFor(msg('metrics listening'), 10_000, 'metrics listening');
    expect(json).toMatchObject({ host: '127.0.0.1', port: expect.any(Number) });
    const metricsPort = Number(json!.port);
    expect(metricsPort).not.toBe(port);

    const open = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(open.status).toBe(404);
    expect(await open.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('sdk_http_requests_total');

    process.kill(server.pid, 'SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await isListening(metricsPort)).toBe(false);
    expect(await isListening(port)).toBe(false);
  }, 60_000);
});

describe('HTTP edges', () => {
  it('a body its Content-Encoding cannot decode and a path with bad percent-encoding: 400 VALIDATION_FAILED, no error log line', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port) });
    await server.waitFor(msg('server listening'), 60_000, 'server listening');
    const answers = [
      await send(port, 'POST /v1/accounts HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}'),
      await send(port, 'GET /v1/vehicles/%E0%A4%A/keys HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n'),
    ];
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('"code":"VALIDATION_FAILED"');
    }
    await server.stop();
    expect(server.lines.filter((l) => Number(l.json?.level) >= 50)).toEqual([]);
  }, 60_000);
});

/** Write a raw request and read the whole answer (the request closes the connection). */
async function send(port: number, request: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString()));
  socket.write(request);
  await new Promise((resolve) => socket.once('close', resolve));
  return answer;
}

describe('configuration refused at start, with its message', () => {
  it.each([
    ['RP_ORIGINS', 'notanorigin', /RP_ORIGINS: "notanorigin" is not an origin/],
    ['REDIS_URL', 'redis+cluster://secret@h1:p1,h2:6380', /REDIS_URL: every Redis Cluster seed node must be host:port/],
  ])('%s=%s is refused', async (name, value, message) => {
    const server = startServer({ [name]: value });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(message);
    expect(server.output()).not.toContain('secret');
  }, 60_000);

  it('ISSUER and RP_ORIGINS follow PORT when unset', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port) });
    expect((await server.waitFor(msg('server listening'), 60_000)).json).toMatchObject({ issuer: `http://localhost:${port}` });
    const res = await fetch(`http://127.0.0.1:${port}/v1/openapi.json`);
    expect(((await res.json()) as { servers: Array<{ url: string }> }).servers[0]!.url).toBe(`http://localhost:${port}`);
    const created = await fetch(`http://127.0.0.1:${port}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'port@example.com', displayName: 'Port' }) });
    const { options } = (await created.json()) as { options: { rp: { id: string } } };
    expect(options.rp.id).toBe('localhost');
    await server.stop();
  }, 60_000);
});

describe('Redis', () => {
  let cluster: RedisCluster | undefined;
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });

  it('the cluster URL with several seed nodes (redis+cluster://h1:p1,h2:p2) is accepted and used', async () => {
    cluster = await startRedisCluster({ masters: 3 });
    const port = await freePort();
    const server = startServer({ PORT: String(port), REDIS_URL: cluster.url });
    expect((await server.waitFor(msg('server listening'), 60_000)).json).toMatchObject({ store: `redis cluster ${cluster.ports.map((p) => `127.0.0.1:${p}`).join(',')}` });
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toMatchObject({ status: 'ready', store: 'redis' });
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `c${i}@example.com`, displayName: 'C' }) });
      expect(res.status).toBe(201);
    }
    const sizes = await Promise.all(cluster.ports.map((p) => redisCommand(p, ['DBSIZE'])));
    expect(sizes.reduce<number>((a, b) => a + Number(b), 0)).toBeGreaterThan(0);
    // The durability check read every master: the throwaway cluster runs without an append-only file.
    const durability = server.lines.filter((l) => typeof l.json?.durability === 'string');
    expect(durability).toHaveLength(3);
    await server.stop();
  }, 120_000);

  it('Redis unreachable at start: the server keeps running, /readyz is 503 naming host and port, logs once, and is ready once Redis is up', async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const server = startServer({ PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}`, NODE_ENV: 'production' });
    await server.waitFor(msg('server listening'), 60_000);
    const down = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: `The store is not reachable (redis 127.0.0.1:${redisPort})` } });
    const signUp = await fetch(`http://127.0.0.1:${port}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'down@example.com', displayName: 'D' }) });
    expect(signUp.status).toBe(503);
    // Backoff pings for 2 s: one line says the store is away, naming it; no flood.
    await new Promise((r) => setTimeout(r, 2000));
    const unreachable = server.lines.filter((l) => /^store (still )?unreachable/.test(String(l.json?.msg)));
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]!.json!.msg).toContain(`redis 127.0.0.1:${redisPort}`);

    redis = await startRedisServer({ port: redisPort });
    await server.waitFor(msg(/^store reachable again/), 30_000, 'the store to be reachable again');
    await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 15_000, '/readyz 200');
    // Durability is checked once Redis answers: in production, appendonly no is an error-level warning.
    const warning = await server.waitFor((l) => typeof l.json?.durability === 'string', 10_000, 'the durability warning');
    expect(warning.json).toMatchObject({ level: 50, msg: expect.stringMatching(/^DURABILITY WARNING: Redis 127\.0\.0\.1:\d+ has appendonly no/) });
    await server.stop();
  }, 120_000);

  it('with appendonly yes the durability check passes without a warning', async () => {
    redis ??= await startRedisServer();
    await redisCommand(redis.port, ['CONFIG', 'SET', 'appendonly', 'yes']);
    const port = await freePort();
    const server = startServer({ PORT: String(port), REDIS_URL: redis.url, NODE_ENV: 'production' });
    await server.waitFor(msg(/^Redis persistence keeps acknowledged writes/), 60_000, 'the durability check');
    expect(server.lines.filter((l) => l.json?.durability !== undefined)).toEqual([]);
    await server.stop();
  }, 90_000);

  it('holder buckets: listpack limits below the recommendation are a footprint warning, the recommended ones none; a store set up with other INDEX_BUCKET_BITS is an error line, and /readyz and sign-up answer 503 saying what to set', async () => {
    redis ??= await startRedisServer();
    await redisCommand(redis.port, ['FLUSHALL']);
    await redisCommand(redis.port, ['CONFIG', 'SET', 'hash-max-listpack-value', '64']);
    const port = await freePort();
    const first = startServer({ PORT: String(port), REDIS_URL: redis.url, INDEX_BUCKET_BITS: '12' });
    const warning = await first.waitFor((l) => typeof l.json?.footprint === 'string', 60_000, 'the footprint warning');
    expect(warning.json!.msg).toMatch(/^footprint warning: Redis 127\.0\.0\.1:\d+ has hash-max-listpack-value 64: holder buckets and the keys of each epoch become hash tables, .* set hash-max-listpack-entries 512 and hash-max-listpack-value 512$/);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 15_000, '/readyz 200');
    await first.stop();

    await redisCommand(redis.port, ['CONFIG', 'SET', 'hash-max-listpack-value', '512']);
    const second = startServer({ PORT: String(port), REDIS_URL: redis.url, INDEX_BUCKET_BITS: '13' });
    const layout = await second.waitFor((l) => typeof l.json?.layout === 'string', 60_000, 'the layout error');
    expect(layout.json).toMatchObject({ level: 50, msg: 'STORE LAYOUT: This server has INDEX_BUCKET_BITS=13, but its store was set up with 12: set INDEX_BUCKET_BITS=12 (the number of buckets cannot change once records are in them)' });
    expect(second.lines.filter((l) => l.json?.footprint !== undefined)).toEqual([]);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: { message: string } }).error.message).toContain('set INDEX_BUCKET_BITS=12');
    const signUp = await fetch(`http://127.0.0.1:${port}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'eva@example.com', displayName: 'Eva' }) });
    expect(signUp.status).toBe(503);
    expect(((await signUp.json()) as { error: { message: string } }).error.message).toContain('set INDEX_BUCKET_BITS=12');
    await second.stop();
  }, 120_000);
});

describe('a pool of workers (WORKERS, node:cluster)', () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.stop();
  });

  /** GET on a new connection each time, so the kernel hands it to the next worker. */
  function getOnNewConnection(port: number, path: string, token: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpGet({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      });
      req.once('error', reject);
    });
  }

  it('2 workers share the port, one issuer key and the metrics listener; a dead worker is replaced; SIGTERM drains them all and the primary exits 0', async () => {
    redis = await startRedisServer();
    const port = await freePort();
    const server = startServer({ PORT: String(port), REDIS_URL: redis.url, WORKERS: '2' });
    await until(() => server.lines.filter(msg('server listening')).length === 2, 60_000, 'two workers listening');
    const workerPids = server.lines.filter(msg('server listening')).map((l) => Number(l.json!.pid));
    expect(new Set(workerPids).size).toBe(2);
    expect(workerPids).not.toContain(server.pid);
    // The development issuer key went to the workers over IPC, not through their environment (readable in /proc).
    for (const pid of [server.pid, ...workerPids]) expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain('ISSUER_PRIVATE_JWK');
    const { json: metricsLine } = await server.waitFor(msg(/^metrics listening/), 10_000);
    expect(Number(metricsLine!.pid)).toBe(server.pid);

    // A session signed by one worker is good on the other: no ISSUER_PRIVATE_JWK, so the primary gave both one key.
    const phone = new PhoneApp({ baseUrl: `http://127.0.0.1:${port}`, rpId: 'localhost', origin: `http://localhost:${port}` });
    await phone.signUp('pool@example.com', 'Pool');
    const token = await phone.logIn();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await getOnNewConnection(port, '/v1/me', token));
    expect(statuses).toEqual(Array(8).fill(200));
    const answeredBy = new Set(server.lines.filter((l) => l.json?.msg === 'request completed' && (l.json.req as { url?: string } | undefined)?.url === '/v1/me').map((l) => Number(l.json!.pid)));
    expect(answeredBy).toEqual(new Set(workerPids));

    // The primary's metrics listener sums both workers.
    const scraped = await (await fetch(`http://127.0.0.1:${Number(metricsLine!.port)}/metrics`)).text();
    const meCount = /^sdk_http_requests_total\{[^}]*route="\/v1\/me"[^}]*status="200"[^}]*\} (\d+)/m.exec(scraped);
    expect(Number(meCount?.[1]), scraped.split('\n').filter((l) => l.startsWith('sdk_http_requests_total')).join('\n')).toBe(8);

    // A worker that dies is replaced.
    process.kill(workerPids[0]!, 'SIGKILL');
    await server.waitFor(msg('a worker died: starting another'), 10_000);
    await until(() => server.lines.filter(msg('server listening')).length === 3, 30_000, 'a third worker listening');
    expect(await getOnNewConnection(port, '/v1/me', token)).toBe(200);

    process.kill(server.pid, 'SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.lines.filter(msg(/^stopped/)).length).toBe(3); // two workers, then the primary
    expect(await isListening(port)).toBe(false);
    const living = server.lines.filter(msg('server listening')).map((l) => Number(l.json!.pid)).filter((pid) => processAlive(pid));
    expect(living).toEqual([]);
  }, 120_000);

  it('the primary killed (SIGKILL): each worker drains — a request in flight is answered — and exits; nothing is left listening', async () => {
    redis ??= await startRedisServer();
    const port = await freePort();
    const server = startServer({ PORT: String(port), REDIS_URL: redis.url, WORKERS: '2' });
    await until(() => server.lines.filter(msg('server listening')).length === 2, 60_000, 'two workers listening');
    const workerPids = server.lines.filter(msg('server listening')).map((l) => Number(l.json!.pid));

    const inFlight = await slowRequest(port);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(server.pid, 'SIGKILL');
    await until(() => server.lines.filter(msg(/^stopping/)).length === 2, 10_000, 'both workers draining');
    inFlight.finish();
    expect(await inFlight.response).toMatch(/^HTTP\/1\.1 201 /);
    await until(() => workerPids.every((pid) => !processAlive(pid)), 15_000, 'both workers exited');
    expect(server.lines.filter(msg(/^stopped/)).length).toBe(2);
    expect(await isListening(port)).toBe(false);
  }, 120_000);

  it('WORKERS above 1 without REDIS_URL is refused with a sentence', async () => {
    const server = startServer({ WORKERS: '2' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/WORKERS: 2 workers need REDIS_URL/);
  }, 60_000);
});
