/**
 * Holder buckets (issue 11, footprint): passkey records and the e-mail index are fields of 2^bits
 * hash buckets picked by a digest, so no input picks a key or a slot and no address is stored; the
 * bucket count is pinned in the store at its first use, and a server configured otherwise is
 * refused — through the API and `/readyz` — with a sentence that says what to set.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HolderBuckets, MAX_INDEX_BUCKET_BITS } from '../../../server/store/holderBuckets.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { hashTagOf, type Store } from '../../../server/store/store.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const passkeyId = () => randomBytes(32).toString('base64url');

describe('where a holder record lives', () => {
  it.each([0, 1, 4, 17, MAX_INDEX_BUCKET_BITS])('with %i bits, every bucket is one of 2^bits, named in hexadecimal, and ids spread over them', (bits) => {
    const buckets = new HolderBuckets(new MemoryStore(), bits);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const place = buckets.passkey(passkeyId());
      const bucket = /^sdk:\{pb:([0-9a-f]+)\}:passkeys$/.exec(place.key)?.[1];
      expect(bucket).toBeDefined();
      expect(parseInt(bucket!, 16)).toBeLessThan(2 ** bits);
      seen.add(bucket!);
    }
    // 400 random ids over 2^bits buckets: all of them when there are few, many distinct ones when there are many.
    if (bits <= 4) expect(seen.size).toBe(2 ** bits);
    else expect(seen.size).toBeGreaterThan(300);
  });

  it('a passkey is found under 16 bytes of its id’s SHA-256 in its bucket, 22 characters whatever the id’s length; the key of before is its own', () => {
    const buckets = new HolderBuckets(new MemoryStore(), 17);
    for (const id of [passkeyId(), randomBytes(16).toString('base64url'), randomBytes(192).toString('base64url')]) {
      const digest = createHash('sha256').update(id).digest();
      expect(buckets.passkey(id)).toEqual({
        key: `sdk:{pb:${(digest.readUInt32BE(0) >>> 15).toString(16)}}:passkeys`,
        field: digest.subarray(0, 16).toString('base64url'),
        before: storeKeys.passkey(id),
      });
    }
  });

  it('an address is hashed: its bucket and field say nothing of it, spellings that differ only in case and spaces are one, and no address shapes a key', () => {
    const buckets = new HolderBuckets(new MemoryStore(), 17);
    const place = buckets.email('{evil}:Eva@Example.com ');
    expect(place.key).toMatch(/^sdk:\{eb:[0-9a-f]{1,5}\}:emails$/);
    expect(place.field).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(buckets.email(' {EVIL}:eva@example.com')).toEqual(place);
    expect(place.before).toBe(storeKeys.accountByEmail('{evil}:eva@example.com'));
    expect(hashTagOf(place.key)).toMatch(/^eb:[0-9a-f]+$/);
  });

  it('refuses a bucket count out of range, and a bucket name that is not hexadecimal', () => {
    for (const bits of [-1, 1.5, MAX_INDEX_BUCKET_BITS + 1]) expect(() => new HolderBuckets(new MemoryStore(), bits)).toThrow(RangeError);
    for (const bucket of ['', 'g', '01', '1000000', '}{', 'a:b']) {
      expect(() => storeKeys.passkeyBucket(bucket)).toThrow(TypeError);
      expect(() => storeKeys.emailBucket(bucket)).toThrow(TypeError);
    }
  });
});

describe('the bucket count is fixed for the life of a store', () => {
  it('the first server writes its count; the same count is accepted; another is refused with a sentence saying what to set', async () => {
    const store = new MemoryStore();
    await new HolderBuckets(store, 12).checked();
    expect(await store.get(storeKeys.indexBucketBits())).toBe('12');
    await new HolderBuckets(store, 12).checked();
    const err = await expectRejectsWithCode(new HolderBuckets(store, 17).checked(), 'STORE_UNAVAILABLE');
    expect(err.message).toBe('This server has INDEX_BUCKET_BITS=17, but its store was set up with 12: set INDEX_BUCKET_BITS=12 (the number of buckets cannot change once records are in them)');
    expect(await store.get(storeKeys.indexBucketBits())).toBe('12');
  });

  it('a count in the store this server did not write is refused', async () => {
    const store = new MemoryStore();
    await store.set(storeKeys.indexBucketBits(), 'seventeen');
    const err = await expectRejectsWithCode(new HolderBuckets(store, 17).checked(), 'STORE_UNAVAILABLE');
    expect(err.message).toContain('unreadable');
  });

  it('asks once when the store answers, again after a store that did not answer, and runs an access at once once checked', async () => {
    const memory = new MemoryStore();
    let down = true;
    let calls = 0;
    const flaky: Pick<Store, 'get' | 'set'> = {
      get: (key) => (down ? Promise.reject(new Error('down')) : (calls++, memory.get(key))),
      set: (key, value, opts) => (down ? Promise.reject(new Error('down')) : (calls++, memory.set(key, value, opts))),
    };
    const buckets = new HolderBuckets(flaky, 5);
    await expect(buckets.whenChecked(async () => 'read')).rejects.toThrow('down');
    down = false;
    expect(await buckets.whenChecked(async () => 'read')).toBe('read');
    expect(await buckets.whenChecked(async () => 'again')).toBe('again');
    expect(calls).toBe(2);
  });
});

describe('a server whose INDEX_BUCKET_BITS differs from its store’s', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers sign-up and /readyz 503 with the sentence, and writes no account', async () => {
    const store = new MemoryStore();
    await new HolderBuckets(store, 9).checked();
    t = await startTestServer({ store, env: { INDEX_BUCKET_BITS: '10' } });
    const ready = await fetch(`${t.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('STORE_UNAVAILABLE');
    expect(body.error.message).toContain('set INDEX_BUCKET_BITS=9');

    const phone = t.phone();
    await expect(phone.signUp('eva@example.com', 'Eva')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    for (const bits of [9, 10]) {
      const place = new HolderBuckets(store, bits).email('eva@example.com');
      expect(await store.hget(place.key, place.field)).toBeNull();
    }
  });

  it('with the store’s count it is ready and signs up', async () => {
    const store = new MemoryStore();
    await new HolderBuckets(store, 9).checked();
    t = await startTestServer({ store, env: { INDEX_BUCKET_BITS: '9' } });
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
    await t.phone().signUp('eva@example.com', 'Eva');
    expect(await t.app.ctx.accounts.ownerOfEmail('eva@example.com')).not.toBeNull();
  });
});
