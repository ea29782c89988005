/**
 * The Redis adapter against the storage contract on a throwaway single redis-server, plus what only
 * Redis has: URL parsing, databases, and failing fast with STORE_UNAVAILABLE when Redis is away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../../../server/store/redisStore.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { readTrail, trailAppend, utcYear, yearExpiresAt, type YearlyTrail } from '../../../server/store/yearlyTrail.js';
import { POLL } from '../../support/poll.js';
import { redisCommand, startRedisServer, type RedisServer } from '../../support/redisServer.js';
import { describeStoreContract, uniqueVin } from './storeContract.js';

let redis: RedisServer | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describeStoreContract('redis', async () => {
  const store = createRedisStore({ url: redis!.url });
  const peer = createRedisStore({ url: redis!.url });
  return {
    store,
    peer,
    teardown: async () => {
      await Promise.all([store.close(), peer.close()]);
    },
  };
});

/** The DigitalKeyError code a promise rejects with (fails the test if it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DigitalKeyError);
  return (err as DigitalKeyError).code;
}

describe('redis store: retention by age', () => {
  it("a trail's year list gets the absolute expiry of its year (PEXPIRETIME), and a year already past is gone at once", async () => {
    const store = createRedisStore({ url: redis!.url });
    try {
      const vin = uniqueVin();
      const trail: YearlyTrail = { keyOf: (year) => storeKeys.vehicleAuditOfYear(vin, year), legacyKey: storeKeys.vehicleAudit(vin), years: 10, keepLast: 100 };
      const thisYear = utcYear(Date.now());
      await store.commit({ append: [{ key: trail.legacyKey, value: 'before the upgrade' }] });
      await store.commit(trailAppend(trail, Date.now(), 'now'));
      expect(await redisCommand(redis!.port, ['PEXPIRETIME', trail.keyOf(thisYear)])).toBe(yearExpiresAt(thisYear, 10));
      expect(await redisCommand(redis!.port, ['PEXPIRETIME', trail.legacyKey])).toBe(yearExpiresAt(thisYear, 10));
      // Written with a clock 11 years behind: its year's time is already up.
      await store.commit(trailAppend(trail, Date.UTC(thisYear - 11, 5, 1), 'long ago'));
      expect(await redisCommand(redis!.port, ['EXISTS', trail.keyOf(thisYear - 11)])).toBe(0);
      expect(await readTrail(store, trail, Date.now(), 10)).toEqual(['before the upgrade', 'now']);
    } finally {
      await store.close();
    }
  });
});

describe('redis store: configuration and failures', () => {
  it('selects the database given in the URL', async () => {
    const db0 = createRedisStore({ url: `${redis!.url}/0` });
    const db5 = createRedisStore({ url: `${redis!.url}/5` });
    try {
      const key = storeKeys.vehicle(uniqueVin());
      await db5.set(key, 'in db 5');
      expect(await db5.get(key)).toBe('in db 5');
      expect(await db0.get(key)).toBeNull();
    } finally {
      await Promise.all([db0.close(), db5.close()]);
    }
  });

  it.each([
    ['an unknown scheme', 'http://127.0.0.1:1'],
    ['a database path that is not a number', 'redis://127.0.0.1:1/zero'],
    ['a cluster node without a host', 'redis+cluster://:7000'],
    ['a cluster URL with a database', 'redis+cluster://127.0.0.1:7000/1'],
    ['nothing at all', ''],
  ])('rejects %s', (_what, url) => {
    expect(() => createRedisStore({ url })).toThrow(TypeError);
  });

  it('does not echo the URL (it may hold a password) in a configuration error', () => {
    expect(() => createRedisStore({ url: 'memcached://user:hunter2@host' })).toThrow(/^(?!.*hunter2)/);
  });

  it('connects lazily: creating and closing a store needs no server', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1' });
    await store.close();
  });

  describe('when Redis goes away', () => {
    let doomed: RedisServer;
    let store: RedisStore;
    beforeAll(async () => {
      doomed = await startRedisServer();
      store = createRedisStore({ url: doomed.url });
      await store.ping();
      await store.subscribe('sdk:test:doomed', () => {});
      await doomed.stop();
    });
    afterAll(async () => {
      await store?.close();
      await doomed?.stop();
    });

    it('ping throws STORE_UNAVAILABLE, which may be retried, within about a second', async () => {
      const started = Date.now();
      const err = await store.ping().catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(err).toBeInstanceOf(DigitalKeyError);
      expect((err as DigitalKeyError).code).toBe('STORE_UNAVAILABLE');
      expect((err as DigitalKeyError).temporary).toBe(true);
    });

    it('every operation fails fast with STORE_UNAVAILABLE instead of queueing', async () => {
      const key = storeKeys.challenge(crypto.randomUUID());
      const started = Date.now();
      const codes = await Promise.all([
        codeOf(store.get(key)),
        codeOf(store.set(key, 'v', { ifAbsent: true })),
        codeOf(store.take(key)),
        codeOf(store.del(key)),
        codeOf(store.hget(key, 'f')),
        codeOf(store.hgetall(key)),
        codeOf(store.range(key, 0, -1)),
        codeOf(store.commit({ expect: [{ key, value: null }], set: [{ key, value: 'v' }] })),
        codeOf(store.publish('sdk:test:doomed', 'm')),
        codeOf(store.subscribe('sdk:test:other', () => {})),
      ]);
      expect(new Set(codes)).toEqual(new Set(['STORE_UNAVAILABLE']));
      expect(Date.now() - started).toBeLessThan(2500);
    });
  });

  it('ping throws STORE_UNAVAILABLE when nothing listens on the port', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1' });
    try {
      expect(await codeOf(store.ping())).toBe('STORE_UNAVAILABLE');
    } finally {
      await store.close();
    }
  });

  it('reconnects after the connection drops', async () => {
    const server = await startRedisServer();
    const store = createRedisStore({ url: server.url });
    try {
      await store.set('sdk:{test}:before', 'x');
      expect(await redisCommand(server.port, ['CLIENT', 'KILL', 'TYPE', 'normal'])).toBe(1);
      // An operation waits (bounded) for the reconnection; only one caught in flight by the drop
      // may fail, and then with STORE_UNAVAILABLE (it may or may not have run).
      const failures: string[] = [];
      let value: string | null = null;
      for (const deadline = Date.now() + 3000; value === null && Date.now() < deadline; ) {
        value = await store.get('sdk:{test}:before').catch((err: DigitalKeyError) => {
          failures.push(err.code);
          return null;
        });
      }
      expect(value).toBe('x');
      expect(failures.length).toBeLessThanOrEqual(1);
      expect(failures.every((code) => code === 'STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('ping throws STORE_UNAVAILABLE within about a second when Redis hangs', async () => {
    const server = await startRedisServer();
    const store = createRedisStore({ url: server.url });
    try {
      await store.ping();
      process.kill(server.pid, 'SIGSTOP');
      const started = Date.now();
      const [ping, get] = await Promise.all([codeOf(store.ping()), codeOf(store.get('sdk:{test}:hung'))]);
      expect([ping, get]).toEqual(['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
      expect(Date.now() - started).toBeLessThan(3000);
      process.kill(server.pid, 'SIGCONT');
      await store.ping();
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await store.close();
      await server.stop();
    }
  });

  it('a subscription survives a dropped connection (it is renewed on reconnect)', async () => {
    const server = await startRedisServer();
    const store = createRedisStore({ url: server.url });
    try {
      const received: string[] = [];
      const off = await store.subscribe('sdk:test:survivor', (m) => received.push(m));
      expect(await redisCommand(server.port, ['CLIENT', 'KILL', 'TYPE', 'pubsub'])).toBe(1);
      // Publish until one arrives: the renewed subscription misses whatever was sent before it is back.
      let sent = 0;
      await expect
        .poll(async () => {
          await store.publish('sdk:test:survivor', `after-${sent++}`);
          return received.length;
        }, POLL)
        .toBeGreaterThan(0);
      expect(received.length).toBeGreaterThan(0);
      expect(received[0]).toMatch(/^after-\d+$/);
      await off();
      expect(await redisCommand(server.port, ['PUBSUB', 'NUMSUB', 'sdk:test:survivor'])).toEqual(['sdk:test:survivor', 0]);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('fails an operation after close', async () => {
    const store = createRedisStore({ url: redis!.url });
    await store.ping();
    await store.close();
    await store.close(); // idempotent
    expect(await codeOf(store.get('sdk:{x}:y'))).toBe('STORE_UNAVAILABLE');
  });
});
