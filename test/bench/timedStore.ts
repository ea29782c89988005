/**
 * A storage-port decorator for benchmarks: passes every call to the real adapter and adds up, per
 * operation, how many calls were made, how long they took, how many bytes commits wrote and
 * whole-hash reads returned, so a bench can split a rule's time into its store round trips (e.g. a
 * wipe's atomic commit alone).
 */
import type { Store, StoreTransaction } from '../../server/store/store.js';
import { hrnow, msSince } from './benchSupport.js';

export type StoreOperation = 'get' | 'set' | 'take' | 'del' | 'hget' | 'hgetall' | 'range' | 'zadd' | 'zrangeByScore' | 'zrem' | 'zlower' | 'zswap' | 'commit' | 'publish' | 'subscribe' | 'ping';

export interface OperationTiming {
  calls: number;
  ms: number;
}

export class TimedStore implements Store {
  readonly kind: string;
  #timings = new Map<StoreOperation, OperationTiming>();
  /** Bytes of the values written by commits since the last reset (a rough payload size). */
  commitBytes = 0;
  /** Bytes (fields and values) of the hashes read whole with hgetall since the last reset. */
  hgetallBytes = 0;

  constructor(private readonly inner: Store) {
    this.kind = inner.kind;
  }

  /** Forget what was measured so far. */
  reset(): void {
    this.#timings = new Map();
    this.commitBytes = 0;
    this.hgetallBytes = 0;
  }

  /** Calls and total ms of one operation since the last reset (zeros if none). */
  timing(op: StoreOperation): OperationTiming {
    return this.#timings.get(op) ?? { calls: 0, ms: 0 };
  }

  /** Calls per operation since the last reset, by name (`commit 1, get 1, publish 1`). */
  callCounts(): string {
    return [...this.#timings].map(([op, t]) => `${op} ${t.calls}`).sort().join(', ');
  }

  async #time<T>(op: StoreOperation, call: () => Promise<T>): Promise<T> {
    const start = hrnow();
    try {
      return await call();
    } finally {
      const t = this.#timings.get(op) ?? { calls: 0, ms: 0 };
      t.calls += 1;
      t.ms += msSince(start);
      this.#timings.set(op, t);
    }
  }

  get(key: string) {
    return this.#time('get', () => this.inner.get(key));
  }
  set(key: string, value: string, opts?: { ttlMs?: number; ifAbsent?: boolean }) {
    return this.#time('set', () => this.inner.set(key, value, opts));
  }
  take(key: string) {
    return this.#time('take', () => this.inner.take(key));
  }
  del(key: string) {
    return this.#time('del', () => this.inner.del(key));
  }
  hget(key: string, field: string) {
    return this.#time('hget', () => this.inner.hget(key, field));
  }
  async hgetall(key: string) {
    const all = await this.#time('hgetall', () => this.inner.hgetall(key));
    for (const [field, value] of Object.entries(all)) this.hgetallBytes += field.length + value.length;
    return all;
  }
  range(key: string, start: number, stop: number) {
    return this.#time('range', () => this.inner.range(key, start, stop));
  }
  zadd(key: string, member: string, score: number) {
    return this.#time('zadd', () => this.inner.zadd(key, member, score));
  }
  zrangeByScore(key: string, maxScore: number, limit: number) {
    return this.#time('zrangeByScore', () => this.inner.zrangeByScore(key, maxScore, limit));
  }
  zrem(key: string, member: string) {
    return this.#time('zrem', () => this.inner.zrem(key, member));
  }
  zlower(key: string, member: string, score: number) {
    return this.#time('zlower', () => this.inner.zlower(key, member, score));
  }
  zswap(key: string, member: string, expected: number | null, score: number | null) {
    return this.#time('zswap', () => this.inner.zswap(key, member, expected, score));
  }
  commit(tx: StoreTransaction) {
    for (const w of [...(tx.set ?? []), ...(tx.hset ?? []), ...(tx.append ?? [])]) this.commitBytes += w.value.length;
    return this.#time('commit', () => this.inner.commit(tx));
  }
  publish(channel: string, message: string) {
    return this.#time('publish', () => this.inner.publish(channel, message));
  }
  subscribe(channel: string, onMessage: (message: string) => void) {
    return this.#time('subscribe', () => this.inner.subscribe(channel, onMessage));
  }
  ping() {
    return this.#time('ping', () => this.inner.ping());
  }
  close() {
    return this.inner.close();
  }
}
