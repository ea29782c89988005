/**
 * The anonymous routes' rate-limit counters in Redis (`rate-limit-redis`), so every instance behind
 * the load balancer spends one budget per client address instead of one each. Its own small
 * connection (the store adapter keeps its client private), under the project's key prefix.
 *
 * Scripts are never loaded ahead: `SCRIPT LOAD` is answered here with the script's SHA-1, and an
 * `EVALSHA` the server does not know (a fresh node, a failover, a flush, Redis away at start) is sent
 * again as `EVAL`, which loads it. So an outage at start does not leave the limiter broken for good.
 */
import { createHash } from 'node:crypto';
import type { Store as RateLimitStore } from 'express-rate-limit';
import { Cluster, Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { errorMessage } from '../errorMessage.js';
import { parseRedisUrl } from '../store/redisUrl.js';

/** Under the project's key prefix (server/store/storeKeys.ts: `sdk:`); one key per client address. */
export const RATE_LIMIT_KEY_PREFIX = 'sdk:rate-limit:anonymous:';

type Reply = boolean | number | string | Array<boolean | number | string>;

function isReply(value: unknown): value is Reply {
  const scalar = (v: unknown) => typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string';
  return scalar(value) || (Array.isArray(value) && value.every(scalar));
}

/** A command waits at most a second while Redis is away; then the limiter lets the request through (its route answers 503). */
const CONNECTION = { connectTimeout: 2000, commandTimeout: 1000, maxRetriesPerRequest: 0 };

function connect(url: string): Redis | Cluster {
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return new Redis(url, { ...CONNECTION, retryStrategy: (times) => Math.min(times * 100, 1000) });
  const { username, password } = target;
  return new Cluster(target.nodes, {
    clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
    redisOptions: { ...CONNECTION, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }), ...(target.tls ? { tls: {} } : {}) },
  });
}

export interface RedisRateLimitStore {
  store: RateLimitStore;
  /** Close the connection (at shutdown, after the HTTP server has drained). */
  close(): Promise<void>;
}

/**
 * @example
 * const limiter = config.REDIS_URL ? redisRateLimitStore({ url: config.REDIS_URL }) : undefined;
 * createApp({ …, ...(limiter ? { anonymousRateLimitStore: limiter.store } : {}) });
 */
export function redisRateLimitStore(opts: { url: string; prefix?: string }): RedisRateLimitStore {
  const client = connect(opts.url);
  // Connection trouble surfaces as failed commands (and the app's store monitor logs the outage once).
  client.on('error', () => undefined);
  const scripts = new Map<string, string>();
  const call = async (name: string, args: string[]): Promise<Reply> => {
    const reply: unknown = await client.call(name, ...args);
    if (!isReply(reply)) throw new TypeError(`unexpected reply from Redis to ${name}`);
    return reply;
  };
  const sendCommand = async (name = '', ...args: string[]): Promise<Reply> => {
    const [first = '', ...rest] = args;
    if (name.toUpperCase() === 'SCRIPT' && first.toUpperCase() === 'LOAD' && rest[0] !== undefined) {
      const sha = createHash('sha1').update(rest[0]).digest('hex');
      scripts.set(sha, rest[0]);
      return sha;
    }
    const script = name.toUpperCase() === 'EVALSHA' ? scripts.get(first) : undefined;
    if (script === undefined) return call(name, args);
    try {
      return await call(name, args);
    } catch (err) {
      if (!/^NOSCRIPT/.test(errorMessage(err))) throw err;
      return call('EVAL', [script, ...rest]);
    }
  };
  return {
    store: new RedisStore({ prefix: opts.prefix ?? RATE_LIMIT_KEY_PREFIX, sendCommand }),
    async close() {
      client.disconnect();
    },
  };
}
