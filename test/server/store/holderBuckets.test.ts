/**
 * Holder buckets (issue 11, footprint): passkey records and the e-mail index are fields of 2^bits
 * hash buckets picked by an HMAC under the store's own key, so no input picks a key, a slot or a
 * bucket, and no address is stored; the layout is written in the store at its first use, a server
 * configured otherwise is refused — through the API and `/readyz` — with a sentence that says what
 * to set, and a tool adopts the store's layout without ever writing one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HolderBuckets, MAX_INDEX_BUCKET_BITS } from '../../../server/store/holderBuckets.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { hashTagOf, type Store } from '../../../server/store/store.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';

const passkeyId = () => randomBytes(32).toString('base64url');

async function checkedBuckets(bits: number, store = new MemoryStore()): Promise<HolderBuckets> {
  const buckets = new HolderBuckets(store, { bits });
  await buckets.checked();
  return buckets;
}

/** The layout the store holds: its bits and HMAC key. */
async function layoutOf(store: Store): Promise<{ bits: number; key: Buffer }> {
  const { bits, key } = JSON.parse((await store.get(storeKeys.holderLayout())) ?? 'null') as { bits: number; key: string };
  return { bits, key: Buffer.from(key, 'base64url') };
}

describe('where a holder record lives', () => {
  it.each([0, 1, 4, 17, MAX_INDEX_BUCKET_BITS])('with %i bits, every bucket is one of 2^bits, named in hexadecimal, and ids spread over them', async (bits) => {
    const buckets = await checkedBuckets(bits);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const bucket = /^sdk:\{pb:([0-9a-f]+)\}:passkeys$/.exec(buckets.passkey(passkeyId()).key)?.[1];
      expect(bucket).toBeDefined();
      expect(parseInt(bucket!, 16)).toBeLessThan(2 ** bits);
      seen.add(bucket!);
    }
    // 400 random ids over 2^bits buckets: all of them when there are few, many distinct ones when there are many.
    if (bits <= 4) expect(seen.size).toBe(2 ** bits);
    else expect(seen.size).toBeGreaterThan(300);
  });

  it('a passkey is found under 16 bytes of its id’s HMAC (the store’s key) in the bucket its first bits name, 22 characters whatever the id’s length; the key of before is its own', async () => {
    const store = new MemoryStore();
    const buckets = await checkedBuckets(17, store);
    const { key } = await layoutOf(store);
    expect(key).toHaveLength(32);
    for (const id of [passkeyId(), randomBytes(16).toString('base64url'), randomBytes(192).toString('base64url')]) {
      const digest = createHmac('sha256', key).update(`passkey\0${id}`).digest();
      expect(buckets.passkey(id)).toEqual({
        key: `sdk:{pb:${(digest.readUInt32BE(0) >>> 15).toString(16)}}:passkeys`,
        field: digest.subarray(0, 16).toString('base64url'),
        before: storeKeys.passkey(id),
      });
    }
  });

  it('no client can aim at a bucket: each store has its own key, so the same ids land elsewhere in another store', async () => {
    const [a, b] = await Promise.all([checkedBuckets(4), checkedBuckets(4)]);
    const ids = Array.from({ length: 32 }, passkeyId);
    expect(ids.map((id) => a.passkey(id).field)).not.toEqual(ids.map((id) => b.passkey(id).field));
    expect(ids.map((id) => a.passkey(id).key)).not.toEqual(ids.map((id) => b.passkey(id).key));
  });

  it('an address is keyed-hashed: its bucket and field say nothing of it, spellings that differ only in case and spaces are one, and no address shapes a key', async () => {
    const buckets = await checkedBuckets(17);
    const place = buckets.email('{evil}:Eva@Example.com ');
    expect(place.key).toMatch(/^sdk:\{eb:[0-9a-f]{1,5}\}:emails$/);
    expect(place.field).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(buckets.email(' {EVIL}:eva@example.com')).toEqual(place);
    expect(place.before).toBe(storeKeys.accountByEmail('{evil}:eva@example.com'));
    expect(hashTagOf(place.key)).toMatch(/^eb:[0-9a-f]+$/);
  });

  it('refuses a bucket count out of range, a bucket name that is not hexadecimal, and naming a bucket before the layout is checked', () => {
    for (const bits of [-1, 1.5, MAX_INDEX_BUCKET_BITS + 1]) expect(() => new HolderBuckets(new MemoryStore(), { bits })).toThrow(RangeError);
    for (const bucket of ['', 'g', '01', '1000000', '}{', 'a:b']) {
      expect(() => storeKeys.passkeyBucket(bucket)).toThrow(TypeError);
      expect(() => storeKeys.emailBucket(bucket)).toThrow(TypeError);
    }
    expect(() => new HolderBuckets(new MemoryStore(), { bits: 17 }).passkey(passkeyId())).toThrow('before the store’s layout was checked');
  });
});

describe('the layout is fixed for the life of a store', () => {
  it('the first server writes its bits and a new key; the same bits are accepted and share the key; others are refused with a sentence saying what to set', async () => {
    const store = new MemoryStore();
    const first = await checkedBuckets(12, store);
    const layout = await layoutOf(store);
    expect(layout.bits).toBe(12);
    const second = await checkedBuckets(12, store);
    const id = passkeyId();
    expect(second.passkey(id)).toEqual(first.passkey(id));
    const err = await expectRejectsWithCode(new HolderBuckets(store, { bits: 17 }).checked(), 'STORE_UNAVAILABLE');
    expect(err.message).toBe('This server has INDEX_BUCKET_BITS=17, but its store was set up with 12: set INDEX_BUCKET_BITS=12 (the number of buckets cannot change once records are in them)');
    expect(await layoutOf(store)).toEqual(layout);
  });

  it('servers starting together on an empty store agree on one layout', async () => {
    const store = new MemoryStore();
    const all = await Promise.all(Array.from({ length: 6 }, () => checkedBuckets(9, store)));
    const id = passkeyId();
    expect(new Set(all.map((b) => b.passkey(id).field)).size).toBe(1);
  });

  it('a tool adopts the store’s layout whatever its own setting, and never writes one: on a store without one it says to start the server first', async () => {
    const store = new MemoryStore();
    const tool = new HolderBuckets(store, { adopt: true });
    const err = await expectRejectsWithCode(tool.checked(), 'STORE_UNAVAILABLE');
    expect(err.message).toContain('The store has no holder layout yet');
    expect(await store.get(storeKeys.holderLayout())).toBeNull();
    const server = await checkedBuckets(5, store);
    await tool.checked();
    const id = passkeyId();
    expect(tool.passkey(id)).toEqual(server.passkey(id));
  });

  it.each([['not JSON', 'seventeen'], ['a foreign field', '{"bits":17,"key":"' + 'A'.repeat(43) + '","x":1}'], ['bits out of range', '{"bits":25,"key":"' + 'A'.repeat(43) + '"}'], ['a short key', '{"bits":17,"key":"AAAA"}']])(
    'a layout with %s is refused as unreadable',
    async (_what, raw) => {
      const store = new MemoryStore();
      await store.set(storeKeys.holderLayout(), raw);
      const err = await expectRejectsWithCode(new HolderBuckets(store, { bits: 17 }).checked(), 'STORE_UNAVAILABLE');
      expect(err.message).toContain('is unreadable');
    },
  );

  it('verify (readiness) writes a layout the store lost back as it was, so its buckets stay findable, and refuses for good once the layout changed under it', async () => {
    const store = new MemoryStore();
    const buckets = await checkedBuckets(6, store);
    const layout = await store.get(storeKeys.holderLayout());
    const id = passkeyId();
    const place = buckets.passkey(id);
    await buckets.verify();
    await store.del(storeKeys.holderLayout());
    await buckets.verify();
    expect(await store.get(storeKeys.holderLayout())).toBe(layout);
    expect(buckets.passkey(id)).toEqual(place);
    expect((await checkedBuckets(6, store)).passkey(id)).toEqual(place);

    // Another key now (written by another server after the layout was lost): refused until restart.
    await store.del(storeKeys.holderLayout());
    await checkedBuckets(6, store);
    const err = await expectRejectsWithCode(buckets.verify(), 'STORE_UNAVAILABLE');
    expect(err.message).toContain('changed while this server ran');
    await expectRejectsWithCode(buckets.whenChecked(async () => 'read'), 'STORE_UNAVAILABLE');
    await expectRejectsWithCode(buckets.verify(), 'STORE_UNAVAILABLE');
  });

  it('asks once when the store answers, again after a store that did not answer, and runs an access at once once checked', async () => {
    const memory = new MemoryStore();
    let down = true;
    let calls = 0;
    const flaky: Pick<Store, 'get' | 'commit'> = {
      get: (key) => (down ? Promise.reject(new Error('down')) : (calls++, memory.get(key))),
      commit: (tx) => (down ? Promise.reject(new Error('down')) : (calls++, memory.commit(tx))),
    };
    const buckets = new HolderBuckets(flaky, { bits: 5 });
    await expect(buckets.whenChecked(async () => 'read')).rejects.toThrow('down');
    down = false;
    expect(await buckets.whenChecked(async () => 'read')).toBe('read');
    expect(await buckets.whenChecked(async () => 'again')).toBe('again');
    // Read, write (the store had none), read back: then never again.
    expect(calls).toBe(3);
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
    const setUp = await checkedBuckets(9, store);
    t = await startTestServer({ store, env: { INDEX_BUCKET_BITS: '10' } });
    const ready = await fetch(`${t.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('STORE_UNAVAILABLE');
    expect(body.error.message).toContain('set INDEX_BUCKET_BITS=9');

    const phone = t.phone();
    await expect(phone.signUp('eva@example.com', 'Eva')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const place = setUp.email('eva@example.com');
    expect(await store.hget(place.key, place.field)).toBeNull();
    expect(await store.get(place.before)).toBeNull();
  });

  it('with the store’s count it is ready and signs up', async () => {
    const store = new MemoryStore();
    await checkedBuckets(9, store);
    t = await startTestServer({ store, env: { INDEX_BUCKET_BITS: '9' } });
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
    await t.phone().signUp('eva@example.com', 'Eva');
    expect(await t.app.ctx.accounts.ownerOfEmail('eva@example.com')).not.toBeNull();
  });
});
