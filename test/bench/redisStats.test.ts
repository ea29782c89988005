/**
 * The wipe bench's readings of its own redis-server (test/bench/redisStats.ts): INFO and
 * commandstats parsing, the per-command deltas a timed command is judged by, the idle check it
 * settles on, and per-thread CPU from /proc; then the probe against a throwaway redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCommand, startRedisServer, type RedisServer } from '../support/redisServer.js';
import {
  busyReasons,
  commandStatsDelta,
  commandStatsOf,
  infoNumber,
  mainThreadCpu,
  parseRedisInfo,
  parseSchedstat,
  RedisProbe,
  sumOf,
  threadCpu,
  threadCpuDelta,
} from './redisStats.js';

/** As redis-server 7.0 answers `INFO memory persistence commandstats` (abridged). */
const INFO = [
  '# Memory',
  'used_memory:1089232',
  'lazyfree_pending_objects:0',
  'lazyfreed_objects:3',
  '',
  '# Persistence',
  'loading:0',
  'async_loading:0',
  'rdb_bgsave_in_progress:0',
  'aof_rewrite_in_progress:0',
  'aof_rewrite_scheduled:0',
  'module_fork_in_progress:0',
  'aof_last_bgrewrite_status:ok',
  '',
  '# Commandstats',
  'cmdstat_evalsha:calls=26,usec=3120,usec_per_call=120.00,rejected_calls=1,failed_calls=0',
  'cmdstat_unlink:calls=26,usec=390,usec_per_call=15.00,rejected_calls=0,failed_calls=0',
  'cmdstat_config|resetstat:calls=1,usec=45,usec_per_call=45.00,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

const withField = (name: string, value: string) => parseRedisInfo(INFO.replace(new RegExp(`^${name}:.*$`, 'm'), `${name}:${value}`));

describe('INFO and commandstats', () => {
  it('reads every field of every section, by name', () => {
    const info = parseRedisInfo(INFO);
    expect(infoNumber(info, 'used_memory')).toBe(1089232);
    expect(info.get('aof_last_bgrewrite_status')).toBe('ok');
    expect(infoNumber(info, 'no_such_field')).toBeNaN();
    expect([...info.keys()].some((k) => k.startsWith('#') || k === '')).toBe(false);
  });

  it('reads calls and usec per command, subcommands under their full name', () => {
    const stats = commandStatsOf(parseRedisInfo(INFO));
    expect(stats.get('evalsha')).toEqual({ calls: 26, usec: 3120 });
    expect(stats.get('config|resetstat')).toEqual({ calls: 1, usec: 45 });
    expect(stats.has('used_memory')).toBe(false);
  });

  it('gives what each command added between two readings; a command first seen counts whole, one not called again is left out', () => {
    const before = new Map([
      ['evalsha', { calls: 26, usec: 3120 }],
      ['get', { calls: 10, usec: 40 }],
    ]);
    const after = new Map([
      ['evalsha', { calls: 27, usec: 3245 }],
      ['get', { calls: 10, usec: 40 }],
      ['eval', { calls: 1, usec: 130 }],
    ]);
    const delta = commandStatsDelta(before, after);
    expect([...delta]).toEqual([
      ['evalsha', { calls: 1, usec: 125 }],
      ['eval', { calls: 1, usec: 130 }],
    ]);
    expect(sumOf(delta, ['evalsha', 'eval', 'fcall'])).toEqual({ calls: 2, usec: 255 });
  });

  it('takes counters that went back (CONFIG RESETSTAT in between) as started afresh', () => {
    const delta = commandStatsDelta(new Map([['evalsha', { calls: 26, usec: 3120 }]]), new Map([['evalsha', { calls: 2, usec: 250 }]]));
    expect(delta.get('evalsha')).toEqual({ calls: 2, usec: 250 });
  });
});

describe('busyReasons: whether the server is idle', () => {
  it('is idle when nothing is pending, saving, rewriting, loading or rehashing', () => {
    expect(busyReasons(parseRedisInfo(INFO))).toEqual([]);
    expect(busyReasons(parseRedisInfo(INFO), '[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 131072\n')).toEqual([]);
  });

  it.each([
    ['lazyfree_pending_objects', '2', 'lazy free pending'],
    ['rdb_bgsave_in_progress', '1', 'RDB save running'],
    ['aof_rewrite_in_progress', '1', 'AOF rewrite running'],
    ['aof_rewrite_scheduled', '1', 'AOF rewrite scheduled'],
    ['module_fork_in_progress', '1', 'module fork running'],
    ['loading', '1', 'loading'],
  ])('is busy while %s is %s', (field, value, reason) => {
    expect(busyReasons(withField(field, value))).toEqual([`${reason} (${field}:${value})`]);
  });

  it('is busy while the keyspace table is being rehashed (DEBUG HTSTATS shows a rehashing target)', () => {
    const htstats = '[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 65536\nHash table 1 stats (rehashing target):\n table size: 131072\n';
    expect(busyReasons(parseRedisInfo(INFO), htstats)).toEqual(['keyspace rehashing']);
  });

  it('does not call a missing field busy (older servers lack some)', () => {
    expect(busyReasons(parseRedisInfo('# Memory\r\nused_memory:1\r\n'))).toEqual([]);
  });
});

describe('thread CPU from /proc', () => {
  it('reads run and wait nanoseconds from a schedstat line', () => {
    expect(parseSchedstat('688674 2007303 2\n')).toEqual({ runNs: 688674, waitNs: 2007303 });
    expect(parseSchedstat('')).toBeNull();
    expect(parseSchedstat('x y z')).toBeNull();
  });

  it('reads the main thread of a process, and null for a process that is not there', async () => {
    const own = await mainThreadCpu(process.pid);
    if (own !== null) expect(own.runNs).toBeGreaterThan(0); // null: not Linux, or no schedstats
    expect(await mainThreadCpu(2 ** 30)).toBeNull();
  });

  it('gives what each thread added; a thread missing from either reading is left out', () => {
    const before = new Map([
      ['redis-server', { runNs: 1_000, waitNs: 50 }],
      ['bio_lazy_free', { runNs: 0, waitNs: 0 }],
    ]);
    const after = new Map([
      ['redis-server', { runNs: 1_600, waitNs: 80 }],
      ['bio_lazy_free', { runNs: 390_000, waitNs: 10 }],
      ['io_thd_1', { runNs: 5, waitNs: 0 }],
    ]);
    expect([...threadCpuDelta(before, after)]).toEqual([
      ['redis-server', { runNs: 600, waitNs: 30 }],
      ['bio_lazy_free', { runNs: 390_000, waitNs: 10 }],
    ]);
  });
});

describe('RedisProbe on a throwaway redis-server', () => {
  let redis: RedisServer;
  let probe: RedisProbe;
  beforeAll(async () => {
    redis = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
    probe = new RedisProbe(redis.url);
  });
  afterAll(async () => {
    probe?.close();
    await redis?.stop();
  });

  it('settles on an idle server, having checked for a rehash, and hands back the INFO sections asked for', async () => {
    const settled = await probe.settle({ quietMs: 0, sections: ['commandstats'] });
    expect(settled.busySeen).toEqual([]);
    expect(settled.rehashChecked).toBe(true);
    expect(commandStatsOf(settled.info).get('info')?.calls).toBeGreaterThan(0);
  });

  it('counts one script run, and the commands it called, in the delta around it', async () => {
    const before = commandStatsOf(await probe.info('commandstats'));
    expect(await redisCommand(redis.port, ['EVAL', "redis.call('SET', KEYS[1], 'v'); return redis.call('UNLINK', KEYS[1])", '1', 'k'])).toBe(1);
    const delta = commandStatsDelta(before, commandStatsOf(await probe.info('commandstats')));
    expect(sumOf(delta, ['evalsha', 'eval']).calls).toBe(1);
    expect(delta.get('unlink')?.calls).toBe(1);
  });

  it('reads the CPU time of the server\'s main thread where /proc has it', async () => {
    const threads = await threadCpu(redis.pid);
    if (threads === null) return; // not Linux, or no schedstats
    expect(threads.get('redis-server')?.runNs).toBeGreaterThan(0);
  });
});
