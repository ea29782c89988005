/**
 * The production store adapter: one Redis server or a Redis Cluster, through ioredis.
 *
 * Atomicity: single-use reads are GETDEL, conditional writes SET NX, and a `commit` is one Lua
 * script whose keys all share one hash tag, so it runs on one node of a cluster. Availability: no
 * command waits in an unbounded queue. An operation waits at most READY_TIMEOUT_MS for a
 * connection, is rejected rather than queued while Redis is away, and a command in flight when the
 * connection drops fails instead of being sent again (it may or may not have run); every such
 * failure is a DigitalKeyError STORE_UNAVAILABLE. Values are never logged nor put in an error: they
 * may hold tokens.
 *
 * Pub/sub is classic PUBLISH/SUBSCRIBE on one shared subscriber connection. On a cluster each
 * PUBLISH may enter through another node, so messages are not ordered across publishes: a message
 * must say which version it carries (a manifest has its seq).
 */
import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { errorMessage } from '../errorMessage.js';
import { describeRedisTarget, parseRedisUrl } from './redisUrl.js';
import { assertOneHashTag, transactionKeys, type KeyScanner, type Store, type StoreTransaction } from './store.js';

type Client = Redis | Cluster;

/** One node's settings that the start-up checks read, as CONFIG GET reports them (null: CONFIG refused). */
export interface RedisSettings {
  node: string;
  /** Append-only file: whether acknowledged writes survive a crash (durabilityWarnings.ts). */
  appendonly: string | null;
  appendfsync: string | null;
  /** The most entries, and the longest value, a hash keeps in a listpack (footprintWarnings.ts). */
  hashMaxListpackEntries: number | null;
  hashMaxListpackValue: number | null;
}

/** Longest wait for a connection to become ready before an operation fails. */
const READY_TIMEOUT_MS = 1000;
/** `ping()` (readiness) fails when Redis has not answered within this time. */
const PING_TIMEOUT_MS = 1000;
/** TCP connect timeout for every connection. */
const CONNECT_TIMEOUT_MS = 1000;
/** A command with no reply after this long fails (a hung server or a silently dead link). */
const COMMAND_TIMEOUT_MS = 2000;
/** `close()` gives QUIT this long before dropping the connection. */
const QUIT_TIMEOUT_MS = 1000;

/** Reply errors that mean "not reachable right now" rather than "this request is wrong". */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|BUSY|READONLY|NOREPLICAS|NOAUTH|WRONGPASS|NOPERM)\b/;

/**
 * The commit script. KEYS holds every key of the transaction once; ARGV[1] is the transaction as
 * JSON, with each key replaced by its index in KEYS:
 * `{ e: [{k, f?, v?}], s: [{k, v, t?}], d: [k], h: [{k, f, v}], x: [{k, f}], a: [{k, v, n?}], p: [{k, t, nx?}] }`
 * (`e` expectations, a missing `v` meaning "absent"; `s` set with an optional PX `t`; `d` unlink;
 * `h` hset; `x` hdel; `a` rpush, then LTRIM to the newest `n` when given; `p` PEXPIREAT `t`, when
 * `nx` only on a key that has no expiry yet). Returns 1 when committed, 0 when an expectation failed. A key of
 * the wrong type fails an expectation; a write to a key of the wrong type is refused before
 * anything is written (Redis does not roll a script back).
 */
const COMMIT_LUA = `
local tx = cjson.decode(ARGV[1])
local kinds = {}
local function kind(i)
  if kinds[i] == nil then kinds[i] = redis.call('TYPE', KEYS[i])['ok'] end
  return kinds[i]
end
for _, e in ipairs(tx.e) do
  local key, current, t = KEYS[e.k], false, kind(e.k)
  if e.f ~= nil then
    if t == 'hash' then current = redis.call('HGET', key, e.f) elseif t ~= 'none' then return 0 end
  else
    if t == 'string' then current = redis.call('GET', key) elseif t ~= 'none' then return 0 end
  end
  if e.v ~= nil then
    if current ~= e.v then return 0 end
  elseif current then
    return 0
  end
end
local function writes(i, want)
  local t = kind(i)
  if t ~= 'none' and t ~= want then
    error({ err = 'WRONGTYPE a commit writes a key that holds another kind of value; nothing was written' })
  end
  kinds[i] = want
end
for _, s in ipairs(tx.s) do kinds[s.k] = 'string' end
for _, k in ipairs(tx.d) do kinds[k] = 'none' end
for _, h in ipairs(tx.h) do writes(h.k, 'hash') end
for _, h in ipairs(tx.x) do writes(h.k, 'hash') end
for _, a in ipairs(tx.a) do writes(a.k, 'list') end
for _, s in ipairs(tx.s) do
  if s.t ~= nil then redis.call('SET', KEYS[s.k], s.v, 'PX', s.t) else redis.call('SET', KEYS[s.k], s.v) end
end
for _, k in ipairs(tx.d) do redis.call('UNLINK', KEYS[k]) end
for _, h in ipairs(tx.h) do redis.call('HSET', KEYS[h.k], h.f, h.v) end
for _, h in ipairs(tx.x) do redis.call('HDEL', KEYS[h.k], h.f) end
for _, a in ipairs(tx.a) do
  redis.call('RPUSH', KEYS[a.k], a.v)
  if a.n ~= nil then redis.call('LTRIM', KEYS[a.k], -a.n, -1) end
end
for _, p in ipairs(tx.p) do
  -- "only without an expiry" by PTTL (-1: no expiry), not PEXPIREAT's NX flag (Redis 7 only, and refused after the writes above)
  if not p.nx or redis.call('PTTL', KEYS[p.k]) == -1 then redis.call('PEXPIREAT', KEYS[p.k], p.t) end
end
return 1
`;

/** Store.zlower: KEYS[1] the sorted set, ARGV member and score. */
const ZLOWER_LUA = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
local at = tonumber(ARGV[2])
if s and tonumber(s) <= at then at = tonumber(s) - 1 end
redis.call('ZADD', KEYS[1], at, ARGV[1])
return 1
`;

/** Store.zswap: KEYS[1] the sorted set, ARGV member, expected score ('' = absent), new score ('' = remove). */
const ZSWAP_LUA = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if s then return 0 end
elseif not s or tonumber(s) ~= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1
`;

/** The scripts as ioredis exposes them after `defineCommand` (EVALSHA, falling back to EVAL). */
interface WithCommit {
  sdkCommit(numKeys: number, ...keysThenTx: string[]): Promise<number>;
  sdkZlower(key: string, member: string, score: string): Promise<number>;
  sdkZswap(key: string, member: string, expected: string, score: string): Promise<number>;
}

/** Whether `defineCommand` has added the commit script to this client (the constructor does). */
function hasCommit(client: Client): client is Client & WithCommit {
  return 'sdkCommit' in client && typeof client.sdkCommit === 'function';
}

/** CONFIG GET answers a flat list: name, value, name, value, … */
const configReplySchema = z.array(z.string());

/** One subscribed channel: its handlers and the acknowledgement of its SUBSCRIBE. */
interface Channel {
  handlers: Set<{ onMessage: (message: string) => void }>;
  live: Promise<void>;
}

/**
 * Replication acknowledgement of `replicated` commits: Redis replication is asynchronous, so a
 * primary that dies right after a commit can lose it at failover unless a replica had it first.
 */
export interface ReplicaWait {
  /** Replicas that must confirm a `replicated` commit (`WAIT numreplicas`); 0 turns it off. */
  replicas: number;
  /** How long to wait for them (`WAIT … timeout`), in ms. */
  timeoutMs: number;
}

/**
 * The Redis adapter of the storage port. Build it with {@link createRedisStore}.
 */
export class RedisStore implements Store, KeyScanner {
  readonly kind = 'redis';
  readonly #client: Client;
  #subscriber: Client | null = null;
  readonly #channels = new Map<string, Channel>();
  readonly #readyWaits = new Map<Client, Promise<void>>();
  #closed = false;

  /** Where the store lives ("redis host:port" or "redis cluster h1:p1,…"), for logs and readiness. */
  readonly location: string;
  readonly #replicaWait: ReplicaWait;

  /** Takes ownership of a client created with the options of {@link createRedisStore}. */
  constructor(client: Client, opts: { location?: string; replicaWait?: ReplicaWait } = {}) {
    this.#client = client;
    this.location = opts.location ?? 'redis';
    this.#replicaWait = opts.replicaWait ?? { replicas: 0, timeoutMs: 0 };
    client.on('error', ignore);
    client.defineCommand('sdkCommit', { lua: COMMIT_LUA });
    client.defineCommand('sdkZlower', { lua: ZLOWER_LUA, numberOfKeys: 1 });
    client.defineCommand('sdkZswap', { lua: ZSWAP_LUA, numberOfKeys: 1 });
  }

  async get(key: string): Promise<string | null> {
    return this.#run(this.#client, () => this.#client.get(key));
  }

  async set(key: string, value: string, opts: { ttlMs?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    const c = this.#client;
    const ttl = pxOf(opts.ttlMs);
    const reply = await this.#run(c, () => {
      if (ttl !== undefined) return opts.ifAbsent ? c.set(key, value, 'PX', ttl, 'NX') : c.set(key, value, 'PX', ttl);
      return opts.ifAbsent ? c.set(key, value, 'NX') : c.set(key, value);
    });
    return reply === 'OK';
  }

  async take(key: string): Promise<string | null> {
    return this.#run(this.#client, () => this.#client.getdel(key));
  }

  async del(key: string): Promise<void> {
    await this.#run(this.#client, () => this.#client.unlink(key));
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.#run(this.#client, () => this.#client.hget(key, field));
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return this.#run(this.#client, () => this.#client.hgetall(key));
  }

  async range(key: string, start: number, stop: number): Promise<string[]> {
    return this.#run(this.#client, () => this.#client.lrange(key, start, stop));
  }

  async zadd(key: string, member: string, score: number): Promise<void> {
    if (!Number.isFinite(score)) throw new Error('ERR the score is not a finite number');
    await this.#run(this.#client, () => this.#client.zadd(key, score, member));
  }

  async zrangeByScore(key: string, maxScore: number, limit: number): Promise<Array<{ member: string; score: number }>> {
    if (limit <= 0) return [];
    const flat = await this.#run(this.#client, () => this.#client.zrangebyscore(key, '-inf', maxScore, 'WITHSCORES', 'LIMIT', 0, limit));
    // WITHSCORES answers member, score, member, score, …
    const out: Array<{ member: string; score: number }> = [];
    let member: string | undefined;
    for (const item of flat) {
      if (member === undefined) {
        member = item;
      } else {
        out.push({ member, score: Number(item) });
        member = undefined;
      }
    }
    return out;
  }

  async zrem(key: string, member: string): Promise<void> {
    await this.#run(this.#client, () => this.#client.zrem(key, member));
  }

  async zlower(key: string, member: string, score: number): Promise<void> {
    if (!Number.isFinite(score)) throw new Error('ERR the score is not a finite number');
    const c = this.#client;
    if (!hasCommit(c)) throw new Error('the due index scripts are not defined on this Redis client');
    await this.#run(c, () => c.sdkZlower(key, member, String(score)));
  }

  async zswap(key: string, member: string, expected: number | null, score: number | null): Promise<boolean> {
    if (score !== null && !Number.isFinite(score)) throw new Error('ERR the score is not a finite number');
    const c = this.#client;
    if (!hasCommit(c)) throw new Error('the due index scripts are not defined on this Redis client');
    return (await this.#run(c, () => c.sdkZswap(key, member, expected === null ? '' : String(expected), score === null ? '' : String(score)))) === 1;
  }

  async commit(tx: StoreTransaction): Promise<boolean> {
    const all = transactionKeys(tx);
    assertOneHashTag(all);
    const [firstKey] = all;
    if (firstKey === undefined) return true;
    const keys = [...new Set(all)];
    const index = new Map(keys.map((k, i) => [k, i + 1]));
    const k = (key: string) => {
      const i = index.get(key);
      if (i === undefined) throw new Error(`the commit writes a key its transaction does not list: ${key}`);
      return i;
    };
    const encoded = JSON.stringify({
      e: (tx.expect ?? []).map((e) => ({ k: k(e.key), f: e.field, v: e.value ?? undefined })),
      s: (tx.set ?? []).map((s) => ({ k: k(s.key), v: s.value, t: pxOf(s.ttlMs)?.toString() })),
      d: (tx.del ?? []).map(k),
      h: (tx.hset ?? []).map((h) => ({ k: k(h.key), f: h.field, v: h.value })),
      x: (tx.hdel ?? []).map((h) => ({ k: k(h.key), f: h.field })),
      a: (tx.append ?? []).map((a) => ({ k: k(a.key), v: a.value, n: a.keepLast })),
      p: (tx.expire ?? []).map((p) => ({ k: k(p.key), t: expiryMs(p.atMs), nx: p.ifNone || undefined })),
    });
    const c = this.#client;
    if (!hasCommit(c)) throw new Error('the commit script is not defined on this Redis client');
    const committed = (await this.#run(c, () => c.sdkCommit(keys.length, ...keys, encoded))) === 1;
    if (committed && tx.replicated && this.#replicaWait.replicas > 0) await this.#waitForReplicas(firstKey);
    return committed;
  }

  /**
   * WAIT on the connection that ran the commit (on a cluster: the one to the master owning the
   * key's slot), so it counts the replicas that have every write sent on it so far, ours included.
   */
  async #waitForReplicas(key: string): Promise<void> {
    const { replicas, timeoutMs } = this.#replicaWait;
    const c = this.#client;
    const node = c instanceof Cluster ? masterOfSlot(c, calculateSlot(key)) : c;
    if (!node) throw unavailable('no master is known for the commit: it may not be replicated');
    // The command timeout must outlast WAIT's own.
    const acked = await this.#run(c, () => withTimeout(node.wait(replicas, timeoutMs), timeoutMs + COMMAND_TIMEOUT_MS));
    if (acked < replicas) {
      throw unavailable(`the change is on the primary but ${acked} of ${replicas} replicas confirmed it within ${timeoutMs} ms: retry`);
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#run(this.#client, () => this.#client.publish(channel, message));
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const sub = this.#subscriberClient();
    let entry = this.#channels.get(channel);
    if (!entry) {
      const created: Channel = {
        handlers: new Set(),
        live: withTimeout(
          this.#run(sub, () => sub.subscribe(channel)),
          READY_TIMEOUT_MS + COMMAND_TIMEOUT_MS,
        ).then(() => undefined),
      };
      created.live.catch(() => {
        if (this.#channels.get(channel) === created) this.#channels.delete(channel);
      });
      this.#channels.set(channel, created);
      entry = created;
    }
    const handler = { onMessage };
    entry.handlers.add(handler);
    try {
      await entry.live;
    } catch (err) {
      entry.handlers.delete(handler);
      throw err;
    }
    const subscribed = entry;
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      subscribed.handlers.delete(handler);
      if (subscribed.handlers.size > 0 || this.#channels.get(channel) !== subscribed) return;
      this.#channels.delete(channel);
      if (!this.#closed) await this.#run(sub, () => sub.unsubscribe(channel));
    };
  }

  /**
   * Each node's settings for the start-up checks (`CONFIG GET append*`, `hash-max-listpack-*`;
   * every master of a cluster): persistence (durability) and the hash listpack limit (footprint). A
   * node that refuses CONFIG (managed Redis often renames it) answers `null` for each.
   */
  async settings(): Promise<RedisSettings[]> {
    const c = this.#client;
    return this.#run(c, async () => {
      const nodes: Redis[] = c instanceof Cluster ? c.nodes('master') : [c];
      return Promise.all(
        nodes.map(async (node) => {
          const where = `${node.options.host ?? 'localhost'}:${node.options.port ?? 6379}`;
          try {
            // One pattern a call: CONFIG GET takes several only from Redis 7.0 on. Before 7.0 the
            // listpack limits were named ziplist (7.0 still answers to both names).
            const replies = await Promise.all(['append*', 'hash-max-listpack-*', 'hash-max-ziplist-*'].map(async (pattern) => configReplySchema.parse(await node.call('CONFIG', 'GET', pattern))));
            const pairs = replies.flat();
            const value = (name: string) => {
              const at = pairs.findIndex((entry, i) => i % 2 === 0 && entry === name);
              return at >= 0 ? (pairs[at + 1] ?? null) : null;
            };
            const count = (...names: string[]) => {
              const v = names.map(value).find((found) => found !== null) ?? null;
              return v !== null && /^[0-9]{1,10}$/.test(v) ? Number(v) : null;
            };
            return {
              node: where,
              appendonly: value('appendonly'),
              appendfsync: value('appendfsync'),
              hashMaxListpackEntries: count('hash-max-listpack-entries', 'hash-max-ziplist-entries'),
              hashMaxListpackValue: count('hash-max-listpack-value', 'hash-max-ziplist-value'),
            };
          } catch {
            return { node: where, appendonly: null, appendfsync: null, hashMaxListpackEntries: null, hashMaxListpackValue: null };
          }
        }),
      );
    });
  }

  async *scanKeys(pattern: string): AsyncIterable<string[]> {
    const c = this.#client;
    const nodes: Redis[] = c instanceof Cluster ? c.nodes('master') : [c];
    for (const node of nodes) {
      for await (const batch of node.scanStream({ match: pattern, count: 1000 })) {
        const keys = batch as string[];
        if (keys.length > 0) yield keys;
      }
    }
  }

  async ping(): Promise<void> {
    const c = this.#client;
    await withTimeout(
      this.#run(c, async () => {
        // On a cluster every master must answer: one unreachable master leaves slots unserved.
        if (c instanceof Cluster) await Promise.all(c.nodes('master').map((node) => node.ping()));
        else await c.ping();
      }),
      PING_TIMEOUT_MS,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channels.clear();
    await Promise.all([this.#client, this.#subscriber].filter((c) => c !== null).map(quit));
  }

  /** The subscriber connection, created on first use and shared by every subscription. */
  #subscriberClient(): Client {
    if (this.#subscriber === null) {
      const sub = this.#client.duplicate();
      sub.on('error', ignore);
      sub.on('message', (channel: string, message: string) => this.#deliver(channel, message));
      this.#subscriber = sub;
    }
    return this.#subscriber;
  }

  #deliver(channel: string, message: string): void {
    const entry = this.#channels.get(channel);
    if (!entry) return;
    for (const handler of [...entry.handlers]) {
      try {
        handler.onMessage(message);
      } catch (err) {
        // A failing handler must neither stop the others nor break ioredis's reply parser; its
        // error surfaces as uncaught, as it would with the memory adapter.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Wait (bounded) for the connection, run one command, and map connection failures. */
  async #run<T>(client: Client, command: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.#ready(client);
      try {
        return await command();
      } catch (err) {
        // The connection dropped just before: the command was refused unsent, so it is safe to
        // wait for the reconnection and send it once more.
        if (attempt === 1 && isUnsent(err)) {
          await this.#leftReady(client);
          continue;
        }
        throw mapError(err);
      }
    }
  }

  /** Resolve once ioredis has noticed a dropped connection (bounded: it may already have). */
  async #leftReady(client: Client): Promise<void> {
    if (client.status !== 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, 100);
      client.on('close', done);
    });
  }

  async #ready(client: Client): Promise<void> {
    if (client.status === 'ready') return;
    if (this.#closed || client.status === 'end') throw unavailable('the store is closed');
    if (client.status === 'wait') client.connect().catch(ignore);
    await withTimeout(this.#whenReady(client), READY_TIMEOUT_MS);
  }

  /** One pending wait per connection, however many operations wait for it (no listener pile-up). */
  #whenReady(client: Client): Promise<void> {
    let wait = this.#readyWaits.get(client);
    if (!wait) {
      wait = new Promise<void>((resolve, reject) => {
        const settle = (err?: DigitalKeyError) => {
          client.off('ready', onReady);
          client.off('end', onEnd);
          this.#readyWaits.delete(client);
          if (err) reject(err);
          else resolve();
        };
        const onReady = () => settle();
        const onEnd = () => settle(unavailable('the connection has ended'));
        client.on('ready', onReady);
        client.on('end', onEnd);
      });
      wait.catch(ignore);
      this.#readyWaits.set(client, wait);
    }
    return wait;
  }
}

/**
 * Connect to Redis (lazily: nothing happens until the first operation or `ping()`).
 *
 * `url` is either
 * - `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS): one server, database
 *   `db` (default 0); or
 * - `redis+cluster://[[user]:password@]host1:port1,host2:port2,...` (or `rediss+cluster://`): a
 *   Redis Cluster, reached through any of the listed nodes (one is enough; list several so a
 *   restart can find one that is up). A cluster has no databases, so no `/db`.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' });
 * await store.ping(); // readiness: throws STORE_UNAVAILABLE when Redis does not answer
 * ```
 */
export function createRedisStore(opts: { url: string; replicaWait?: ReplicaWait }): RedisStore {
  return new RedisStore(createClient(opts.url), { location: describeRedisTarget(parseRedisUrl(opts.url)), ...(opts.replicaWait ? { replicaWait: opts.replicaWait } : {}) });
}

/** The connection ioredis keeps to the master serving `slot` (the one a command on that slot used). */
function masterOfSlot(cluster: Cluster, slot: number): Redis | undefined {
  const [masterKey] = cluster.slots[slot] ?? [];
  if (masterKey === undefined) return undefined;
  return cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === masterKey);
}

/** Options shared by every connection; see the module header for why. */
const CONNECTION_OPTIONS = {
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  // Commands in flight when a connection drops fail at once instead of being sent again: a GETDEL
  // or an append sent twice could lose a token or duplicate an entry.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // Commands issued in the same tick (a request's batch of reads) leave in one write: fewer
  // syscalls per request, and on a cluster one pipeline per node.
  enableAutoPipelining: true,
} satisfies RedisOptions;

function createClient(url: string): Client {
  const target = parseRedisUrl(url);
  if (target.kind === 'cluster') {
    const { username, password } = target;
    const options: ClusterOptions = {
      lazyConnect: true,
      enableAutoPipelining: true,
      // Never park commands while the cluster is unreachable; the adapter waits (bounded) instead.
      enableOfflineQueue: false,
      clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
      slotsRefreshTimeout: 1000,
      redisOptions: {
        ...CONNECTION_OPTIONS,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(target.tls ? { tls: {} } : {}),
      },
    };
    return new Cluster(target.nodes, options);
  }
  return new Redis(target.url, {
    ...CONNECTION_OPTIONS,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
}

/** A TTL in whole milliseconds for PX; like the memory adapter, no TTL when 0 or unset. */
function pxOf(ttlMs: number | undefined): number | undefined {
  if (!ttlMs) return undefined;
  return Math.max(1, Math.ceil(ttlMs));
}

/** An absolute expiry as PEXPIREAT takes it: whole ms, as a string (a Lua number would print in exponent form). */
function expiryMs(atMs: number): string {
  if (!Number.isFinite(atMs)) throw new TypeError('an expiry must be a finite time');
  return String(Math.max(1, Math.floor(atMs)));
}

function unavailable(message?: string, cause?: unknown): DigitalKeyError {
  return new DigitalKeyError('STORE_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

/**
 * Connection trouble becomes STORE_UNAVAILABLE; any other reply error (WRONGTYPE, a script error)
 * is a bug and passes through. ioredis attaches the command's arguments to its errors: they may
 * hold values, so they are dropped.
 */
function mapError(err: unknown): unknown {
  scrub(err);
  if (err instanceof DigitalKeyError) return err;
  if (err instanceof ReplyError && !UNAVAILABLE_REPLY.test(errorMessage(err))) return err;
  return unavailable(undefined, err);
}

/** Errors with which ioredis refuses a command without sending it (no offline queue). */
function isUnsent(err: unknown): boolean {
  return err instanceof Error && /^(Stream isn't writeable|Cluster isn't ready) and enableOfflineQueue options is false$/.test(err.message);
}

function scrub(err: unknown): void {
  if (typeof err !== 'object' || err === null) return;
  if ('command' in err && typeof err.command === 'object' && err.command !== null) err.command = { name: 'name' in err.command ? err.command.name : undefined };
  if ('lastNodeError' in err && err.lastNodeError) scrub(err.lastNodeError);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable('Redis did not answer in time')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function quit(client: Client): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'wait') {
    client.disconnect();
    return;
  }
  try {
    await withTimeout(client.quit(), QUIT_TIMEOUT_MS);
  } catch {
    client.disconnect();
  }
}

function ignore(): void {}
