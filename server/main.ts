/**
 * The key-issuance server process (`npm start` runs the build: `node dist/server/main.js`). Redis
 * when REDIS_URL is set, else the in-memory store with a loud warning.
 *
 * The store may be away at start or later: the server keeps running, answers 503 STORE_UNAVAILABLE
 * (and `/readyz` names the store) and retries with backoff until it is back. On SIGTERM or SIGINT it
 * drains within SHUTDOWN_TIMEOUT: stops accepting, finishes requests in flight, ends the cars' sync
 * streams with a retry hint, stops the scheduler, closes Redis, and exits; a second signal exits at once.
 *
 * With more than one worker (WORKERS; one per core on Redis by default) this process is the
 * primary of a node:cluster pool (workerPool.ts) and each worker runs the server below.
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import { systemClock } from '../shared/clock.js';
import { createApp, type App } from './app.js';
import { loadConfig, productionWarnings, workerCount, type Config } from './config.js';
import { startMetricsServer, type MetricsServer } from './metrics/metricsServer.js';
import { drainServer } from './drainServer.js';
import { errorMessage } from './errorMessage.js';
import { issuerKeyFromConfig, otherIssuerKeysFromConfig } from './issuerKeyFromConfig.js';
import { redisRateLimitStore } from './http/redisRateLimitStore.js';
import { createLogger, flushLogger, type Logger } from './logger.js';
import { createStore } from './store/createStore.js';
import { durabilityWarnings } from './store/durabilityWarnings.js';
import { footprintWarnings } from './store/footprintWarnings.js';
import { HolderLayoutMismatch } from './store/holderBuckets.js';
import { RedisStore } from './store/redisStore.js';
import { StoreMonitor } from './store/storeMonitor.js';
import type { Store } from './store/store.js';
import { issuerKeyFromPrimary, runWorkerPool, SHUTDOWN_MESSAGE } from './workerPool.js';

/**
 * Once the store answers: check that it was set up with this server's bucket count (an error line
 * when not: every holder request is refused until INDEX_BUCKET_BITS is set right), and on Redis read
 * its settings and warn (loudly in production) when acknowledged writes could be lost or holder
 * buckets would not stay compact.
 */
async function checkStore(store: Store, app: App, config: Config, logger: Logger): Promise<void> {
  try {
    await app.ctx.accounts.buckets.checked();
  } catch (err) {
    if (err instanceof HolderLayoutMismatch) logger.error({ layout: err.message }, `STORE LAYOUT: ${err.message}`);
    else logger.warn({ err: errorMessage(err) }, 'could not check the store’s bucket count yet');
  }
  if (!(store instanceof RedisStore)) return;
  try {
    const settings = await store.settings();
    const production = config.NODE_ENV === 'production';
    const durability = durabilityWarnings(settings);
    for (const warning of durability) {
      if (production) logger.error({ durability: warning }, `DURABILITY WARNING: ${warning}`);
      else logger.warn({ durability: warning }, `durability warning: ${warning}`);
    }
    if (durability.length === 0) logger.info({ store: store.location }, 'Redis persistence keeps acknowledged writes (appendonly yes)');
    for (const warning of footprintWarnings(settings)) logger.warn({ footprint: warning }, `footprint warning: ${warning}`);
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'could not read Redis settings');
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(errorMessage(err));
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  // A pool's primary warns once for all of its workers.
  if (cluster.isPrimary) for (const warning of productionWarnings(config)) logger.warn({ warning }, `WARNING: ${warning}`);
  const workers = workerCount(config);
  if (cluster.isPrimary && workers > 1) return runWorkerPool({ config, logger, workers });
  return runServer(config, logger);
}

/** The whole server in this process: alone, or as one worker of a pool. */
async function runServer(config: Config, logger: Logger): Promise<void> {
  const inPool = cluster.isWorker;
  // Stop requests are taken from the first moment, and carried out once the server has started.
  const stopper = stopRequests(logger, inPool);
  if (inPool) {
    // Answer the primary's requests for this worker's metrics from the start (the constructor
    // starts listening; a booting worker that never answered would fail the primary's scrape).
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([]);
  }

  const store = createStore({ redisUrl: config.REDIS_URL, clock: systemClock, replicaWait: { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT_MS } });
  // On Redis, the anonymous rate limit is one budget for all instances.
  const limiter = config.REDIS_URL ? redisRateLimitStore({ url: config.REDIS_URL }) : undefined;
  const app = createApp({ config, store, issuerKey: await (inPool && !config.ISSUER_PRIVATE_JWK ? issuerKeyFromPrimary() : issuerKeyFromConfig(config)), otherIssuerKeys: await otherIssuerKeysFromConfig(config), logger, ...(limiter ? { anonymousRateLimitStore: limiter.store } : {}) });
  let storeChecked = false;
  const monitor = new StoreMonitor({
    store,
    logger,
    onReachable: () => {
      if (storeChecked) return;
      storeChecked = true;
      void checkStore(store, app, config, logger);
    },
  });
  await monitor.start();

  // Renewals, retries and ends (R9–R11): every instance polls; leases keep the work exactly-once.
  app.scheduler.start(config.SCHEDULER_INTERVAL * 1000);
  // The manifest subscription (retried with backoff until live): /readyz reports it.
  app.hub.start();
  const server: Server = createServer(app.listener).listen(config.PORT);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  // Prometheus scrapes its own listener (loopback by default), never the public port; in a pool the
  // primary serves it with every worker's metrics summed.
  let metrics: MetricsServer | undefined;
  if (inPool) AggregatorRegistry.setRegistries([app.metrics]);
  else {
    metrics = await startMetricsServer({ registry: app.metrics, host: config.METRICS_HOST, port: config.METRICS_PORT });
    logger.info({ host: metrics.host, port: metrics.port }, 'metrics listening');
  }
  logger.info(
    { port: config.PORT, store: store.location ?? store.kind, issuer: config.ISSUER, kid: app.ctx.issuerKey.kid },
    'server listening',
  );

  stopper.whenAsked(async (why) => {
    logger.info({ ...why, drainTimeoutS: config.SHUTDOWN_TIMEOUT }, 'stopping: draining requests in flight');
    app.beginShutdown();
    const [{ timedOut }] = await Promise.all([drainServer(server, config.SHUTDOWN_TIMEOUT * 1000), metrics && drainServer(metrics.server, config.SHUTDOWN_TIMEOUT * 1000)]);
    monitor.stop();
    await app.close();
    await limiter?.close();
    await store.close();
    logger.info({ ...why, timedOut }, timedOut ? 'stopped (drain timed out: open connections were cut)' : 'stopped');
    flushLogger(logger);
    process.exit(0);
  });
}

/**
 * What asks this process to stop: SIGTERM or SIGINT, and in a pool the primary's message or the
 * primary's end (the IPC channel closing). The first request starts the drain, once the server has
 * started; a second OS signal exits at once. The primary passing on a signal the worker also got
 * (Ctrl-C and systemd signal the whole group) is not a second signal.
 */
/** Why the process stops, as its log lines say: the signal, or (in a pool) the primary's request. */
type StopCause = { signal: NodeJS.Signals } | { reason: 'asked by the primary' | 'the primary is gone' };

function stopRequests(logger: Logger, inPool: boolean): { whenAsked(drain: (why: StopCause) => Promise<void>): void } {
  let asked: StopCause | undefined;
  let drain: ((why: StopCause) => Promise<void>) | undefined;
  let signals = 0;
  const ask = (why: StopCause) => {
    if (asked !== undefined) return;
    asked = why;
    if (drain) void drain(why);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      flushLogger(logger);
      process.exit(1);
    }
    ask({ signal });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (inPool) {
    // Node's cluster code exits a worker at once when its primary goes; this worker drains instead.
    cluster.worker!.exitedAfterDisconnect = true;
    process.on('message', (message) => message === SHUTDOWN_MESSAGE && ask({ reason: 'asked by the primary' }));
    process.on('disconnect', () => ask({ reason: 'the primary is gone' }));
  }
  return {
    whenAsked(fn) {
      drain = fn;
      if (asked !== undefined) void fn(asked);
    },
  };
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'server failed to start', err: errorMessage(err) }));
  process.exit(1);
});
