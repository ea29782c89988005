/**
 * The operator CLI acting on a store directly (REDIS_URL): it uses the store's holder layout
 * whatever its own environment says, and never writes one (server/store/holderBuckets.ts); and it
 * moves the passkey records stored before holder buckets into them (`move-passkeys`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOVING_MARK } from '../../../server/store/bucketMove.js';
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

  it('move-passkeys (the CLI, spawned) moves every passkey record stored before buckets into its bucket, finishes a move left half done, and a second run finds nothing', async () => {
    const store = createRedisStore({ url: redis.url });
    try {
      const t = await startTestServer({ store, env: { INDEX_BUCKET_BITS: '9' } });
      const phones = [t.phone(), t.phone(), t.phone()];
      for (const [i, phone] of phones.entries()) await phone.signUp(`mover-${i}@example.com`, `Mover ${i}`);
      const places = phones.map((p) => t.app.ctx.accounts.buckets.passkey(p.passkeyId!));
      const texts = await Promise.all(places.map((p) => store.hget(p.key, p.field)));
      // Two as a server before buckets stored them, one marked by a move that stopped half way.
      for (const [i, p] of places.entries()) {
        await store.commit({ hdel: [{ key: p.key, field: p.field }] });
        await store.set(p.before, i === 2 ? `${MOVING_MARK}${texts[i]!}` : texts[i]!);
      }
      await t.close();

      const cli = await promisify(execFile)('node_modules/.bin/tsx', ['server/operator/main.ts', 'move-passkeys'], { env: { ...process.env, REDIS_URL: redis.url }, timeout: 60_000 });
      expect(cli.stdout.trim()).toBe(`moved 2 of 2 passkey records stored before holder buckets into their buckets on redis 127.0.0.1:${redis.port}`);
      expect(cli.stderr).toContain('passkey records of before found');
      for (const [i, p] of places.entries()) {
        expect(await store.get(p.before)).toBeNull();
        expect(await store.hget(p.key, p.field)).toBe(texts[i]);
      }

      const again = storeTarget(redis.url);
      expect(await again.movePasskeys()).toEqual({ found: 0, moved: 0 });
      await again.close();
    } finally {
      await store.close();
    }
  });
});
