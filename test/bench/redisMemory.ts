/**
 * What the footprint bench reads of its throwaway redis-server's memory: `INFO memory` used_memory,
 * the numeric fields of `MEMORY STATS`, and `MEMORY USAGE` of every key summed by key family.
 *
 * Reading costs memory of its own: the first `MEMORY STATS` leaves about 25 KB allocated in the
 * server, and a scan of the keyspace with `MEMORY USAGE` / `OBJECT ENCODING` grows the reading
 * connection's buffers by about 25 B per key (measured on Redis 7.0: 100 KB for the 40-vehicle
 * fleet of `--quick`, once charged to the fleet as 800 B per key). So snapshots read on one
 * connection of their own that has read once before the first, and used_memory is read last: two
 * snapshots with no write between agree (test/bench/redisMemory.test.ts).
 */
import type { Redis } from 'ioredis';

/** One family of storage keys: the key with its hash tag and trailing numbers blanked. */
export function familyOf(key: string): string {
  return key.replace(/\{[^}]*\}/, '{…}').replace(/:\d+$/, ':<epoch>');
}

export interface Family {
  keys: number;
  bytes: number;
  encodings: Set<string>;
}

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/** MEMORY USAGE of every key (SAMPLES 0: exact), summed by family. */
export async function families(redis: Redis): Promise<Map<string, Family>> {
  const out = new Map<string, Family>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      const encoding = String(await redis.object('ENCODING', key));
      const f = out.get(familyOf(key)) ?? { keys: 0, bytes: 0, encodings: new Set<string>() };
      f.keys += 1;
      f.bytes += bytes;
      f.encodings.add(encoding);
      out.set(familyOf(key), f);
    }
  } while (cursor !== '0');
  return out;
}

/** The numeric fields of MEMORY STATS (dataset, dictionary overhead, clients, scripts…). */
export async function memoryStats(redis: Redis): Promise<Record<string, number>> {
  const flat = (await redis.call('MEMORY', 'STATS')) as unknown[];
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [name, value] = [String(flat[i]), flat[i + 1]];
    if (typeof value === 'number') out[name] = value;
    else if (Array.isArray(value)) for (let j = 0; j + 1 < value.length; j += 2) if (typeof value[j + 1] === 'number') out[`${name}.${String(value[j])}`] = value[j + 1] as number;
  }
  return out;
}

/** What a snapshot read. */
export interface Snapshot {
  used: number;
  stats: Record<string, number>;
  families: Map<string, Family>;
}

/**
 * Takes snapshots: MEMORY STATS and the families on a long-lived connection of its own (its
 * buffers grown by a first reading when made), then used_memory (see the module header), after
 * letting lazy frees (UNLINK) finish.
 */
export class MemoryReader {
  private constructor(private readonly reader: Redis, private readonly redis: Redis) {}

  /** A reader on a duplicate of `redis`, with one reading done so that its own cost is paid before the first snapshot. */
  static async open(redis: Redis): Promise<MemoryReader> {
    const m = new MemoryReader(redis.duplicate(), redis);
    await m.snapshot();
    return m;
  }

  async snapshot(): Promise<Snapshot> {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stats = await memoryStats(this.reader);
    const fams = await families(this.reader);
    return { used: await usedMemory(this.redis), stats, families: fams };
  }

  close(): void {
    this.reader.disconnect();
  }
}
