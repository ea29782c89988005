/**
 * The embedded default store: everything in this process, nothing installed. Good for the demo and
 * tests; it is neither durable nor shared between instances (server/main.ts warns loudly at start).
 * Commits are atomic because they run synchronously between two awaits.
 */
import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../../shared/clock.js';
import { assertOneHashTag, transactionKeys, type KeyScanner, type Store, type StoreTransaction } from './store.js';

type Value =
  | { kind: 'string'; value: string }
  | { kind: 'hash'; value: Map<string, string> }
  | { kind: 'list'; value: string[] }
  | { kind: 'zset'; value: Map<string, number> };

/** Keys a scan yields at a time. */
const SCAN_BATCH = 1000;

export class MemoryStore implements Store, KeyScanner {
  readonly kind = 'memory';
  readonly #data = new Map<string, { v: Value; expiresAt: number | null }>();
  readonly #bus = new EventEmitter();
  readonly #clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#bus.setMaxListeners(0);
  }

  #entry(key: string): Value | null {
    const e = this.#data.get(key);
    if (!e) return null;
    if (e.expiresAt !== null && e.expiresAt <= this.#clock.now()) {
      this.#data.delete(key);
      return null;
    }
    return e.v;
  }

  #string(key: string): string | null {
    const v = this.#entry(key);
    if (v === null) return null;
    if (v.kind !== 'string') throw new Error(`WRONGTYPE ${key}`);
    return v.value;
  }

  #hash(key: string): Map<string, string> | null {
    const v = this.#entry(key);
    if (v === null) return null;
    if (v.kind !== 'hash') throw new Error(`WRONGTYPE ${key}`);
    return v.value;
  }

  #list(key: string): string[] | null {
    const v = this.#entry(key);
    if (v === null) return null;
    if (v.kind !== 'list') throw new Error(`WRONGTYPE ${key}`);
    return v.value;
  }

  /** Keep a new collection at `key` (the first write to a key that holds none) and return its contents. */
  #create<V extends Value>(key: string, v: V): V['value'] {
    this.#data.set(key, { v, expiresAt: null });
    return v.value;
  }

  #setString(key: string, value: string, ttlMs?: number): void {
    this.#data.set(key, { v: { kind: 'string', value }, expiresAt: ttlMs ? this.#clock.now() + ttlMs : null });
  }

  async get(key: string): Promise<string | null> {
    return this.#string(key);
  }

  async set(key: string, value: string, opts: { ttlMs?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    if (opts.ifAbsent && this.#entry(key) !== null) return false;
    this.#setString(key, value, opts.ttlMs);
    return true;
  }

  async take(key: string): Promise<string | null> {
    const value = this.#string(key);
    this.#data.delete(key);
    return value;
  }

  async del(key: string): Promise<void> {
    this.#data.delete(key);
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.#hash(key)?.get(field) ?? null;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.#hash(key) ?? []);
  }

  async range(key: string, start: number, stop: number): Promise<string[]> {
    const list = this.#list(key) ?? [];
    const n = list.length;
    const from = Math.max(0, start < 0 ? n + start : start);
    const to = Math.min(n - 1, stop < 0 ? n + stop : stop);
    return from > to ? [] : list.slice(from, to + 1);
  }

  #zset(key: string): Map<string, number> | null {
    const v = this.#entry(key);
    if (v === null) return null;
    if (v.kind !== 'zset') throw new Error(`WRONGTYPE ${key}`);
    return v.value;
  }

  async zadd(key: string, member: string, score: number): Promise<void> {
    if (!Number.isFinite(score)) throw new Error('ERR the score is not a finite number');
    (this.#zset(key) ?? this.#create(key, { kind: 'zset', value: new Map<string, number>() })).set(member, score);
  }

  async zrangeByScore(key: string, maxScore: number, limit: number): Promise<Array<{ member: string; score: number }>> {
    const zset = this.#zset(key);
    if (!zset || limit <= 0) return [];
    return [...zset]
      .filter(([, score]) => score <= maxScore)
      .sort(([ma, sa], [mb, sb]) => sa - sb || (ma < mb ? -1 : ma > mb ? 1 : 0))
      .slice(0, limit)
      .map(([member, score]) => ({ member, score }));
  }

  async zrem(key: string, member: string): Promise<void> {
    const zset = this.#zset(key);
    zset?.delete(member);
    if (zset && zset.size === 0) this.#data.delete(key);
  }

  async zlower(key: string, member: string, score: number): Promise<void> {
    if (!Number.isFinite(score)) throw new Error('ERR the score is not a finite number');
    const zset = this.#zset(key) ?? this.#create(key, { kind: 'zset', value: new Map<string, number>() });
    const current = zset.get(member);
    zset.set(member, current === undefined || current > score ? score : current - 1);
  }

  async zswap(key: string, member: string, expected: number | null, score: number | null): Promise<boolean> {
    if (score !== null && !Number.isFinite(score)) throw new Error('ERR the score is not a finite number');
    if ((this.#zset(key)?.get(member) ?? null) !== expected) return false;
    if (score === null) await this.zrem(key, member);
    else await this.zadd(key, member, score);
    return true;
  }

  async commit(tx: StoreTransaction): Promise<boolean> {
    assertOneHashTag(transactionKeys(tx));
    for (const e of tx.expect ?? []) {
      const v = this.#entry(e.key);
      // A key of another type fails the expectation (as on Redis) instead of throwing.
      const current =
        v === null ? null : e.field === undefined ? (v.kind === 'string' ? v.value : undefined) : v.kind === 'hash' ? (v.value.get(e.field) ?? null) : undefined;
      if (current !== e.value) return false;
    }
    this.#assertWriteTypes(tx);
    for (const s of tx.set ?? []) this.#setString(s.key, s.value, s.ttlMs);
    for (const k of tx.del ?? []) this.#data.delete(k);
    for (const h of tx.hset ?? []) (this.#hash(h.key) ?? this.#create(h.key, { kind: 'hash', value: new Map<string, string>() })).set(h.field, h.value);
    for (const h of tx.hdel ?? []) {
      const hash = this.#hash(h.key);
      hash?.delete(h.field);
      if (hash && hash.size === 0) this.#data.delete(h.key);
    }
    for (const a of tx.append ?? []) {
      const list = this.#list(a.key) ?? this.#create(a.key, { kind: 'list', value: [] });
      list.push(a.value);
      if (a.keepLast !== undefined && list.length > a.keepLast) list.splice(0, list.length - a.keepLast);
    }
    for (const e of tx.expire ?? []) {
      const entry = this.#entry(e.key) === null ? undefined : this.#data.get(e.key);
      if (!entry || (e.ifNone && entry.expiresAt !== null)) continue;
      if (e.atMs <= this.#clock.now()) this.#data.delete(e.key);
      else entry.expiresAt = e.atMs;
    }
    return true;
  }

  /** Refuse a commit that writes a key of another type before anything is written (all or nothing). */
  #assertWriteTypes(tx: StoreTransaction): void {
    const kinds = new Map<string, Value['kind'] | null>();
    const writes = (key: string, kind: Value['kind']) => {
      const current = kinds.has(key) ? kinds.get(key) : (this.#entry(key)?.kind ?? null);
      if (current != null && current !== kind) {
        throw new Error('WRONGTYPE a commit writes a key that holds another kind of value; nothing was written');
      }
      kinds.set(key, kind);
    };
    for (const s of tx.set ?? []) kinds.set(s.key, 'string');
    for (const k of tx.del ?? []) kinds.set(k, null);
    for (const h of tx.hset ?? []) writes(h.key, 'hash');
    for (const h of tx.hdel ?? []) writes(h.key, 'hash');
    for (const a of tx.append ?? []) writes(a.key, 'list');
  }

  async publish(channel: string, message: string): Promise<void> {
    // Delivered asynchronously, like Redis pub/sub.
    queueMicrotask(() => this.#bus.emit(channel, message));
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    this.#bus.on(channel, onMessage);
    return async () => {
      this.#bus.off(channel, onMessage);
    };
  }

  async ping(): Promise<void> {}

  async *scanKeys(pattern: string): AsyncIterable<string[]> {
    const matches = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&')).join('.*')}$`, 's');
    const keys = [...this.#data.keys()].filter((key) => matches.test(key) && this.#entry(key) !== null);
    for (let at = 0; at < keys.length; at += SCAN_BATCH) yield keys.slice(at, at + SCAN_BATCH);
  }

  async close(): Promise<void> {
    this.#bus.removeAllListeners();
  }
}
