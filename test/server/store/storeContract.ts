/**
 * The one contract every storage adapter passes (DESIGN.md §6). An adapter's test file calls
 * `describeStoreContract` with a setup that returns a fresh store; the cases use unique keys, so a
 * shared backing server needs no flushing between them.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyScanner, Store, StoreTransaction } from '../../../server/store/store.js';
import { POLL } from '../../support/poll.js';

/** A string record under a vehicle's hash tag, besides the vehicle document (any id will do). */
const SAMPLE_TOKEN_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
import { storeKeys } from '../../../server/store/storeKeys.js';

/** What an adapter's setup hands the contract suite. */
export interface StoreUnderTest {
  store: Store;
  /**
   * A second client of the same data (another connection; the memory adapter passes the same
   * store), so races and pub/sub fan-out are exercised across clients. Defaults to `store`.
   */
  peer?: Store;
  /**
   * Move the store's clock forward (an injected clock). Without it, expiry is observed in real
   * time with short TTLs and a bounded poll.
   */
  advance?(ms: number): void | Promise<void>;
  teardown(): Promise<void>;
}

const VIN_ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

/** A fresh valid VIN per call: every case works on its own vehicle. */
export function uniqueVin(): string {
  const bytes = randomUUID().replace(/-/g, '');
  let vin = '1HG';
  for (let i = 0; vin.length < 17; i += 2) vin += VIN_ALPHABET[parseInt(bytes.slice(i, i + 2), 16) % VIN_ALPHABET.length];
  return vin;
}

/** Collects the messages of one subscription. */
function inbox(): { messages: string[]; onMessage: (m: string) => void } {
  const messages: string[] = [];
  return { messages, onMessage: (m) => messages.push(m) };
}

/**
 * Register the storage contract suite for one adapter.
 *
 * @example
 * ```ts
 * describeStoreContract('memory', async () => {
 *   const clock = new ManualClock();
 *   const store = new MemoryStore({ clock });
 *   return { store, advance: (ms) => clock.advance(ms), teardown: () => store.close() };
 * });
 * ```
 */
export function describeStoreContract(name: string, setup: () => Promise<StoreUnderTest>): void {
  describe(`${name} store: the storage contract`, () => {
    let sut: StoreUnderTest;
    let store: Store;
    let peer: Store;

    beforeAll(async () => {
      sut = await setup();
      store = sut.store;
      peer = sut.peer ?? sut.store;
    });
    afterAll(async () => {
      await sut?.teardown();
    });

    /** Let `ttlMs` pass: on the injected clock when there is one, else in real time (by polling). */
    async function expire(ttlMs: number, gone: () => Promise<boolean>): Promise<void> {
      if (sut.advance) {
        await sut.advance(ttlMs + 1);
        expect(await gone()).toBe(true);
      } else {
        await expect.poll(gone, POLL).toBe(true);
      }
    }
    /** A TTL short enough to wait for in real time, long enough to read the value back first. */
    const SHORT_TTL = 300;

    describe('strings', () => {
      it('a missing key reads as null', async () => {
        expect(await store.get(storeKeys.vehicle(uniqueVin()))).toBeNull();
      });

      it('set then get returns the value, and a second set overwrites it', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        expect(await store.set(key, 'v1')).toBe(true);
        expect(await store.get(key)).toBe('v1');
        expect(await store.set(key, 'v2')).toBe(true);
        expect(await peer.get(key)).toBe('v2');
      });

      it.each([
        ['an empty string', ''],
        ['JSON with quotes and escapes', JSON.stringify({ a: 'x"y\\z', n: null, list: [1, 2] })],
        ['unicode and control characters', 'héllo ✓ 🚗 \n\t\u0001 end'],
        ['a long value', 'x'.repeat(100_000)],
      ])('stores %s unchanged', async (_what, value) => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        await store.set(key, value);
        expect(await store.get(key)).toBe(value);
      });

      it('a value set with ttlMs is there until the TTL runs out, then gone', async () => {
        const key = storeKeys.challenge(randomUUID());
        await store.set(key, 'nonce', { ttlMs: SHORT_TTL });
        expect(await store.get(key)).toBe('nonce');
        await expire(SHORT_TTL, async () => (await store.get(key)) === null);
        expect(await store.take(key)).toBeNull();
      });

      it('a set without ttlMs clears an earlier TTL', async () => {
        const key = storeKeys.challenge(randomUUID());
        const witness = storeKeys.challenge(randomUUID());
        await store.set(key, 'short', { ttlMs: SHORT_TTL });
        await store.set(key, 'kept');
        await store.set(witness, 'short', { ttlMs: SHORT_TTL });
        await expire(SHORT_TTL, async () => (await store.get(witness)) === null);
        expect(await store.get(key)).toBe('kept');
      });

      it('ifAbsent writes only when the key does not exist', async () => {
        const key = storeKeys.challenge(randomUUID());
        expect(await store.set(key, 'first', { ifAbsent: true })).toBe(true);
        expect(await store.set(key, 'second', { ifAbsent: true })).toBe(false);
        expect(await store.get(key)).toBe('first');
        await store.del(key);
        expect(await store.set(key, 'third', { ifAbsent: true })).toBe(true);
        expect(await store.get(key)).toBe('third');
      });

      it('ifAbsent succeeds again once the TTL of the existing value ran out', async () => {
        const key = storeKeys.challenge(randomUUID());
        expect(await store.set(key, 'first', { ttlMs: SHORT_TTL, ifAbsent: true })).toBe(true);
        expect(await store.set(key, 'second', { ifAbsent: true })).toBe(false);
        await expire(SHORT_TTL, async () => (await store.get(key)) === null);
        expect(await store.set(key, 'third', { ifAbsent: true })).toBe(true);
      });

      it('ifAbsent: of concurrent writers exactly one wins', async () => {
        const key = storeKeys.challenge(randomUUID());
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).set(key, `writer-${i}`, { ifAbsent: true })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get(key)).toBe(`writer-${results.indexOf(true)}`);
      });

      it('take returns the value once and deletes it (single use)', async () => {
        const key = storeKeys.challenge(randomUUID());
        await store.set(key, 'token', { ttlMs: 60_000 });
        expect(await store.take(key)).toBe('token');
        expect(await store.take(key)).toBeNull();
        expect(await store.get(key)).toBeNull();
        expect(await store.take(storeKeys.challenge(randomUUID()))).toBeNull();
      });

      it('two concurrent takes of the same key: exactly one gets the value', async () => {
        for (let round = 0; round < 10; round++) {
          const key = storeKeys.challenge(randomUUID());
          await store.set(key, `token-${round}`);
          const taken = await Promise.all([store.take(key), peer.take(key)]);
          expect(taken.filter((t) => t !== null)).toEqual([`token-${round}`]);
        }
      });

      it('many concurrent takes from two clients: exactly one gets the value', async () => {
        const key = storeKeys.challenge(randomUUID());
        await store.set(key, 'enrollment-token');
        const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).take(key)));
        expect(taken.filter((t) => t !== null)).toEqual(['enrollment-token']);
      });

      it('del removes a string, a hash and a list; deleting a missing key is fine', async () => {
        const vin = uniqueVin();
        const [s, h, l] = [storeKeys.vehicle(vin), storeKeys.vehicleKeys(vin, 1), storeKeys.vehicleAudit(vin)];
        await store.set(s, 'doc');
        expect(await store.commit({ hset: [{ key: h, field: 'k1', value: 'key' }], append: [{ key: l, value: 'e1' }] })).toBe(true);
        for (const key of [s, h, l]) await store.del(key);
        expect(await store.get(s)).toBeNull();
        expect(await store.hgetall(h)).toEqual({});
        expect(await store.range(l, 0, -1)).toEqual([]);
        await expect(store.del(storeKeys.vehicle(uniqueVin()))).resolves.toBeUndefined();
      });

      it('reading a hash as a string is a WRONGTYPE error', async () => {
        const key = storeKeys.vehicleKeys(uniqueVin(), 0);
        await store.commit({ hset: [{ key, field: 'f', value: 'v' }] });
        await expect(store.get(key)).rejects.toThrow(/WRONGTYPE/);
      });
    });

    describe('hashes', () => {
      it('a missing hash reads as null fields and an empty record', async () => {
        const key = storeKeys.vehicleKeys(uniqueVin(), 0);
        expect(await store.hget(key, 'anything')).toBeNull();
        expect(await store.hgetall(key)).toEqual({});
      });

      it('hset, hget, hgetall and hdel through commit', async () => {
        const key = storeKeys.vehicleKeys(uniqueVin(), 3);
        const [k1, k2] = [randomUUID(), randomUUID()];
        expect(
          await store.commit({
            hset: [
              { key, field: k1, value: '{"role":"owner"}' },
              { key, field: k2, value: '{"role":"shared"}' },
            ],
          }),
        ).toBe(true);
        expect(await store.hget(key, k1)).toBe('{"role":"owner"}');
        expect(await peer.hgetall(key)).toEqual({ [k1]: '{"role":"owner"}', [k2]: '{"role":"shared"}' });
        expect(await store.hget(key, 'missing')).toBeNull();

        expect(await store.commit({ hset: [{ key, field: k1, value: 'updated' }], hdel: [{ key, field: k2 }] })).toBe(true);
        expect(await store.hgetall(key)).toEqual({ [k1]: 'updated' });
      });

      it('deleting the last field deletes the hash', async () => {
        const key = storeKeys.vehicleKeys(uniqueVin(), 0);
        await store.commit({ hset: [{ key, field: 'only', value: 'v' }] });
        await store.commit({ hdel: [{ key, field: 'only' }, { key, field: 'never-there' }] });
        expect(await store.hgetall(key)).toEqual({});
        // The key is gone, not an empty hash: an "absent" expectation on it holds.
        expect(await store.commit({ expect: [{ key, value: null }] })).toBe(true);
      });
    });

    it('an append with keepLast keeps only the newest that many entries of the list (a bound), in the same commit', async () => {
      const key = storeKeys.vehicleAudit(uniqueVin());
      for (const value of ['a', 'b', 'c']) expect(await store.commit({ append: [{ key, value, keepLast: 2 }] })).toBe(true);
      expect(await store.range(key, 0, -1)).toEqual(['b', 'c']);
      await store.commit({ append: [{ key, value: 'd' }, { key, value: 'e', keepLast: 3 }] });
      expect(await store.range(key, 0, -1)).toEqual(['c', 'd', 'e']);
    });

    describe('expire (an absolute expiry: retention by age)', () => {
      const LONG_AGO = Date.UTC(2001, 0, 1);
      const FAR_AHEAD = Date.UTC(2200, 0, 1);

      it('a time already past deletes the key in the same commit, whatever its kind', async () => {
        const vin = uniqueVin();
        const [list, hash] = [storeKeys.vehicleAudit(vin), storeKeys.vehicleKeys(vin, 1)];
        expect(
          await store.commit({ append: [{ key: list, value: 'old' }], hset: [{ key: hash, field: 'f', value: 'v' }], expire: [{ key: list, atMs: LONG_AGO }, { key: hash, atMs: LONG_AGO }] }),
        ).toBe(true);
        expect(await peer.range(list, 0, -1)).toEqual([]);
        expect(await peer.hgetall(hash)).toEqual({});
      });

      it('a time ahead keeps the key, and later appends keep both its entries and its expiry', async () => {
        const list = storeKeys.vehicleAudit(uniqueVin());
        await store.commit({ append: [{ key: list, value: 'a' }], expire: [{ key: list, atMs: FAR_AHEAD }] });
        await store.commit({ append: [{ key: list, value: 'b' }] });
        expect(await peer.range(list, 0, -1)).toEqual(['a', 'b']);
        // The expiry set first still holds: an expiry in the past, only if there is none, changes nothing.
        await store.commit({ expire: [{ key: list, atMs: LONG_AGO, ifNone: true }] });
        expect(await peer.range(list, 0, -1)).toEqual(['a', 'b']);
      });

      it('ifNone gives a key without an expiry one; a missing key stays missing', async () => {
        const vin = uniqueVin();
        const [list, missing] = [storeKeys.vehicleAudit(vin), storeKeys.vehicleKeys(vin, 2)];
        await store.commit({ append: [{ key: list, value: 'a' }] });
        expect(await store.commit({ expire: [{ key: list, atMs: LONG_AGO, ifNone: true }, { key: missing, atMs: FAR_AHEAD }] })).toBe(true);
        expect(await peer.range(list, 0, -1)).toEqual([]);
        expect(await peer.hgetall(missing)).toEqual({});
        // Written afterwards, the missing key has no expiry from before.
        await store.commit({ hset: [{ key: missing, field: 'f', value: 'v' }], expire: [{ key: missing, atMs: LONG_AGO, ifNone: true }] });
        expect(await peer.hgetall(missing)).toEqual({});
      });

      it('an expectation that fails leaves the expiry unset', async () => {
        const vin = uniqueVin();
        const [doc, list] = [storeKeys.vehicle(vin), storeKeys.vehicleAudit(vin)];
        await store.commit({ append: [{ key: list, value: 'a' }] });
        expect(await store.commit({ expect: [{ key: doc, value: 'x' }], expire: [{ key: list, atMs: LONG_AGO }] })).toBe(false);
        expect(await peer.range(list, 0, -1)).toEqual(['a']);
      });
    });

    describe('range (LRANGE semantics)', () => {
      const entries = ['e0', 'e1', 'e2', 'e3', 'e4'];
      let key: string;
      beforeAll(async () => {
        key = storeKeys.vehicleAudit(uniqueVin());
        await store.commit({ append: entries.slice(0, 2).map((value) => ({ key, value })) });
        await store.commit({ append: entries.slice(2).map((value) => ({ key, value })) });
      });

      it.each([
        [0, -1, entries],
        [0, 0, ['e0']],
        [1, 3, ['e1', 'e2', 'e3']],
        [-2, -1, ['e3', 'e4']],
        [-1, -1, ['e4']],
        [-100, 1, ['e0', 'e1']],
        [3, 100, ['e3', 'e4']],
        [0, -4, ['e0', 'e1']],
        [2, 1, []],
        [5, 10, []],
        [-1, -2, []],
        [0, -6, []],
        [-100, -6, []],
      ])('range(%i, %i)', async (start, stop, expected) => {
        expect(await store.range(key, start, stop)).toEqual(expected);
      });

      it('a missing list is empty', async () => {
        expect(await store.range(storeKeys.vehicleAudit(uniqueVin()), 0, -1)).toEqual([]);
      });
    });

    describe('commit', () => {
      it('an empty transaction commits and writes nothing', async () => {
        expect(await store.commit({})).toBe(true);
        expect(await store.commit({ expect: [], set: [], del: [], hset: [], hdel: [], append: [] })).toBe(true);
      });

      it('applies every kind of write at once', async () => {
        const vin = uniqueVin();
        const doc = storeKeys.vehicle(vin);
        const oldKeys = storeKeys.vehicleKeys(vin, 1);
        const newKeys = storeKeys.vehicleKeys(vin, 2);
        const manifest = storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID);
        const audit = storeKeys.vehicleAudit(vin);
        await store.set(doc, '{"epoch":1}');
        await store.commit({ hset: [{ key: oldKeys, field: 'k-old', value: 'old' }, { key: oldKeys, field: 'k-x', value: 'x' }] });

        // R4-shaped: a claim moves to a new epoch, unlinks the old keys and audits it, atomically.
        const committed = await store.commit({
          expect: [{ key: doc, value: '{"epoch":1}' }, { key: oldKeys, field: 'k-old', value: 'old' }],
          set: [
            { key: doc, value: '{"epoch":2}' },
            { key: manifest, value: 'signed-manifest', ttlMs: 60_000 },
          ],
          del: [oldKeys],
          hset: [{ key: newKeys, field: 'k-new', value: 'new' }, { key: newKeys, field: 'k-tmp', value: 'tmp' }],
          hdel: [{ key: newKeys, field: 'k-tmp' }],
          append: [{ key: audit, value: 'claimed' }, { key: audit, value: 'wiped' }],
        });
        expect(committed).toBe(true);
        expect(await store.get(doc)).toBe('{"epoch":2}');
        expect(await store.get(manifest)).toBe('signed-manifest');
        expect(await store.hgetall(oldKeys)).toEqual({});
        expect(await store.hgetall(newKeys)).toEqual({ 'k-new': 'new' });
        expect(await store.range(audit, 0, -1)).toEqual(['claimed', 'wiped']);
      });

      it('writes apply in order: set, del, hset, hdel, append', async () => {
        const vin = uniqueVin();
        const doc = storeKeys.vehicle(vin);
        const keys = storeKeys.vehicleKeys(vin, 0);
        // set then del of the same key leaves it deleted; del then hset of a hash leaves the new field.
        expect(await store.commit({ set: [{ key: doc, value: 'x' }], del: [doc, keys], hset: [{ key: keys, field: 'f', value: 'v' }] })).toBe(true);
        expect(await store.get(doc)).toBeNull();
        expect(await store.hgetall(keys)).toEqual({ f: 'v' });
      });

      it('carries any value through a commit unchanged, and compares expectations exactly', async () => {
        const vin = uniqueVin();
        const [doc, keys, audit] = [storeKeys.vehicle(vin), storeKeys.vehicleKeys(vin, 0), storeKeys.vehicleAudit(vin)];
        const values = ['', 'héllo ✓ 🚗', 'quote " backslash \\ slash /', 'control \u0001\n\t', '{"json":[1,null,true]}', '0', '1e3', 'null'];
        for (const value of values) {
          expect(
            await store.commit({
              set: [{ key: doc, value }],
              hset: [{ key: keys, field: value || 'empty', value }],
              append: [{ key: audit, value }],
            }),
          ).toBe(true);
          expect(await store.get(doc)).toBe(value);
          expect(await store.commit({ expect: [{ key: doc, value }, { key: keys, field: value || 'empty', value }] })).toBe(true);
          expect(await store.commit({ expect: [{ key: doc, value: `${value} ` }] })).toBe(false);
        }
        expect(await store.range(audit, 0, -1)).toEqual(values);
        expect(Object.values(await store.hgetall(keys)).sort()).toEqual([...values].sort());
      });

      it('a set with ttlMs in a commit expires', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        expect(await store.commit({ set: [{ key, value: 'm', ttlMs: SHORT_TTL }] })).toBe(true);
        expect(await store.get(key)).toBe('m');
        await expire(SHORT_TTL, async () => (await store.get(key)) === null);
      });

      it('expectations on strings: equal commits, different fails', async () => {
        const key = storeKeys.vehicle(uniqueVin());
        await store.set(key, 'v1');
        expect(await store.commit({ expect: [{ key, value: 'v0' }], set: [{ key, value: 'lost' }] })).toBe(false);
        expect(await store.get(key)).toBe('v1');
        expect(await store.commit({ expect: [{ key, value: 'v1' }], set: [{ key, value: 'v2' }] })).toBe(true);
        expect(await store.get(key)).toBe('v2');
      });

      it('an expected empty string is not the same as absent', async () => {
        const vin = uniqueVin();
        const key = storeKeys.vehicle(vin);
        const missing = storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID);
        await store.set(key, '');
        expect(await store.commit({ expect: [{ key, value: null }] })).toBe(false);
        expect(await store.commit({ expect: [{ key, value: '' }] })).toBe(true);
        expect(await store.commit({ expect: [{ key: missing, value: '' }] })).toBe(false);
      });

      it('absent expectations: hold for a missing key, fail for an existing one', async () => {
        const vin = uniqueVin();
        const key = storeKeys.vehicle(vin);
        expect(await store.commit({ expect: [{ key, value: null }], set: [{ key, value: 'created' }] })).toBe(true);
        expect(await store.commit({ expect: [{ key, value: null }], set: [{ key, value: 'again' }] })).toBe(false);
        expect(await store.get(key)).toBe('created');
      });

      it('expectations on hash fields: value, absent field, absent hash', async () => {
        const vin = uniqueVin();
        const key = storeKeys.vehicleKeys(vin, 0);
        const audit = storeKeys.vehicleAudit(vin);
        // The hash does not exist: any field is absent.
        expect(await store.commit({ expect: [{ key, field: 'a', value: null }], hset: [{ key, field: 'a', value: '1' }] })).toBe(true);
        // The hash exists, the field does not.
        expect(await store.commit({ expect: [{ key, field: 'b', value: null }], hset: [{ key, field: 'b', value: '2' }] })).toBe(true);
        expect(await store.commit({ expect: [{ key, field: 'a', value: null }], append: [{ key: audit, value: 'no' }] })).toBe(false);
        expect(await store.commit({ expect: [{ key, field: 'a', value: '9' }], append: [{ key: audit, value: 'no' }] })).toBe(false);
        expect(await store.commit({ expect: [{ key, field: 'a', value: '1' }], append: [{ key: audit, value: 'yes' }] })).toBe(true);
        expect(await store.range(audit, 0, -1)).toEqual(['yes']);
      });

      it('an expectation on a key of another type fails instead of throwing', async () => {
        const vin = uniqueVin();
        const str = storeKeys.vehicle(vin);
        const hash = storeKeys.vehicleKeys(vin, 0);
        const list = storeKeys.vehicleAudit(vin);
        await store.set(str, 'doc');
        await store.commit({ hset: [{ key: hash, field: 'f', value: 'doc' }], append: [{ key: list, value: 'doc' }] });
        const cases: NonNullable<StoreTransaction['expect']>[] = [
          [{ key: str, field: 'f', value: 'doc' }],
          [{ key: str, field: 'f', value: null }],
          [{ key: hash, value: 'doc' }],
          [{ key: hash, value: null }],
          [{ key: list, value: null }],
          [{ key: list, field: 'f', value: null }],
        ];
        for (const expectation of cases) {
          expect(await store.commit({ expect: expectation, set: [{ key: storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID), value: 'no' }] })).toBe(false);
        }
        expect(await store.get(storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID))).toBeNull();
      });

      it('a failed expectation writes nothing at all', async () => {
        const vin = uniqueVin();
        const doc = storeKeys.vehicle(vin);
        const keys = storeKeys.vehicleKeys(vin, 1);
        const manifest = storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID);
        const audit = storeKeys.vehicleAudit(vin);
        await store.set(doc, 'v1');
        await store.commit({ hset: [{ key: keys, field: 'k1', value: 'key1' }, { key: keys, field: 'k2', value: 'key2' }], append: [{ key: audit, value: 'a0' }] });

        const committed = await store.commit({
          // Every expectation holds but the last.
          expect: [
            { key: doc, value: 'v1' },
            { key: keys, field: 'k1', value: 'key1' },
            { key: manifest, value: null },
            { key: keys, field: 'k2', value: 'not-key2' },
          ],
          set: [{ key: doc, value: 'v2' }, { key: manifest, value: 'm' }],
          del: [doc],
          hset: [{ key: keys, field: 'k3', value: 'key3' }],
          hdel: [{ key: keys, field: 'k1' }],
          append: [{ key: audit, value: 'a1' }],
        });
        expect(committed).toBe(false);
        expect(await store.get(doc)).toBe('v1');
        expect(await store.get(manifest)).toBeNull();
        expect(await store.hgetall(keys)).toEqual({ k1: 'key1', k2: 'key2' });
        expect(await store.range(audit, 0, -1)).toEqual(['a0']);
      });

      it('a write to a key of another type throws WRONGTYPE and writes nothing', async () => {
        const vin = uniqueVin();
        const doc = storeKeys.vehicle(vin);
        const audit = storeKeys.vehicleAudit(vin);
        const secret = `secret-${randomUUID()}`;
        await store.set(doc, 'a string');
        const attempt = store.commit({
          set: [{ key: storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID), value: secret }],
          append: [{ key: audit, value: secret }],
          hset: [{ key: doc, field: 'f', value: secret }],
        });
        const err = await attempt.then(
          () => expect.fail('the commit should have been refused'),
          (e: unknown) => e,
        );
        expect(String(err)).toMatch(/WRONGTYPE/);
        // Values may be tokens: they never appear in an error.
        expect(inspect(err, { depth: 10 })).not.toContain(secret);
        expect(await store.get(storeKeys.vehicleTokenUse(vin, SAMPLE_TOKEN_ID))).toBeNull();
        expect(await store.range(audit, 0, -1)).toEqual([]);
        expect(await store.get(doc)).toBe('a string');
      });

      it('N concurrent commits racing on the same expected value: exactly one wins', async () => {
        const vin = uniqueVin();
        const doc = storeKeys.vehicle(vin);
        const audit = storeKeys.vehicleAudit(vin);
        await store.set(doc, '{"seq":0}');
        const racers = 20;
        const results = await Promise.all(
          Array.from({ length: racers }, (_, i) =>
            (i % 2 ? peer : store).commit({
              expect: [{ key: doc, value: '{"seq":0}' }],
              set: [{ key: doc, value: `{"seq":1,"by":${i}}` }],
              append: [{ key: audit, value: `racer-${i}` }],
            }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.get(doc)).toBe(`{"seq":1,"by":${winner}}`);
        expect(await store.range(audit, 0, -1)).toEqual([`racer-${winner}`]);
      });

      it('concurrent claims of a hash field: exactly one wins', async () => {
        const key = storeKeys.vehicleKeys(uniqueVin(), 0);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? peer : store).commit({ expect: [{ key, field: 'owner', value: null }], hset: [{ key, field: 'owner', value: `p${i}` }] }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.hget(key, 'owner')).toBe(`p${results.indexOf(true)}`);
      });

      it('a commit spanning two hash tags throws and writes nothing', async () => {
        const [vinA, vinB] = [uniqueVin(), uniqueVin()];
        await expect(
          store.commit({ set: [{ key: storeKeys.vehicle(vinA), value: 'a' }, { key: storeKeys.vehicle(vinB), value: 'b' }] }),
        ).rejects.toThrow(/hash tag/);
        await expect(
          store.commit({ expect: [{ key: storeKeys.vehicle(vinA), value: null }], append: [{ key: storeKeys.outbox(randomUUID()), value: 'x' }] }),
        ).rejects.toThrow(/hash tag/);
        expect(await store.get(storeKeys.vehicle(vinA))).toBeNull();
        expect(await store.get(storeKeys.vehicle(vinB))).toBeNull();
      });

      it('keys of one account share a tag and commit together', async () => {
        const accountId = randomUUID();
        const account = storeKeys.account(accountId);
        const outbox = storeKeys.outbox(accountId);
        expect(await store.commit({ expect: [{ key: account, value: null }], set: [{ key: account, value: '{}' }], append: [{ key: outbox, value: 'welcome' }] })).toBe(true);
        expect(await store.range(outbox, -1, -1)).toEqual(['welcome']);
      });
    });

    describe('sorted sets (due indexes)', () => {
      it('zrangeByScore returns the members scored at most max, lowest first, ties by member, at most limit', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        await store.zadd(key, 'c', 30);
        await store.zadd(key, 'b', 10);
        await peer.zadd(key, 'a', 10);
        await store.zadd(key, 'd', 40);
        expect(await store.zrangeByScore(key, 30, 10)).toEqual([
          { member: 'a', score: 10 },
          { member: 'b', score: 10 },
          { member: 'c', score: 30 },
        ]);
        expect(await peer.zrangeByScore(key, 100, 2)).toEqual([
          { member: 'a', score: 10 },
          { member: 'b', score: 10 },
        ]);
        expect(await store.zrangeByScore(key, 9, 10)).toEqual([]);
        expect(await store.zrangeByScore(key, 100, 0)).toEqual([]);
      });

      it('zadd moves an existing member to its new score (earlier or later)', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        await store.zadd(key, 'm', 50);
        await store.zadd(key, 'm', 5);
        expect(await store.zrangeByScore(key, 10, 10)).toEqual([{ member: 'm', score: 5 }]);
        await peer.zadd(key, 'm', 500);
        expect(await store.zrangeByScore(key, 100, 10)).toEqual([]);
        expect(await store.zrangeByScore(key, 1000, 10)).toEqual([{ member: 'm', score: 500 }]);
      });

      it('keeps millisecond timestamps exact, and accepts negative scores', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        const at = Date.UTC(2031, 1, 28, 23, 59, 59, 999);
        await store.zadd(key, `VIN|${at}`, at);
        await store.zadd(key, 'past', -1);
        expect(await store.zrangeByScore(key, at, 10)).toEqual([
          { member: 'past', score: -1 },
          { member: `VIN|${at}`, score: at },
        ]);
        expect(await store.zrangeByScore(key, at - 1, 10)).toEqual([{ member: 'past', score: -1 }]);
      });

      it('zrem removes one member; a missing member or set is fine; the emptied set is gone', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        await store.zadd(key, 'x', 1);
        await store.zadd(key, 'y', 2);
        await store.zrem(key, 'x');
        await store.zrem(key, 'never-there');
        await store.zrem(storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID), 'x');
        expect(await peer.zrangeByScore(key, 10, 10)).toEqual([{ member: 'y', score: 2 }]);
        await peer.zrem(key, 'y');
        expect(await store.zrangeByScore(key, 10, 10)).toEqual([]);
        expect(await store.commit({ expect: [{ key, value: null }] })).toBe(true);
      });

      it('concurrent zadds from two clients all land', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).zadd(key, `m${String(i).padStart(2, '0')}`, i)));
        const all = await store.zrangeByScore(key, 100, 100);
        expect(all.map((e) => e.member)).toEqual(Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}`));
      });

      it('zlower adds a member or moves it earlier, never later; one already at or before the score moves 1 earlier (a filing is always seen)', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        const at = Date.UTC(2031, 1, 28, 23, 59, 59, 999);
        await store.zlower(key, 'm', at);
        expect(await peer.zrangeByScore(key, 1e15, 10)).toEqual([{ member: 'm', score: at }]);
        await peer.zlower(key, 'm', at - 50);
        expect(await store.zrangeByScore(key, 1e15, 10)).toEqual([{ member: 'm', score: at - 50 }]);
        await store.zlower(key, 'm', at + 1000);
        expect(await store.zrangeByScore(key, 1e15, 10)).toEqual([{ member: 'm', score: at - 51 }]);
        await store.zlower(key, 'm', at - 51);
        expect(await store.zrangeByScore(key, 1e15, 10)).toEqual([{ member: 'm', score: at - 52 }]);
      });

      it('zswap sets or removes a member only if its score is the one expected (null: absent)', async () => {
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        const at = Date.UTC(2031, 1, 28, 23, 59, 59, 999);
        expect(await store.zswap(key, 'm', 5, at)).toBe(false);
        expect(await store.zswap(key, 'm', null, at)).toBe(true);
        expect(await peer.zswap(key, 'm', null, 1)).toBe(false);
        expect(await peer.zswap(key, 'm', at - 1, 1)).toBe(false);
        expect(await peer.zswap(key, 'm', at, at + 7)).toBe(true);
        expect(await store.zrangeByScore(key, 1e15, 10)).toEqual([{ member: 'm', score: at + 7 }]);
        expect(await store.zswap(key, 'm', at, null)).toBe(false);
        expect(await store.zswap(key, 'm', at + 7, null)).toBe(true);
        expect(await store.zrangeByScore(key, 1e15, 10)).toEqual([]);
        expect(await store.commit({ expect: [{ key, value: null }] })).toBe(true);
      });

      it('a missing set reads as empty; a key of another type is a WRONGTYPE error', async () => {
        expect(await store.zrangeByScore(storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID), 1e15, 10)).toEqual([]);
        const key = storeKeys.vehicleTokenUse(uniqueVin(), SAMPLE_TOKEN_ID);
        await store.set(key, 'a string');
        await expect(store.zrangeByScore(key, 10, 10)).rejects.toThrow(/WRONGTYPE/);
        await expect(store.zadd(key, 'm', 1)).rejects.toThrow(/WRONGTYPE/);
      });
    });

    describe('publish and subscribe', () => {
      it('delivers a message to every subscriber, from any client', async () => {
        const channel = `${storeKeys.manifestChannel()}:${randomUUID()}`;
        const [a, b] = [inbox(), inbox()];
        const offA = await store.subscribe(channel, a.onMessage);
        const offB = await store.subscribe(channel, b.onMessage);
        const message = JSON.stringify({ vin: uniqueVin(), manifest: 'signed ✓' });
        await peer.publish(channel, message);
        await store.publish(channel, 'second');
        await expect.poll(() => [a.messages.length, b.messages.length], POLL).toEqual([2, 2]);
        // No order across publishes: on a cluster each PUBLISH may enter through another node.
        expect([...a.messages].sort()).toEqual([message, 'second'].sort());
        expect([...b.messages].sort()).toEqual([message, 'second'].sort());
        await offA();
        await offB();
      });

      it('delivers only the messages of the subscribed channel', async () => {
        const [mine, other] = [`sdk:test:${randomUUID()}`, `sdk:test:${randomUUID()}`];
        const [box, otherBox] = [inbox(), inbox()];
        const off = await store.subscribe(mine, box.onMessage);
        // A subscriber of the other channel on the same store: once it has the message, the store
        // has dispatched it — no waiting in the hope that a wrong delivery would have shown by then.
        const offOther = await store.subscribe(other, otherBox.onMessage);
        await store.publish(other, 'not for me');
        await expect.poll(() => otherBox.messages, POLL).toEqual(['not for me']);
        expect(box.messages).toEqual([]);
        await store.publish(mine, 'for me');
        await expect.poll(() => box.messages.length, POLL).toBeGreaterThan(0);
        expect(box.messages).toEqual(['for me']);
        expect(otherBox.messages).toEqual(['not for me']);
        await off();
        await offOther();
      });

      it('stops delivering to a handler after it unsubscribes, and keeps the others', async () => {
        const channel = `sdk:test:${randomUUID()}`;
        const [stays, leaves] = [inbox(), inbox()];
        const offStays = await store.subscribe(channel, stays.onMessage);
        const offLeaves = await store.subscribe(channel, leaves.onMessage);
        await offLeaves();
        await offLeaves(); // idempotent
        await store.publish(channel, 'after');
        // Both handlers sit on the same channel of the same store: the message reaching the one
        // that stays is the moment it would have reached the one that left.
        await expect.poll(() => stays.messages.length, POLL).toBe(1);
        expect(leaves.messages).toEqual([]);

        await offStays();
        await store.publish(channel, 'nobody listens');
        // A newcomer on the channel: the next message reaching it is the moment a handler that was
        // not really removed would have had it. (On a cluster a PUBLISH travels the cluster bus from
        // whichever node took it to the subscriber's node, so 'nobody listens' may still reach a
        // subscription made just after it — and, published through another node than 'later', it
        // may even arrive after 'later': two nodes' bus links keep no order between them.)
        const newcomer = inbox();
        const offNewcomer = await store.subscribe(channel, newcomer.onMessage);
        await store.publish(channel, 'later');
        await expect.poll(() => newcomer.messages.includes('later'), POLL).toBe(true);
        expect(newcomer.messages.filter((m) => m !== 'nobody listens')).toEqual(['later']);
        expect(stays.messages).toEqual(['after']);
        expect(leaves.messages).toEqual([]);
        await offNewcomer();
      });

      it('the same function subscribed twice is two subscriptions', async () => {
        const channel = `sdk:test:${randomUUID()}`;
        const box = inbox();
        const off1 = await store.subscribe(channel, box.onMessage);
        const off2 = await store.subscribe(channel, box.onMessage);
        await store.publish(channel, 'm');
        await expect.poll(() => box.messages, POLL).toEqual(['m', 'm']);
        await off1();
        await store.publish(channel, 'n');
        await expect.poll(() => box.messages, POLL).toEqual(['m', 'm', 'n']);
        await off2();
      });

      it('a channel can be subscribed again after its last handler left', async () => {
        const channel = `sdk:test:${randomUUID()}`;
        const first = inbox();
        await (await store.subscribe(channel, first.onMessage))();
        const second = inbox();
        const off = await store.subscribe(channel, second.onMessage);
        await store.publish(channel, 'again');
        await expect.poll(() => second.messages, POLL).toEqual(['again']);
        expect(first.messages).toEqual([]);
        await off();
      });

      it('concurrent subscriptions to one channel are all live when they resolve', async () => {
        const channel = `sdk:test:${randomUUID()}`;
        const boxes = [inbox(), inbox(), inbox()];
        const offs = await Promise.all(boxes.map((b) => store.subscribe(channel, b.onMessage)));
        await store.publish(channel, 'all');
        await expect.poll(() => boxes.map((b) => b.messages), POLL).toEqual([['all'], ['all'], ['all']]);
        await Promise.all(offs.map((off) => off()));
      });
    });

    describe('scanning keys (operator tools)', () => {
      it('yields every key that matches, from every node of a cluster, and none other', async () => {
        const scanner = store as Store & KeyScanner;
        const tag = randomUUID().slice(0, 8);
        // Thirty hash tags: on a cluster they fall on every master.
        const wanted = Array.from({ length: 30 }, (_, i) => `sdk:{s${i}-${tag}}:scanned`);
        const others = [`sdk:{s1-${tag}}:scanned-not`, `sdk:{t1-${tag}}:scanned`, `sdk:{s1-${tag}x}:other`];
        for (const key of [...wanted, ...others]) await store.set(key, 'v');
        const found = new Set<string>();
        for await (const batch of scanner.scanKeys(`sdk:{s*-${tag}}:scanned`)) for (const key of batch) found.add(key);
        expect([...found].sort()).toEqual([...wanted].sort());
        for (const key of [...wanted, ...others]) await store.del(key);
      });
    });

    describe('health', () => {
      it('ping resolves while the store is reachable', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('names its kind', () => {
        expect(['memory', 'redis']).toContain(store.kind);
      });
    });
  });
}
