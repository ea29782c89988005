/**
 * R4 wipe time at 1, 100 and 1000 keys on one vehicle, over a throwaway Redis and on the memory
 * store. A wipe is one epoch increment: GET the vehicle document, one atomic commit (a Lua script),
 * sign and PUBLISH the new manifest; it reads no key (the old epoch's key records stay as the
 * archive, R13). Each wipe is split into its store round trips and the rest (JS and signing), and on
 * Redis the server's side is read beside the client's time: the commit script's own run time
 * (`INFO commandstats`, the evalsha/eval usec added by that one wipe), the CPU time of Redis's main
 * thread and of its lazy-free thread (/proc schedstat). Ratios are to N = 1 on the same store.
 *
 * The order keeps the set-up out of the figures: every vehicle of every size is populated first,
 * then Node collects its garbage and Redis is left to settle (no lazy free pending, no keyspace
 * rehash, no save or rewrite: redisStats.ts), warm-up wipes run (script cache, JIT), it settles
 * again, and only then are the wipes timed, each on a vehicle of its own, in rounds that wipe every
 * size once (the order rotating from round to round), each on an idle server.
 *
 * Keys are put on the vehicle the fast way: the main key over the API, the others written with the
 * layout createKey uses (server/keys/createKey.ts: the key-to-VIN and passkey indexes first, then
 * one vehicle commit with the keys hash, the passkey slots and the counters). The shared keys'
 * passkeys are random ids with no passkey record: the wipe never reads passkeys.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { COMMANDS } from '../../shared/commands.js';
import { ManualClock } from '../../shared/clock.js';
import type { AppContext } from '../../server/appContext.js';
import type { DigitalKey } from '../../server/domain/vehicleRecord.js';
import { wipeVehicleKeys } from '../../server/keys/wipeVehicleKeys.js';
import { MemoryStore } from '../../server/store/memoryStore.js';
import { createRedisStore } from '../../server/store/redisStore.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';
import { startTestServer } from '../support/testServer.js';
import { collectGarbage, hrnow, msSince, progress, runPool, summarize, type BenchOptions, type BenchSection, type BenchTable, type Summary } from './benchSupport.js';
import {
  commandStatsDelta,
  commandStatsOf,
  infoNumber,
  RedisProbe,
  sumOf,
  threadCpu,
  threadCpuDelta,
  type RedisInfo,
  type SettleResult,
  type ThreadCpu,
} from './redisStats.js';
import { TimedStore } from './timedStore.js';

const SIZES = [1, 100, 1000];
/** The commit script, as ioredis sends it (EVALSHA, or EVAL after a NOSCRIPT). */
const SCRIPT_COMMANDS = ['evalsha', 'eval'];
/** Redis's thread names (/proc/<pid>/task/<tid>/comm). */
const MAIN_THREAD = 'redis-server';
const LAZY_FREE_THREAD = 'bio_lazy_free';
/** The wipe's target: the median wipe at 1000 keys takes at most this many times the one at 1 key. */
const TARGET_RATIO = 1.2;

interface WipeSample {
  totalMs: number;
  readVehicleMs: number;
  commitMs: number;
  publishMs: number;
  otherMs: number;
  commitBytes: number;
  /**
   * Redis's own figures for this wipe (Redis only): the commit script's run time, the UNLINK it
   * runs (part of that time), the objects handed to the lazy-free thread; from /proc (NaN where it
   * cannot be read), the CPU time of Redis's main thread while the wipe ran and how long that
   * thread was runnable but waiting for a CPU, and the CPU time of the lazy-free thread.
   */
  server: { scriptUs: number; unlinkUs: number; lazyFreedObjects: number; mainCpuUs: number; mainWaitUs: number; lazyFreeCpuUs: number } | null;
}

/**
 * Bring the vehicle's current epoch to `target` keys, written as createKey writes them: a main key
 * for `main` if the epoch has none, the rest shared keys.
 */
async function populateKeys(ctx: AppContext, vin: string, target: number, main: { accountId: string; passkeyId: string }): Promise<void> {
  const vehicle = await ctx.vehicles.get(vin);
  const existing = await ctx.vehicles.keys(vin, vehicle.epoch);
  const needMain = !existing.some((k) => k.role === 'main');
  const now = ctx.clock.now();
  const fresh = Array.from({ length: target - existing.length }, (_, i) => {
    const isMain = needMain && i === 0;
    return {
      keyId: randomUUID(),
      accountId: isMain ? main.accountId : randomUUID(),
      passkeyId: isMain ? main.passkeyId : randomBytes(32).toString('base64url'),
      role: isMain ? ('main' as const) : ('shared' as const),
    };
  });
  // The indexes first, as createKey writes them (a dangling index entry is harmless).
  await runPool(fresh.length, 64, async (i) => {
    const k = fresh[i]!;
    await ctx.vehicles.indexKeyToBe({ vin, keyId: k.keyId, passkeyId: k.passkeyId });
  });
  const { vehicle: after } = await ctx.vehicles.update(vin, (current) => {
    const keys: DigitalKey[] = fresh.map((k) => ({
      keyId: k.keyId,
      vin,
      accountId: k.accountId,
      passkeyId: k.passkeyId,
      role: k.role,
      perms: k.role === 'main' ? [...COMMANDS] : ['unlock', 'lock'],
      ...(k.role === 'shared' ? { grantedBy: main.accountId } : {}),
      epoch: current.epoch,
      createdAt: now,
    }));
    const shared = keys.filter((k) => k.role === 'shared').length;
    return {
      vehicle: { ...current, sharedKeys: current.sharedKeys + shared, keysIssued: current.keysIssued + keys.length },
      writes: { hset: keys.flatMap((k) => ctx.vehicles.keyWrites(k).hset) },
      result: null,
    };
  });
  const count = (await ctx.vehicles.keys(vin, after.epoch)).length;
  if (count !== target) throw new Error(`populated ${count} keys on ${vin}, wanted ${target}`);
}

/** What one store's run gives back: the samples per size and how the set-up settled. */
interface StoreRun {
  bySize: Map<number, WipeSample[]>;
  storeCalls: Map<number, string>;
  settle: { afterPopulate: SettleResult | null; afterWarmUp: SettleResult | null; busyBeforeAWipe: string[] };
}

/** Objects Redis freed, or queued for its lazy-free thread, as INFO memory counts them so far. */
function lazyFreed(info: RedisInfo): number {
  return infoNumber(info, 'lazyfreed_objects') + infoNumber(info, 'lazyfree_pending_objects');
}

/** `order` rotated by `round`, so every size is wiped first, second and last alike over the rounds. */
function rotated<T>(order: readonly T[], round: number): T[] {
  const k = round % order.length;
  return [...order.slice(k), ...order.slice(0, k)];
}

/**
 * Wipe timings on one store: `warmUps + runs` vehicles per size, all populated before anything is
 * timed; `redis` is the server behind the store, to read (null on the memory store).
 */
async function benchStore(
  opts: BenchOptions,
  label: string,
  run: { store: TimedStore; clock: ManualClock; redis: { probe: RedisProbe; pid: number } | null; runs: number; warmUps: number },
): Promise<StoreRun> {
  const { store, clock, runs, warmUps } = run;
  const probe = run.redis?.probe ?? null;
  const perSize = warmUps + runs;
  const t = await opts.stage(`${label}: start the app (MAX_SHARED_KEYS=100)`, () => startTestServer({ store, clock, env: { MAX_SHARED_KEYS: '100' } }));
  const bySize = new Map<number, WipeSample[]>(SIZES.map((n) => [n, []]));
  const storeCalls = new Map<number, string>();
  const busyBeforeAWipe = new Set<string>();
  const settle = async (quietMs: number): Promise<SettleResult | null> => {
    collectGarbage();
    if (!probe) return null;
    const { info: _info, ...result } = await probe.settle({ quietMs });
    return result;
  };
  try {
    const vehicles = await opts.stage(`${label}: ${perSize} vehicles per size, each with a main user`, async () => {
      const list = SIZES.flatMap((n) => Array.from({ length: perSize }, (_, i) => ({ n, i })));
      return runPool(list.length, 4, async (k) => {
        const v = await t.provision();
        const owner = await t.mainUserWithKey(v.vin, v.odometerKm);
        return { ...list[k]!, vin: v.vin, main: { accountId: owner.accountId!, passkeyId: owner.passkeyId! } };
      });
    });
    await opts.stage(`${label}: populate every vehicle (${perSize} × N = ${SIZES.join(', ')} keys)`, async () => {
      const tick = progress(opts.log, 'vehicles populated', vehicles.length);
      await runPool(vehicles.length, 1, (k) => populateKeys(t.app.ctx, vehicles[k]!.vin, vehicles[k]!.n, vehicles[k]!.main), tick);
    });
    const afterPopulate = await opts.stage(`${label}: settle (GC${probe ? '; Redis idle for 500 ms' : ''})`, () => settle(500));

    const wipe = (vin: string) => wipeVehicleKeys(t.app.ctx, { vin, reason: 'subscription-ended', actor: { accountId: null, role: 'system' } });
    const at = (n: number, i: number) => vehicles.find((v) => v.n === n && v.i === i)!;
    await opts.stage(`${label}: ${warmUps} warm-up wipe(s) per size (not counted)`, async () => {
      for (let i = 0; i < warmUps; i++) for (const n of SIZES) await wipe(at(n, i).vin);
    });
    const afterWarmUp = await opts.stage(`${label}: settle again`, () => settle(500));

    const archives: Array<{ n: number; listWipedKeyIds: () => Promise<string[]> }> = [];
    await opts.stage(`${label}: ${runs} rounds, each wiping one vehicle of every size on an idle ${probe ? 'Redis' : 'store'}`, async () => {
      for (let round = 0; round < runs; round++) {
        for (const n of rotated(SIZES, round)) {
          const { vin } = at(n, warmUps + round);
          let before: RedisInfo | null = null;
          let cpuBefore: Map<string, ThreadCpu> | null = null;
          if (run.redis) {
            // Idle (nothing left to lazy-free from the wipe before) and the baseline, in one INFO.
            const idle = await run.redis.probe.settle({ quietMs: 0, everyMs: 2, rehash: false, sections: ['commandstats'] });
            for (const reason of idle.busySeen) busyBeforeAWipe.add(reason);
            before = idle.info;
            cpuBefore = await threadCpu(run.redis.pid);
          }
          store.reset();
          const start = hrnow();
          const outcome = await wipe(vin);
          const totalMs = msSince(start);
          if (store.timing('commit').calls !== 1) throw new Error('expected one commit per wipe (a conflict retry would skew the split)');
          let server: WipeSample['server'] = null;
          if (run.redis && before) {
            const cpuAfter = await threadCpu(run.redis.pid);
            const after = await run.redis.probe.info('commandstats', 'memory');
            // The lazy-free thread may still be freeing what the wipe handed it: wait for it.
            await run.redis.probe.settle({ quietMs: 0, everyMs: 2, rehash: false });
            const cpuSettled = await threadCpu(run.redis.pid);
            const added = commandStatsDelta(commandStatsOf(before), commandStatsOf(after));
            const script = sumOf(added, SCRIPT_COMMANDS);
            if (script.calls !== 1) throw new Error(`expected one script run per wipe, Redis counted ${script.calls}`);
            const main = cpuBefore && cpuAfter ? threadCpuDelta(cpuBefore, cpuAfter).get(MAIN_THREAD) : undefined;
            const lazyFree = cpuBefore && cpuSettled ? threadCpuDelta(cpuBefore, cpuSettled).get(LAZY_FREE_THREAD) : undefined;
            server = {
              scriptUs: script.usec,
              unlinkUs: sumOf(added, ['unlink']).usec,
              lazyFreedObjects: lazyFreed(after) - lazyFreed(before),
              mainCpuUs: (main?.runNs ?? Number.NaN) / 1000,
              mainWaitUs: (main?.waitNs ?? Number.NaN) / 1000,
              lazyFreeCpuUs: (lazyFree?.runNs ?? Number.NaN) / 1000,
            };
          }
          const parts = { readVehicleMs: store.timing('get').ms, commitMs: store.timing('commit').ms, publishMs: store.timing('publish').ms };
          const otherMs = totalMs - parts.readVehicleMs - parts.commitMs - parts.publishMs;
          bySize.get(n)!.push({ totalMs, ...parts, otherMs, commitBytes: store.commitBytes, server });
          storeCalls.set(n, store.callCounts());
          archives.push({ n, listWipedKeyIds: outcome.listWipedKeyIds });
        }
      }
    });
    // After the timed wipes, so reading 1000 key records per archive allocates nothing while timing.
    await opts.stage(`${label}: check each wiped epoch's archive holds its N keys`, async () => {
      for (const { n, listWipedKeyIds } of archives) {
        const archived = (await listWipedKeyIds()).length;
        if (archived !== n) throw new Error(`the archive of a wiped epoch holds ${archived} keys, wanted ${n}`);
      }
    });
    return { bySize, storeCalls, settle: { afterPopulate, afterWarmUp, busyBeforeAWipe: [...busyBeforeAWipe] } };
  } finally {
    await t.close();
  }
}

/** The ratio of each size's median to N = 1's, as `{ n100, n1000 }`. */
function ratiosOf(bySize: Map<number, WipeSample[]>, pick: (s: WipeSample) => number): Record<string, number> {
  const p50 = (n: number) => summarize(bySize.get(n)!.map(pick)).p50;
  const base = p50(SIZES[0]!);
  return Object.fromEntries(SIZES.slice(1).map((n) => [`n${n}`, p50(n) / base]));
}

/** Redis's figures of a wipe, by what they measure. */
const SERVER_FIGURES = {
  script: (s: WipeSample) => s.server!.scriptUs,
  unlink: (s: WipeSample) => s.server!.unlinkUs,
  mainCpu: (s: WipeSample) => s.server!.mainCpuUs,
  mainWait: (s: WipeSample) => s.server!.mainWaitUs,
  lazyFreeCpu: (s: WipeSample) => s.server!.lazyFreeCpuUs,
};

/** A summary of each figure `picks` names. */
function summarizeEach<K extends string>(samples: WipeSample[], picks: Record<K, (s: WipeSample) => number>): Record<K, Summary> {
  return Object.fromEntries(Object.entries<(s: WipeSample) => number>(picks).map(([k, pick]) => [k, summarize(samples.map(pick))])) as Record<K, Summary>;
}

function tablesOf(label: string, run: StoreRun): { tables: BenchTable[]; results: Record<string, unknown> } {
  const { bySize } = run;
  const onRedis = bySize.get(SIZES[0]!)![0]!.server !== null;
  const biggest = `n${SIZES[SIZES.length - 1]}`;
  const ratioCell = (ratios: Record<string, number> | null, n: number) => (n === SIZES[0] ? 1 : (ratios?.[`n${n}`] ?? ''));
  const clientRatios = ratiosOf(bySize, (s) => s.totalMs);
  const scriptRatios = onRedis ? ratiosOf(bySize, SERVER_FIGURES.script) : null;
  const mainCpuRatios = onRedis ? ratiosOf(bySize, SERVER_FIGURES.mainCpu) : null;
  const results: Record<string, unknown> = {
    ratios: {
      clientTotal: clientRatios,
      commitRoundTrip: ratiosOf(bySize, (s) => s.commitMs),
      ...(scriptRatios && mainCpuRatios ? { serverScript: scriptRatios, serverMainThreadCpu: mainCpuRatios } : {}),
    },
    target: {
      what: `median wipe at ${SIZES[SIZES.length - 1]} keys / at 1 key ≤ ${TARGET_RATIO}`,
      clientMet: clientRatios[biggest]! <= TARGET_RATIO,
      ...(scriptRatios ? { serverScriptMet: scriptRatios[biggest]! <= TARGET_RATIO } : {}),
    },
    settle: run.settle,
  };
  const clientRows: BenchTable['rows'] = [];
  const serverRows: BenchTable['rows'] = [];
  for (const n of SIZES) {
    const samples = bySize.get(n)!;
    const med = (pick: (s: WipeSample) => number) => summarize(samples.map(pick)).p50;
    const total = summarize(samples.map((s) => s.totalMs));
    const server = onRedis ? summarizeEach(samples, SERVER_FIGURES) : null;
    results[`n${n}`] = {
      keys: n,
      wipes: samples.length,
      clientMs: total,
      medianSplitMs: {
        readVehicleDocument: med((s) => s.readVehicleMs),
        atomicCommit: med((s) => s.commitMs),
        publish: med((s) => s.publishMs),
        otherJsAndManifestSigning: med((s) => s.otherMs),
      },
      atomicCommitMs: summarize(samples.map((s) => s.commitMs)),
      ...(server
        ? {
            serverUs: {
              commitScript: server.script,
              unlinkInScript: server.unlink,
              mainThreadCpu: server.mainCpu,
              mainThreadWaitingForCpu: server.mainWait,
              lazyFreeThreadCpu: server.lazyFreeCpu,
            },
            lazyFreedObjectsPerWipe: med((s) => s.server!.lazyFreedObjects),
          }
        : {}),
      storeCallsPerWipe: run.storeCalls.get(n),
      commitPayloadBytes: samples[0]!.commitBytes,
    };
    clientRows.push({
      keys: n,
      wipes: samples.length,
      'min ms': total.min,
      'median ms': total.p50,
      'p90 ms': total.p90,
      'ratio to N=1': ratioCell(clientRatios, n),
      'doc read': med((s) => s.readVehicleMs),
      'commit p50': med((s) => s.commitMs),
      publish: med((s) => s.publishMs),
      'other (JS, sign)': med((s) => s.otherMs),
      'commit bytes': samples[0]!.commitBytes,
    });
    if (server) {
      serverRows.push({
        keys: n,
        'script p50': server.script.p50,
        'script p90': server.script.p90,
        'script ratio': ratioCell(scriptRatios, n),
        'of which UNLINK': server.unlink.p50,
        'main thread CPU p50': server.mainCpu.p50,
        'main CPU ratio': ratioCell(mainCpuRatios, n),
        'main waiting for CPU p50': server.mainWait.p50,
        'waiting p90': server.mainWait.p90,
        'lazy-free thread CPU p50': server.lazyFreeCpu.p50,
        'lazy-freed objects': med((s) => s.server!.lazyFreedObjects),
      });
    }
  }
  return {
    tables: [
      { title: `Wipe on ${label}, client side (ms; split columns are medians)`, rows: clientRows },
      ...(onRedis ? [{ title: `Wipe on ${label}, server side (µs: INFO commandstats for the script; /proc schedstat for the threads)`, rows: serverRows }] : []),
    ],
    results,
  };
}

export const wipeBench: BenchSection = {
  name: 'wipe',
  description: 'R4 wipe of every key of one vehicle at 1, 100, 1000 keys (Redis and memory store), populated and settled before timing',
  async run(opts) {
    const runs = opts.quick ? 7 : 40;
    const warmUps = opts.quick ? 1 : 2;
    // DEBUG HTSTATS (local connections only) shows whether the keyspace is being rehashed.
    const redis: RedisServer = await opts.stage('start a throwaway redis-server', () => startRedisServer({ args: ['--enable-debug-command', 'local'] }));
    let redisRun: StoreRun;
    let redisVersion: string | undefined;
    let memoryRun: StoreRun;
    try {
      const store = new TimedStore(createRedisStore({ url: redis.url }));
      const probe = new RedisProbe(redis.url);
      try {
        // Which hashes are listpacks and what goes to the lazy-free thread depend on the version.
        redisVersion = (await probe.info('server')).get('redis_version');
        redisRun = await benchStore(opts, 'redis', { store, clock: new ManualClock(Date.now()), redis: { probe, pid: redis.pid }, runs, warmUps });
      } finally {
        probe.close();
        await store.close();
      }
    } finally {
      await redis.stop();
    }
    const clock = new ManualClock(Date.now());
    const memory = new TimedStore(new MemoryStore({ clock }));
    try {
      memoryRun = await benchStore(opts, 'memory', { store: memory, clock, redis: null, runs, warmUps });
    } finally {
      await memory.close();
    }
    const r = tablesOf('Redis (loopback, throwaway redis-server)', redisRun);
    const m = tablesOf('the memory store', memoryRun);
    return {
      tables: [...r.tables, ...m.tables],
      results: {
        sizes: SIZES,
        wipesPerSize: runs,
        warmUpsPerSize: warmUps,
        order: 'every vehicle populated first; GC + Redis settled; warm-ups; settled; then rounds that each wipe one fresh vehicle of every size (order rotating), each on an idle Redis',
        redis: { version: redisVersion, ...r.results },
        memory: m.results,
      },
      notes: [
        'A wipe is GET vehicle document + one atomic commit (Lua: check the document, set it with epoch+1 and seq+1, UNLINK the old passkey-slot hash if one was written before issue 11’s footprint work, RPUSH an audit entry naming the wiped epoch) + signing and publishing the new manifest. It reads no key: the old epoch’s key records stay as the audit archive (R13).',
        'Server side: “script” is Redis’s own run time of that commit (INFO commandstats evalsha/eval usec added by the one wipe, read before and after it on a connection of the bench’s own), UNLINK included; the client’s round trip for it is the “commit” column. “main thread CPU” is what Redis’s main thread ran while the wipe was in flight (GET, script, PUBLISH and their socket reads and writes; /proc/<pid>/task/<tid>/schedstat), “waiting for CPU” how long it was runnable but not running (other work on this 2-core machine).',
        'No part of a wipe grows with N: the per-epoch passkey-slot hash (N fields, which the script had to free: a hash table handed to Redis’s lazy-free thread at N=1000) is no longer written, one key per passkey being read from the epoch’s keys (issue 11); the script still UNLINKs one left by an earlier release. With MAX_SHARED_KEYS ≤ 100 an epoch holds at most 101 keys.',
        'Each vehicle is wiped once, after every vehicle was populated and both Node (a forced GC) and Redis (no lazy free pending, no keyspace rehash, no save or rewrite, for 500 ms) had settled; each timed wipe starts on an idle Redis. Populating keys right before each wipe (as this bench did before) timed the allocator and GC work of the bulk writes, not the wipe.',
        'Since each timed wipe starts from an idle Redis and an idle event loop (right after the probe’s reads), its first round trip includes waking Redis up: absolute times sit above those of back-to-back wipes on a busy server. The ratios are what this section is for.',
      ],
    };
  },
};
