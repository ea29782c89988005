/**
 * The operator CLI acting on a store directly (REDIS_URL): it uses the store's holder layout
 * whatever its own environment says, and never writes one (server/store/holderBuckets.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeTarget } from '../../../server/operator/operatorTarget.js';
import { createRedisStore } from '../../../server/store/redisStore.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { startRedisServer, type RedisServer } from '../../support/redisServer.js';
import { startTestServer } from '../../support/testServer.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

describe('the operator CLI on a store', () => {
  it('on a store no server has used, says to start the server first and writes no layout; then uses the layout the server wrote, whatever its own INDEX_BUCKET_BITS', async () => {
    const before = storeTarget(redis.url);
    await expect(before.grantDealer('eva@example.com')).rejects.toThrow('The store has no holder layout yet (sdk:{layout}:holder-buckets): start the server on it once first');
    await before.close();
    const store = createRedisStore({ url: redis.url });
    try {
      expect(await store.get(storeKeys.holderLayout())).toBeNull();

      const t = await startTestServer({ store, env: { INDEX_BUCKET_BITS: '9' } });
      await t.phone().signUp('eva@example.com', 'Eva');
      await t.close();

      // This process's environment leaves INDEX_BUCKET_BITS at its default (17).
      expect(process.env.INDEX_BUCKET_BITS).toBeUndefined();
      const after = storeTarget(redis.url);
      const { accountId } = await after.grantDealer('eva@example.com');
      await after.close();
      expect(JSON.parse((await store.get(storeKeys.holderLayout())) ?? 'null')).toMatchObject({ bits: 9 });
      expect(JSON.parse((await store.get(storeKeys.account(accountId))) ?? 'null')).toMatchObject({ d: true });
    } finally {
      await store.close();
    }
  });
});
