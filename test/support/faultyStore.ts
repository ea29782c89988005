/**
 * A storage-port decorator that injects faults for tests: slow reads (a loaded Redis), failed
 * SUBSCRIBEs, lost PUBLISHes (pub/sub is at-most-once between instances), and hooks around commits
 * to run another request at an exact point of an operation (interleavings). Everything else is
 * passed to the real adapter unchanged.
 */
import type { Store, StoreTransaction } from '../../server/store/store.js';

export class FaultyStore implements Store {
  readonly kind: string;
  /** Every read (get, hget, hgetall, range) waits this long first. */
  readDelayMs = 0;
  /** The next this-many subscribe calls fail (STORE_UNAVAILABLE-like error). */
  subscribeFailures = 0;
  /** The next this-many publish calls are acknowledged but never delivered. */
  publishDrops = 0;
  subscribeCalls = 0;
  /** Runs before each commit reaches the store (to interleave another request at that point). */
  beforeCommit: ((tx: StoreTransaction) => Promise<void>) | null = null;
  /** Runs after each commit, with whether it committed. */
  afterCommit: ((tx: StoreTransaction, committed: boolean) => Promise<void>) | null = null;

  constructor(private readonly inner: Store) {
    this.kind = inner.kind;
  }

  async #slow<T>(read: () => Promise<T>): Promise<T> {
    if (this.readDelayMs > 0) await new Promise((r) => setTimeout(r, this.readDelayMs));
    return read();
  }

  get(key: string) {
    return this.#slow(() => this.inner.get(key));
  }
  set(key: string, value: string, opts?: { ttlMs?: number; ifAbsent?: boolean }) {
    return this.inner.set(key, value, opts);
  }
  take(key: string) {
    return this.inner.take(key);
  }
  del(key: string) {
    return this.inner.del(key);
  }
  hget(key: string, field: string) {
    return this.#slow(() => this.inner.hget(key, field));
  }
  hgetall(key: string) {
    return this.#slow(() => this.inner.hgetall(key));
  }
  range(key: string, start: number, stop: number) {
    return this.#slow(() => this.inner.range(key, start, stop));
  }
  zadd(key: string, member: string, score: number) {
    return this.inner.zadd(key, member, score);
  }
  zrangeByScore(key: string, maxScore: number, limit: number) {
    return this.inner.zrangeByScore(key, maxScore, limit);
  }
  zrem(key: string, member: string) {
    return this.inner.zrem(key, member);
  }
  zlower(key: string, member: string, score: number) {
    return this.inner.zlower(key, member, score);
  }
  zswap(key: string, member: string, expected: number | null, score: number | null) {
    return this.inner.zswap(key, member, expected, score);
  }
  async commit(tx: StoreTransaction) {
    await this.beforeCommit?.(tx);
    const committed = await this.inner.commit(tx);
    await this.afterCommit?.(tx, committed);
    return committed;
  }
  async publish(channel: string, message: string) {
    if (this.publishDrops > 0) {
      this.publishDrops -= 1;
      return;
    }
    return this.inner.publish(channel, message);
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    this.subscribeCalls += 1;
    if (this.subscribeFailures > 0) {
      this.subscribeFailures -= 1;
      throw new Error('SUBSCRIBE failed (injected)');
    }
    return this.inner.subscribe(channel, onMessage);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}
