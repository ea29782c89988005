/**
 * The Redis adapter against the storage contract on a throwaway 3-master Redis Cluster, and the
 * point of the `{VIN}` hash tag: every key of one vehicle lands on one slot, so a commit about one
 * vehicle runs on the one node that owns it, whichever node that is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../../../server/store/redisStore.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { redisCommand, startRedisCluster, type RedisCluster, type RespValue } from '../../support/redisServer.js';
import { describeStoreContract, uniqueVin } from './storeContract.js';

let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
afterAll(async () => {
  await cluster?.stop();
});

describeStoreContract('redis cluster', async () => {
  const store = createRedisStore({ url: cluster!.url });
  const peer = createRedisStore({ url: cluster!.url });
  return {
    store,
    peer,
    teardown: async () => {
      await Promise.all([store.close(), peer.close()]);
    },
  };
});

/** Every key the store keeps about one vehicle. */
function vehicleKeys(vin: string): string[] {
  return [storeKeys.vehicle(vin), storeKeys.vehicleKeys(vin, 0), storeKeys.vehicleKeys(vin, 7), storeKeys.vehicleTokenUse(vin, '3b241101-e2bb-4255-8caf-4136c566a962'), storeKeys.vehicleAudit(vin)];
}

async function keySlot(key: string): Promise<number> {
  const slot = await redisCommand(cluster!.ports[0]!, ['CLUSTER', 'KEYSLOT', key]);
  if (typeof slot !== 'number') throw new Error('CLUSTER KEYSLOT did not answer a number');
  return slot;
}

/** The client port of the master that owns `slot`, from CLUSTER SLOTS. */
async function ownerOf(slot: number): Promise<number> {
  const ranges = (await redisCommand(cluster!.ports[0]!, ['CLUSTER', 'SLOTS'])) as RespValue[][];
  const range = ranges.find((r) => (r[0] as number) <= slot && slot <= (r[1] as number));
  if (!range) throw new Error(`no master owns slot ${slot}`);
  return (range[2] as RespValue[])[1] as number;
}

describe('redis cluster: one vehicle, one slot', () => {
  let store: RedisStore;
  beforeAll(() => {
    store = createRedisStore({ url: cluster!.url });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('every key of one vehicle maps to the same slot', async () => {
    for (const vin of ['1HGCM82633A004352', uniqueVin(), uniqueVin()]) {
      const slots = await Promise.all(vehicleKeys(vin).map(keySlot));
      expect(new Set(slots).size).toBe(1);
    }
  });

  it('commits about vehicles owned by different masters each run on the owner', async () => {
    // Find vehicles until every master owns at least one of them.
    const byOwner = new Map<number, string>();
    for (let i = 0; byOwner.size < cluster!.ports.length; i++) {
      if (i > 200) throw new Error('could not find vehicles on every master');
      const vin = uniqueVin();
      const owner = await ownerOf(await keySlot(storeKeys.vehicle(vin)));
      if (!byOwner.has(owner)) byOwner.set(owner, vin);
    }
    expect([...byOwner.keys()].sort()).toEqual([...cluster!.ports].sort());

    for (const [owner, vin] of byOwner) {
      const [doc, keys0, , manifest, audit] = vehicleKeys(vin) as [string, string, string, string, string];
      const committed = await store.commit({
        expect: [{ key: doc, value: null }, { key: keys0, field: 'main', value: null }],
        set: [{ key: doc, value: '{"epoch":0}' }, { key: manifest, value: 'signed', ttlMs: 60_000 }],
        hset: [{ key: keys0, field: 'main', value: 'key' }],
        append: [{ key: audit, value: 'provisioned' }],
      });
      expect(committed).toBe(true);
      // A second claim of the same vehicle loses, on a cluster as on one server.
      expect(await store.commit({ expect: [{ key: doc, value: null }], set: [{ key: doc, value: 'stolen' }] })).toBe(false);

      // The data sits on the owning master; the other masters redirect.
      expect(await redisCommand(owner, ['EXISTS', doc, keys0, manifest, audit])).toBe(4);
      for (const other of cluster!.ports.filter((p) => p !== owner)) {
        const reply = await redisCommand(other, ['GET', doc]);
        expect(reply).toBeInstanceOf(Error);
        expect(String(reply)).toMatch(/MOVED \d+ 127\.0\.0\.1:\d+/);
      }
      expect(await store.get(doc)).toBe('{"epoch":0}');
      expect(await store.hgetall(keys0)).toEqual({ main: 'key' });
    }
  });

  it('a commit across two vehicles is refused before it reaches the cluster', async () => {
    await expect(
      store.commit({ set: [{ key: storeKeys.vehicle(uniqueVin()), value: 'a' }, { key: storeKeys.vehicle(uniqueVin()), value: 'b' }] }),
    ).rejects.toThrow(/hash tag/);
  });

  it('ping answers for every master', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
