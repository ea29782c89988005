/** The store the configuration asks for: Redis when REDIS_URL is set, else the embedded memory store. */
import type { Clock } from '../../shared/clock.js';
import { MemoryStore } from './memoryStore.js';
import { createRedisStore, type ReplicaWait } from './redisStore.js';
import type { KeyScanner, Store } from './store.js';

export function createStore(opts: { redisUrl: string | undefined; clock: Clock; replicaWait?: ReplicaWait }): Store & KeyScanner {
  return opts.redisUrl ? createRedisStore({ url: opts.redisUrl, ...(opts.replicaWait ? { replicaWait: opts.replicaWait } : {}) }) : new MemoryStore({ clock: opts.clock });
}
