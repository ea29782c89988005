/**
 * The typed record layer (server/store/records.ts): a stored value is parsed with its schema (a
 * corrupt one is CORRUPT_RECORD, never a mistyped object), and `updateRecord` is one compare-and-set
 * loop with one retry budget that ends in CONFLICT.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../../../server/store/memoryStore.js';
import { MOVING_MARK } from '../../../server/store/bucketMove.js';
import { RECORD_UPDATE_ATTEMPTS, readRecord, updateRecord } from '../../../server/store/records.js';
import type { Store } from '../../../server/store/store.js';
import { expectRejectsWithCode } from '../../support/expectErrorCode.js';

const counterSchema = z.object({ n: z.number().int() });
const KEY = 'sdk:{t}:counter';

describe('readRecord', () => {
  it('returns the parsed record, or null when absent', async () => {
    const store = new MemoryStore();
    expect(await readRecord(store, KEY, counterSchema, 'counter')).toBeNull();
    await store.set(KEY, JSON.stringify({ n: 3, extra: 'dropped' }));
    expect(await readRecord(store, KEY, counterSchema, 'counter')).toEqual({ n: 3 });
  });

  it.each([
    ['not JSON', '{n: 3'],
    ['a field of the wrong type', JSON.stringify({ n: 'three' })],
    ['a missing field', JSON.stringify({})],
  ])('a stored value with %s is CORRUPT_RECORD, never a silently mistyped record', async (_what, raw) => {
    const store = new MemoryStore();
    await store.set(KEY, raw);
    const err = await expectRejectsWithCode(readRecord(store, KEY, counterSchema, 'counter'), 'CORRUPT_RECORD');
    expect(err.message).toBe(raw === '{n: 3' ? 'a stored counter is not JSON' : 'a stored counter does not match its schema');
  });
});

describe('updateRecord', () => {
  const increment = (c: { n: number } | null) => ({ record: { n: (c?.n ?? 0) + 1 }, result: c?.n ?? null });

  it('creates, then changes the record, returning before, record and result', async () => {
    const store = new MemoryStore();
    expect(await updateRecord(store, KEY, counterSchema, increment, { what: 'counter' })).toEqual({ before: null, record: { n: 1 }, result: null });
    expect(await updateRecord(store, KEY, counterSchema, increment, { what: 'counter' })).toEqual({ before: { n: 1 }, record: { n: 2 }, result: 1 });
    expect(await store.get(KEY)).toBe('{"n":2}');
  });

  it('loses no update under concurrent changes (each change re-runs on the fresh record)', async () => {
    const store = new MemoryStore();
    await Promise.all(Array.from({ length: 8 }, () => updateRecord(store, KEY, counterSchema, increment, { what: 'counter' })));
    expect(JSON.parse((await store.get(KEY)) ?? 'null')).toEqual({ n: 8 });
  });

  it('commits the change’s other writes atomically with the record', async () => {
    const store = new MemoryStore();
    await updateRecord(store, KEY, counterSchema, () => ({ record: { n: 1 }, writes: { append: [{ key: 'sdk:{t}:log', value: 'one' }] }, result: null }), { what: 'counter' });
    expect(await store.range('sdk:{t}:log', 0, -1)).toEqual(['one']);
  });

  it('a refusal thrown by the change writes nothing', async () => {
    const store = new MemoryStore();
    await store.set(KEY, '{"n":1}');
    await expect(updateRecord(store, KEY, counterSchema, () => { throw new Error('refused'); }, { what: 'counter' })).rejects.toThrow('refused');
    expect(await store.get(KEY)).toBe('{"n":1}');
  });

  it(`gives up with CONFLICT after ${RECORD_UPDATE_ATTEMPTS} lost races, having read the record once per attempt`, async () => {
    const memory = new MemoryStore();
    let reads = 0;
    // Someone else changes the record between every read and commit.
    const racing: Pick<Store, 'get' | 'hget' | 'commit'> = {
      get: async (key) => {
        reads++;
        const raw = await memory.get(key);
        await memory.set(key, JSON.stringify({ n: reads * 100 }));
        return raw;
      },
      hget: (key, field) => memory.hget(key, field),
      commit: (tx) => memory.commit(tx),
    };
    const err = await expectRejectsWithCode(updateRecord(racing, KEY, counterSchema, increment, { what: 'counter' }), 'CONFLICT');
    expect(err.message).toBe('the counter kept changing concurrently: try again');
    expect(err.temporary).toBe(true);
    expect(reads).toBe(RECORD_UPDATE_ATTEMPTS);
  });

  it('a corrupt stored record is CORRUPT_RECORD before the change runs', async () => {
    const store = new MemoryStore();
    await store.set(KEY, '"a string"');
    let ran = false;
    await expectRejectsWithCode(updateRecord(store, KEY, counterSchema, (c) => { ran = true; return increment(c); }, { what: 'counter' }), 'CORRUPT_RECORD');
    expect(ran).toBe(false);
  });
});

describe('a record kept in a bucket (a field of a hash), with the key it had before buckets', () => {
  const BUCKET = 'sdk:{b:1}:counters';
  const BEFORE = 'sdk:{c:1}:counter';
  const place = { key: BUCKET, field: 'c1', before: BEFORE };
  const increment = (c: { n: number } | null) => ({ record: { n: (c?.n ?? 0) + 1 }, result: null });

  it('is created in its bucket, read from there, and changed there (its key of before stays absent)', async () => {
    const store = new MemoryStore();
    expect(await readRecord(store, place, counterSchema, 'counter')).toBeNull();
    await updateRecord(store, place, counterSchema, increment, { what: 'counter' });
    await updateRecord(store, place, counterSchema, increment, { what: 'counter' });
    expect(await store.hgetall(BUCKET)).toEqual({ c1: '{"n":2}' });
    expect(await store.get(BEFORE)).toBeNull();
    expect(await readRecord(store, place, counterSchema, 'counter')).toEqual({ n: 2 });
  });

  it('a record stored before buckets is read where it is, moved into its bucket by its first change, and changed there', async () => {
    const store = new MemoryStore();
    await store.set(BEFORE, '{"n":5}');
    expect(await readRecord(store, place, counterSchema, 'counter')).toEqual({ n: 5 });
    // A read moves nothing.
    expect(await store.get(BEFORE)).toBe('{"n":5}');
    await updateRecord(store, place, counterSchema, increment, { what: 'counter' });
    expect(await store.get(BEFORE)).toBeNull();
    expect(await store.hgetall(BUCKET)).toEqual({ c1: '{"n":6}' });
  });

  it('a move left half done is finished by whoever finds it: marked under the old key, or copied and not yet dropped', async () => {
    const store = new MemoryStore();
    await store.set(BEFORE, `${MOVING_MARK}{"n":7}`);
    expect(await readRecord(store, place, counterSchema, 'counter')).toEqual({ n: 7 });
    expect(await store.get(BEFORE)).toBeNull();
    expect(await store.hgetall(BUCKET)).toEqual({ c1: '{"n":7}' });

    // Copied, then changed in the bucket, and the old key's mark never dropped: the bucket's text stays.
    await store.set(BEFORE, `${MOVING_MARK}{"n":7}`);
    await store.commit({ hset: [{ key: BUCKET, field: 'c1', value: '{"n":9}' }] });
    await updateRecord(store, place, counterSchema, increment, { what: 'counter' });
    expect(await store.hgetall(BUCKET)).toEqual({ c1: '{"n":10}' });
  });

  it('a change made under the old key while the record moves is never lost: the move or the change fails its compare-and-set and reads again', async () => {
    const memory = new MemoryStore();
    await memory.set(BEFORE, '{"n":1}');
    // Another server changes the old key between this move's read and its mark, once.
    let raced = false;
    const racing: Pick<Store, 'get' | 'hget' | 'commit'> = {
      get: (key) => memory.get(key),
      hget: (key, field) => memory.hget(key, field),
      commit: async (tx) => {
        if (!raced && tx.set?.some((w) => w.key === BEFORE && w.value.startsWith(MOVING_MARK))) {
          raced = true;
          await memory.set(BEFORE, '{"n":50}');
        }
        return memory.commit(tx);
      },
    };
    await updateRecord(racing, place, counterSchema, increment, { what: 'counter' });
    expect(raced).toBe(true);
    expect(await memory.get(BEFORE)).toBeNull();
    expect(await memory.hgetall(BUCKET)).toEqual({ c1: '{"n":51}' });
  });

  it('the bucket wins over a key of before (an id registered twice during an upgrade reads as the bucketed one)', async () => {
    const store = new MemoryStore();
    await store.set(BEFORE, '{"n":5}');
    await store.commit({ hset: [{ key: BUCKET, field: 'c1', value: '{"n":40}' }] });
    expect(await readRecord(store, place, counterSchema, 'counter')).toEqual({ n: 40 });
  });

  it('loses no update under concurrent changes of one field, and leaves the bucket’s other fields alone', async () => {
    const store = new MemoryStore();
    await store.commit({ hset: [{ key: BUCKET, field: 'other', value: '{"n":9}' }] });
    await Promise.all(Array.from({ length: 8 }, () => updateRecord(store, place, counterSchema, increment, { what: 'counter' })));
    expect(await store.hgetall(BUCKET)).toEqual({ c1: '{"n":8}', other: '{"n":9}' });
  });

  it('refuses a TTL: a field cannot expire on its own', async () => {
    const store = new MemoryStore();
    await expect(updateRecord(store, place, counterSchema, increment, { what: 'counter', ttlMs: 1000 })).rejects.toThrow('a counter kept in a bucket cannot have a TTL');
    expect(await store.hgetall(BUCKET)).toEqual({});
  });
});
