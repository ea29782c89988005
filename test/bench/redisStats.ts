/**
 * What a bench reads from its own throwaway redis-server: `INFO` fields, per-command server time
 * (`INFO commandstats`), and whether the server is idle, so a bench can let the background work of
 * its set-up (lazy freeing, a rehash of the keyspace, a save or rewrite) finish before it times
 * anything, and report Redis's own time for a command beside the client's round trip.
 *
 * The parsers are pure (unit-tested in redisStats.test.ts); {@link RedisProbe} sends the commands on
 * one long-lived connection of its own, so probing opens no connection next to a timed command.
 */
import { readdir, readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { hrnow, msSince } from './benchSupport.js';

/** `INFO` fields by name (sections merged; `# Section` headers and blank lines dropped). */
export type RedisInfo = ReadonlyMap<string, string>;

/** Parse an `INFO` reply (any sections, `\r\n` or `\n` line ends). */
export function parseRedisInfo(text: string): RedisInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** A numeric `INFO` field (NaN when absent or not a number). */
export function infoNumber(info: RedisInfo, name: string): number {
  const raw = info.get(name);
  return raw === undefined || raw === '' ? Number.NaN : Number(raw);
}

/** Calls and total server time of one command, as `INFO commandstats` counts them. */
export interface CommandStat {
  calls: number;
  /** Microseconds Redis spent executing the command (a script: its whole run, the commands it calls included). */
  usec: number;
}

/**
 * The `cmdstat_<name>` lines of an `INFO` reply by command name (`evalsha`, `config|resetstat`).
 * Redis counts a command called from a script under its own name too, as well as in the script's time.
 */
export function commandStatsOf(info: RedisInfo): Map<string, CommandStat> {
  const stats = new Map<string, CommandStat>();
  for (const [field, value] of info) {
    if (!field.startsWith('cmdstat_')) continue;
    const parts = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
    stats.set(field.slice('cmdstat_'.length), { calls: Number(parts.get('calls') ?? 0), usec: Number(parts.get('usec') ?? 0) });
  }
  return stats;
}

/** What each command added between two readings (commands with no new call are left out). */
export function commandStatsDelta(before: ReadonlyMap<string, CommandStat>, after: ReadonlyMap<string, CommandStat>): Map<string, CommandStat> {
  const delta = new Map<string, CommandStat>();
  for (const [name, now] of after) {
    const then = before.get(name) ?? { calls: 0, usec: 0 };
    // CONFIG RESETSTAT between the readings starts the counters again: take the new figures whole.
    const reset = now.calls < then.calls;
    const calls = reset ? now.calls : now.calls - then.calls;
    if (calls > 0) delta.set(name, { calls, usec: reset ? now.usec : now.usec - then.usec });
  }
  return delta;
}

/** Calls and server time of `names` added up (absent names count zero). */
export function sumOf(stats: ReadonlyMap<string, CommandStat>, names: readonly string[]): CommandStat {
  let calls = 0;
  let usec = 0;
  for (const name of names) {
    calls += stats.get(name)?.calls ?? 0;
    usec += stats.get(name)?.usec ?? 0;
  }
  return { calls, usec };
}

/**
 * Why the server is not idle yet, from `INFO memory persistence` and (when the server allows DEBUG)
 * `DEBUG HTSTATS 0`: objects waiting for the lazy-free thread, a child saving or rewriting, a load,
 * or a keyspace table being rehashed (the server cron rehashes a millisecond at a time, in the
 * middle of whatever command comes next). An empty list: idle.
 */
export function busyReasons(info: RedisInfo, htstats: string | null = null): string[] {
  const reasons: string[] = [];
  const nonZero = (field: string, what: string) => {
    const value = infoNumber(info, field);
    if (!Number.isNaN(value) && value !== 0) reasons.push(`${what} (${field}:${value})`);
  };
  nonZero('lazyfree_pending_objects', 'lazy free pending');
  nonZero('loading', 'loading');
  nonZero('async_loading', 'loading');
  nonZero('rdb_bgsave_in_progress', 'RDB save running');
  nonZero('aof_rewrite_in_progress', 'AOF rewrite running');
  nonZero('aof_rewrite_scheduled', 'AOF rewrite scheduled');
  nonZero('module_fork_in_progress', 'module fork running');
  if (htstats !== null && /rehashing target/i.test(htstats)) reasons.push('keyspace rehashing');
  return reasons;
}

/** CPU time of one thread: ns on a CPU, and ns runnable but waiting for one. */
export interface ThreadCpu {
  runNs: number;
  waitNs: number;
}

/** Parse `/proc/<pid>/task/<tid>/schedstat` ("run_ns wait_ns timeslices"); null when malformed. */
export function parseSchedstat(text: string): ThreadCpu | null {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  return run === undefined || wait === undefined || Number.isNaN(run) || Number.isNaN(wait) ? null : { runNs: run, waitNs: wait };
}

/**
 * The CPU time of every thread of process `pid` by thread name (`redis-server` for Redis's main
 * thread, `bio_lazy_free` for its lazy-free thread), from /proc (Linux with schedstats); null
 * where that cannot be read. Work a command hands to a background thread shows here, not in
 * INFO commandstats.
 */
export async function threadCpu(pid: number): Promise<Map<string, ThreadCpu> | null> {
  const tids = await readdir(`/proc/${pid}/task`).catch(() => null);
  if (tids === null) return null;
  const threads = new Map<string, ThreadCpu>();
  for (const tid of tids) {
    // A thread may end between the listing and the read: it is left out.
    const read = await Promise.all([readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8'), readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')]).catch(() => null);
    const cpu = read && parseSchedstat(read[1]);
    if (!read || !cpu) continue;
    const name = read[0].trim();
    const earlier = threads.get(name);
    threads.set(name, earlier ? { runNs: earlier.runNs + cpu.runNs, waitNs: earlier.waitNs + cpu.waitNs } : cpu);
  }
  return threads.size > 0 ? threads : null;
}

/** The CPU time of the main thread of process `pid` (null where /proc cannot tell). */
export async function mainThreadCpu(pid: number): Promise<ThreadCpu | null> {
  return parseSchedstat(await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').catch(() => ''));
}

/** What each thread added between two readings (threads absent from either are left out). */
export function threadCpuDelta(before: ReadonlyMap<string, ThreadCpu>, after: ReadonlyMap<string, ThreadCpu>): Map<string, ThreadCpu> {
  const delta = new Map<string, ThreadCpu>();
  for (const [name, now] of after) {
    const then = before.get(name);
    if (then) delta.set(name, { runNs: now.runNs - then.runNs, waitNs: now.waitNs - then.waitNs });
  }
  return delta;
}

/** How a wait for an idle server went. */
export interface SettleResult {
  /** From the first poll to the end of the quiet period. */
  waitedMs: number;
  polls: number;
  /** Every distinct reason seen busy on the way (empty: idle from the start). */
  busySeen: string[];
  /** Whether DEBUG HTSTATS answered (else a rehash could not be seen, only waited out). */
  rehashChecked: boolean;
}

/** One bench's connection to its throwaway redis-server, for INFO and DEBUG HTSTATS only. */
export class RedisProbe {
  readonly #client: Redis;
  #debugAllowed: boolean | null = null;

  constructor(url: string) {
    this.#client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  }

  /** `INFO` of the given sections, parsed. */
  async info(...sections: string[]): Promise<RedisInfo> {
    return parseRedisInfo(String(await this.#client.call('INFO', ...sections)));
  }

  /** `DEBUG HTSTATS 0`, or null when the server refuses DEBUG (start it with `--enable-debug-command local`). */
  async htstats(): Promise<string | null> {
    if (this.#debugAllowed === false) return null;
    try {
      const text = String(await this.#client.call('DEBUG', 'HTSTATS', '0'));
      this.#debugAllowed = true;
      return text;
    } catch {
      this.#debugAllowed = false;
      return null;
    }
  }

  /**
   * Wait until the server has been idle ({@link busyReasons} empty) on every poll for `quietMs`
   * (0: one idle poll is enough), polling every `everyMs`; throw after `timeoutMs`. `rehash: false`
   * skips DEBUG HTSTATS (it walks the whole keyspace table: too heavy right before a timed command).
   * `info` is the last poll's INFO, with `sections` read in the same call (a baseline taken idle).
   */
  async settle(opts: { quietMs: number; everyMs?: number; timeoutMs?: number; rehash?: boolean; sections?: string[] }): Promise<SettleResult & { info: RedisInfo }> {
    const everyMs = opts.everyMs ?? 20;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const start = hrnow();
    const seen = new Set<string>();
    let polls = 0;
    let idleSince: bigint | null = null;
    for (;;) {
      polls++;
      const info = await this.info('memory', 'persistence', ...(opts.sections ?? []));
      const reasons = busyReasons(info, opts.rehash === false ? null : await this.htstats());
      for (const r of reasons) seen.add(r.replace(/ \(.*\)$/, ''));
      const now = hrnow();
      if (reasons.length > 0) idleSince = null;
      else idleSince ??= now;
      if (idleSince !== null && msSince(idleSince, now) >= opts.quietMs) {
        return { waitedMs: msSince(start, now), polls, busySeen: [...seen], rehashChecked: opts.rehash !== false && this.#debugAllowed === true, info };
      }
      if (msSince(start, now) > timeoutMs) throw new Error(`redis-server still busy after ${timeoutMs} ms: ${reasons.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  close(): void {
    this.#client.disconnect();
  }
}
