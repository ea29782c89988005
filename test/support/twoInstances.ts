/**
 * Two server instances sharing one throwaway Redis, one issuer key and one clock — what production
 * runs behind a load balancer — for tests of cross-instance behaviour (fan-out to cars).
 */
import { ManualClock } from '../../shared/clock.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { createRedisStore } from '../../server/store/redisStore.js';
import { startRedisServer } from './redisServer.js';
import { startTestServer, type TestServer } from './testServer.js';

export interface TwoInstances {
  a: TestServer;
  b: TestServer;
  stop(): Promise<void>;
}

export async function startTwoInstances(): Promise<TwoInstances> {
  const redis = await startRedisServer();
  const clock = new ManualClock(Date.now());
  const issuerKey = await LocalIssuerKey.generate();
  const a = await startTestServer({ store: createRedisStore({ url: redis.url }), clock, issuerKey });
  const b = await startTestServer({ store: createRedisStore({ url: redis.url }), clock, issuerKey });
  return {
    a,
    b,
    async stop() {
      await a.close();
      await b.close();
      await a.store.close();
      await b.store.close();
      await redis.stop();
    },
  };
}
