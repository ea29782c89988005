/**
 * A server process for crash-injection tests: the real app on Redis, whose store kills the whole
 * process with SIGKILL right after it acknowledges the first commit that writes the document of
 * CRASH_VIN — the commit point of a claim, a revocation or a wipe. Nothing after the commit runs:
 * no publish, no notice, no answer. Run with `node --import tsx`; logs "server listening" like
 * server/main.ts.
 */
import { createServer } from 'node:http';
import { systemClock } from '../../../shared/clock.js';
import { createApp } from '../../../server/app.js';
import { loadConfig } from '../../../server/config.js';
import { issuerKeyFromConfig } from '../../../server/issuerKeyFromConfig.js';
import { createLogger } from '../../../server/logger.js';
import { createStore } from '../../../server/store/createStore.js';
import type { Store } from '../../../server/store/store.js';
import { storeKeys } from '../../../server/store/storeKeys.js';

const config = loadConfig();
const crashVin = process.env.CRASH_VIN;
if (!config.REDIS_URL || !crashVin) throw new Error('REDIS_URL and CRASH_VIN are required');
const logger = createLogger({ level: config.LOG_LEVEL });
const inner = createStore({ redisUrl: config.REDIS_URL, clock: systemClock });
const vehicleKey = storeKeys.vehicle(crashVin);

/** The Redis store, but a commit of the vehicle's document is the last thing this process does. */
const store: Store = new Proxy(inner, {
  get(target, name) {
    if (name === 'commit') {
      return async (tx: Parameters<Store['commit']>[0]): Promise<boolean> => {
        const done = await target.commit(tx);
        if (done && (tx.set ?? []).some((s) => s.key === vehicleKey)) process.kill(process.pid, 'SIGKILL');
        return done;
      };
    }
    const value: unknown = Reflect.get(target, name, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

const app = createApp({ config, store, issuerKey: await issuerKeyFromConfig(config), logger });
const server = createServer(app.listener).listen(config.PORT, () => logger.info({ port: config.PORT, pid: process.pid }, 'server listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
