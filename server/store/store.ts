/**
 * The storage port. Two adapters implement it — memoryStore.ts (the embedded default) and
 * redisStore.ts (production: one Redis or a Redis Cluster) — and both pass the one contract suite
 * in test/server/store/storeContract.ts.
 *
 * The port is deliberately small and generic; the domain's rules live in pure functions, and a
 * rule that touches several records is written as one `commit`: optimistic expectations on current
 * values, then all writes, atomically (a Lua script on Redis). Every key of one commit shares one
 * hash tag (`sdk:{VIN}:…`), so it runs on one node of a cluster. Records carry their own expiry
 * times; a TTL here only collects garbage, so both adapters behave the same under a test clock.
 */
export interface Store {
  get(key: string): Promise<string | null>;
  /** Set a value; with `ifAbsent` only when the key does not exist (SET NX). Returns whether it was written. */
  set(key: string, value: string, opts?: { ttlMs?: number; ifAbsent?: boolean }): Promise<boolean>;
  /** Read and delete in one step (GETDEL): single-use tokens, challenges, nonces. */
  take(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  /** Entries of an append-only list, oldest first; `start`/`stop` as Redis LRANGE (inclusive, negatives from the end). */
  range(key: string, start: number, stop: number): Promise<string[]>;
  /** Set a member's score in a sorted set (ZADD), adding the member if new: due indexes of time-driven work. */
  zadd(key: string, member: string, score: number): Promise<void>;
  /** Members scored at most `maxScore`, lowest score first (ties by member), at most `limit` (ZRANGEBYSCORE -inf max LIMIT 0 limit). */
  zrangeByScore(key: string, maxScore: number, limit: number): Promise<Array<{ member: string; score: number }>>;
  /** Remove a member from a sorted set (ZREM); a missing member or set is fine. An emptied set is deleted. */
  zrem(key: string, member: string): Promise<void>;
  /**
   * File a member no later than `score`, atomically: add it, or move it earlier. A member already at
   * `score` or earlier is moved 1 earlier all the same, so that a {@link Store.zswap} based on the
   * score read before fails: filing before a commit is never lost to a move that did not see it.
   */
  zlower(key: string, member: string, score: number): Promise<void>;
  /**
   * Compare-and-set of a member's score, atomically: only if its score is `expected` (null: the member
   * is absent), set it to `score` (null: remove the member; an emptied set is deleted). Returns whether it did.
   */
  zswap(key: string, member: string, expected: number | null, score: number | null): Promise<boolean>;
  /** Atomically check every expectation, then apply every write; false (and nothing written) if one fails. */
  commit(tx: StoreTransaction): Promise<boolean>;
  publish(channel: string, message: string): Promise<void>;
  /** Subscribe to a channel; resolves once the subscription is live; returns the unsubscribe function. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /** Throws DigitalKeyError STORE_UNAVAILABLE when the store cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** 'memory' or 'redis', for logs and readiness. */
  readonly kind: string;
  /** Where the store lives, for logs and readiness answers (never a password), e.g. "redis 10.0.0.5:6379". */
  readonly location?: string;
}

/**
 * Storage keys that match a pattern (`*` for any characters; no other glob character: `?`, `[` and `\`
 * mean different things to Redis and to the memory store), in batches: SCAN on every master of a
 * cluster. A key may come more than once, and keys written meanwhile may be missed. For operator
 * tools that walk the keyspace once (server/operator/movePasskeys.ts), never for a request.
 */
export interface KeyScanner {
  scanKeys(pattern: string): AsyncIterable<string[]>;
}

export interface StoreTransaction {
  /** Current values required for the commit; `value: null` means the key (or hash field) must be absent. */
  expect?: Array<{ key: string; field?: string; value: string | null }>;
  set?: Array<{ key: string; value: string; ttlMs?: number }>;
  /** Keys to delete (UNLINK on Redis: O(1) for the caller whatever the size). */
  del?: string[];
  hset?: Array<{ key: string; field: string; value: string }>;
  hdel?: Array<{ key: string; field: string }>;
  /** Append to an append-only list (audit trail, outbox); with `keepLast`, only its newest that many entries stay (a bound). */
  append?: Array<{ key: string; value: string; keepLast?: number }>;
  /**
   * Give a key an absolute expiry, in epoch ms (PEXPIREAT), after the writes: retention by age of a
   * trail kept one key per calendar year (server/store/yearlyTrail.ts). A time already past deletes
   * the key; a missing key stays missing. With `ifNone`, only a key that has no expiry yet gets one.
   */
  expire?: Array<{ key: string; atMs: number; ifNone?: boolean }>;
  /**
   * Acknowledge only once the configured number of replicas has the commit (Redis `WAIT`): for
   * changes that must survive a failover — revocations and wipes. A commit that no replica confirms
   * in time throws a retryable STORE_UNAVAILABLE (it is on the primary and may yet replicate).
   */
  replicated?: boolean;
}

/** Every key named in a transaction, for the one-hash-slot check. */
export function transactionKeys(tx: StoreTransaction): string[] {
  return [
    ...(tx.expect ?? []).map((e) => e.key),
    ...(tx.set ?? []).map((e) => e.key),
    ...(tx.del ?? []),
    ...(tx.hset ?? []).map((e) => e.key),
    ...(tx.hdel ?? []).map((e) => e.key),
    ...(tx.append ?? []).map((e) => e.key),
    ...(tx.expire ?? []).map((e) => e.key),
  ];
}

/** The Redis Cluster hash tag of a key (the part between the first `{` and the next `}`), or the key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/** Throws unless every key shares one hash tag: a commit must run on one cluster node. */
export function assertOneHashTag(keys: string[]): void {
  const tags = new Set(keys.map(hashTagOf));
  if (tags.size > 1) throw new Error(`a commit spans several hash tags: ${[...tags].join(', ')}`);
}
