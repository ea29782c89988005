/** The store the configuration asks for: Redis when REDIS_URL is set, else the embedded memory store. */
import type { Clock } from '../../shared/clock.js';
import { MemoryStore } from './memoryStore.js';
import { createRedisStore } from './redisStore.js';
import type { Store } from './store.js';

export function createStore(opts: { redisUrl: string | undefined; clock: Clock }): Store {
  return opts.redisUrl ? createRedisStore({ url: opts.redisUrl }) : new MemoryStore({ clock: opts.clock });
}
