/**
 * The footprint bench's memory readings (test/bench/redisMemory.ts) against a throwaway
 * redis-server: reading costs the server memory once, and that cost must not be charged to the
 * records written between two snapshots.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';
import { MemoryReader } from './redisMemory.js';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

describe('snapshot', () => {
  it('two snapshots with nothing written between agree on used_memory (the first reading’s own cost is not counted as data)', async () => {
    // Written on a connection of its own, closed before the readings: Redis shrinks an idle client's
    // query buffer some seconds later (clientsCron), which would move used_memory between them.
    const writer = new Redis(server.url);
    const pipeline = writer.pipeline();
    for (let i = 0; i < 3000; i++) pipeline.set(`sdk:{a:${i}}:account`, 'x'.repeat(200));
    await pipeline.exec();
    await writer.quit();
    await expect.poll(async () => /^connected_clients:(\d+)/m.exec(await redis.info('clients'))?.[1], { timeout: 5000 }).toBe('1');
    const reader = await MemoryReader.open(redis);
    const first = await reader.snapshot();
    const second = await reader.snapshot();
    reader.close();
    // A first reading on a fresh connection costs some 25 KB; what may still move between two
    // readings is a connection buffer resized by Redis's client cron (8 KB at a time, under load).
    expect(Math.abs(second.used - first.used)).toBeLessThanOrEqual(8192);
    expect(first.families.get('sdk:{…}:account')?.keys).toBe(3000);
  });
});
