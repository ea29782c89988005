/**
 * The anonymous rate limit is one budget per client address across instances when the store is
 * Redis (issue 12, HTTP edges): two app instances on one throwaway redis-server, calls alternating
 * between them, are refused once the shared budget is spent. On their own memory each instance
 * would grant the full budget again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { createApp } from '../../../server/app.js';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { RATE_LIMIT_KEY_PREFIX, redisRateLimitStore, type RedisRateLimitStore } from '../../../server/http/redisRateLimitStore.js';
import { createRedisStore } from '../../../server/store/redisStore.js';
import type { Store } from '../../../server/store/store.js';
import { redisCommand, startRedisServer, type RedisServer } from '../../support/redisServer.js';

const LIMIT = 4;

let redis: RedisServer;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await redis?.stop();
});

/** One instance on the shared Redis store; its limiter on Redis too, or on its own memory. */
async function instance(limiter: 'redis' | 'memory'): Promise<string> {
  const clock = new ManualClock(Date.now());
  const store: Store = createRedisStore({ url: redis.url });
  const limits: RedisRateLimitStore | undefined = limiter === 'redis' ? redisRateLimitStore({ url: redis.url }) : undefined;
  const config = loadConfig({ LOG_LEVEL: 'silent', ANONYMOUS_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  const app = createApp({ config, store, clock, issuerKey: await LocalIssuerKey.generate(), logger: createLogger({ level: 'silent' }), ...(limits ? { anonymousRateLimitStore: limits.store } : {}) });
  const server: Server = createServer(app.listener).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.close();
    await limits?.close();
    await store.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An anonymous call (login options): its status and error code. */
async function anonymousCall(baseUrl: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${baseUrl}/v1/sessions/options`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
}

describe('anonymous rate limit across instances', () => {
  it('on Redis, two instances share one budget per client address: alternating calls are refused (429 RATE_LIMITED) once it is spent', async () => {
    const [a, b] = [await instance('redis'), await instance('redis')];
    const answers = [];
    for (let i = 0; i < LIMIT + 2; i++) answers.push(await anonymousCall(i % 2 === 0 ? a : b));
    expect(answers.slice(0, LIMIT).map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    expect(answers.slice(LIMIT)).toEqual([{ status: 429, code: 'RATE_LIMITED' }, { status: 429, code: 'RATE_LIMITED' }]);
    // The counters live under the project's key prefix.
    const keys = await redisCommand(redis.port, ['KEYS', `${RATE_LIMIT_KEY_PREFIX}*`]);
    expect(Array.isArray(keys) && keys.length).toBe(1);
    await redisCommand(redis.port, ['DEL', ...(keys as string[])]);
  });

  it('on their own memory (the memory store’s default), each instance grants its own budget', async () => {
    const [a, b] = [await instance('memory'), await instance('memory')];
    const answers = [];
    for (let i = 0; i < LIMIT + 2; i++) answers.push(await anonymousCall(i % 2 === 0 ? a : b));
    expect(answers.map((r) => r.status)).toEqual(Array(LIMIT + 2).fill(200));
  });

  it('a script the server forgot (SCRIPT FLUSH) is loaded again: the shared count goes on', async () => {
    const a = await instance('redis');
    expect((await anonymousCall(a)).status).toBe(200);
    await redisCommand(redis.port, ['SCRIPT', 'FLUSH']);
    for (let i = 1; i < LIMIT; i++) expect((await anonymousCall(a)).status).toBe(200);
    expect(await anonymousCall(a)).toEqual({ status: 429, code: 'RATE_LIMITED' });
  });
});
