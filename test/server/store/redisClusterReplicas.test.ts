/**
 * Redis replication is asynchronous: a master can acknowledge a write and die before any replica has
 * it, and the failover then loses it. Revocations and wipes are `replicated` commits, acknowledged
 * only after `WAIT` confirms a replica has them (REDIS_WAIT_REPLICAS). On a 3 × (master + replica)
 * cluster, the master owning a vehicle is killed right after acknowledging revocations — while its
 * replica lags (paused) — and no acknowledged revocation is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { createRedisStore } from '../../../server/store/redisStore.js';
import { storeKeys } from '../../../server/store/storeKeys.js';
import { clusterNodes, redisCommand, startRedisCluster, type RedisCluster } from '../../support/redisServer.js';
import { uniqueVin } from './storeContract.js';

let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** A failover takes the node timeout (2 s) and an election; two loaded cores make it slower. */
const FAILOVER = { timeout: 30_000, interval: 100 } as const;

describe('redis cluster with replicas', () => {
  it('a master killed right after acknowledging revocations loses none of them at failover', async () => {
    const c = cluster!;
    const store = createRedisStore({ url: c.url, replicaWait: { replicas: 1, timeoutMs: 1000 } });
    const vin = uniqueVin();
    const audit = storeKeys.vehicleAudit(vin);
    const revoke = (i: number) => store.commit({ append: [{ key: audit, value: `revocation ${i}` }], replicated: true });

    // The master that owns the vehicle, and its replica.
    const slot = (await redisCommand(c.ports[0]!, ['CLUSTER', 'KEYSLOT', audit])) as number;
    const topology = await clusterNodes(c.ports[0]!);
    const master = topology.find((n) => n.role === 'master' && n.slots.some(([a, b]) => a <= slot && slot <= b))!;
    const replica = topology.find((n) => n.masterId === master.id)!;
    const pidOf = (port: number) => c.nodes.find((n) => n.port === port)!.pid;

    const acknowledged: number[] = [];
    const refused: string[] = [];
    const attempt = async (i: number) => {
      try {
        if (await revoke(i)) acknowledged.push(i);
      } catch (err) {
        refused.push(err instanceof DigitalKeyError ? err.code : String(err));
      }
    };
    // A healthy replica confirms each in time (a refusal under load is retryable: retried here).
    for (let i = 0; i < 20; i++) {
      for (let tries = 0; tries < 5 && !acknowledged.includes(i); tries++) await attempt(i);
    }
    expect(acknowledged).toHaveLength(20);
    refused.length = 0;

    // The replica falls behind (paused); the master goes on taking revocations, then dies.
    process.kill(pidOf(replica.port), 'SIGSTOP');
    try {
      for (let i = 20; i < 25; i++) await attempt(i);
    } finally {
      process.kill(pidOf(master.port), 'SIGKILL');
      process.kill(pidOf(replica.port), 'SIGCONT');
    }
    // Not confirmed by a replica in time: refused with the retryable code, never acknowledged.
    expect(refused).toEqual(Array(5).fill('STORE_UNAVAILABLE'));

    // Failover: the replica is promoted with what it had.
    const witness = c.nodes.find((n) => n.port !== master.port && n.port !== replica.port)!.port;
    const promoted = async () => {
      const nodes = await clusterNodes(witness);
      const info = await redisCommand(witness, ['CLUSTER', 'INFO']);
      return nodes.find((n) => n.port === replica.port)?.role === 'master' && typeof info === 'string' && info.includes('cluster_state:ok');
    };
    await expect.poll(() => promoted().catch(() => false), FAILOVER).toBe(true);
    await store.close();

    const after = createRedisStore({ url: `redis+cluster://127.0.0.1:${witness}` });
    try {
      let entries: string[] = [];
      await expect
        .poll(async () => {
          entries = await after.range(audit, 0, -1).catch(() => []);
          return entries.length > 0;
        }, FAILOVER)
        .toBe(true);
      for (const i of acknowledged) expect(entries).toContain(`revocation ${i}`);
    } finally {
      await after.close();
    }
  }, 90_000);
});
