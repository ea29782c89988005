/**
 * `npm start`: the key-issuance server alone. Redis when REDIS_URL is set, else the in-memory store
 * with a loud warning. Stops cleanly on SIGINT/SIGTERM.
 */
import { systemClock } from '../shared/clock.js';
import { createApp } from './app.js';
import { loadConfig, productionWarnings } from './config.js';
import { issuerKeyFromConfig } from './issuerKeyFromConfig.js';
import { createLogger } from './logger.js';
import { createStore } from './store/createStore.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  for (const warning of productionWarnings(config)) logger.warn({ warning }, `WARNING: ${warning}`);

  const store = createStore({ redisUrl: config.REDIS_URL, clock: systemClock });
  await store.ping();
  const app = createApp({ config, store, issuerKey: await issuerKeyFromConfig(config), logger });
  // Renewals, retries and ends (R9–R11): every instance polls; leases keep the work exactly-once.
  app.scheduler.start(config.SCHEDULER_INTERVAL * 1000);
  const server = app.express.listen(config.PORT, () => {
    logger.info({ port: config.PORT, store: store.kind, issuer: config.ISSUER, kid: app.ctx.issuerKey.kid }, 'server listening');
  });

  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.close();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'server failed to start', err: String(err) }));
  process.exit(1);
});
