/**
 * Several server processes on one port (node:cluster): WORKERS workers, each the whole server of
 * main.ts on its own core, the kernel spreading connections among them. The primary serves no
 * request itself. It:
 * - gives every worker the same issuer key when ISSUER_PRIVATE_JWK is unset (development), so a
 *   session one worker signed is verified by the others: over the IPC channel, when the worker asks
 *   for it (never in a worker's environment, which /proc/<pid>/environ shows);
 * - serves the metrics listener with every worker's metrics summed (prom-client's AggregatorRegistry);
 * - replaces a worker that dies, after a pause; a worker that dies before it ever listened three
 *   times in a row stops the pool (a crash loop helps nobody);
 * - on SIGTERM or SIGINT asks every worker to drain (an IPC message, so a worker that got the
 *   terminal's own SIGINT does not take it for a second signal), waits until all have exited
 *   (SHUTDOWN_TIMEOUT and a margin, then SIGKILL), and exits; a second signal ends them at once.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { LocalIssuerKey, type IssuerSigningKey } from '../shared/credential/issuerKey.js';
import type { Config } from './config.js';
import { issuerKeyFromConfig } from './issuerKeyFromConfig.js';
import { drainServer } from './drainServer.js';
import { flushLogger, type Logger } from './logger.js';
import { startMetricsServer } from './metrics/metricsServer.js';

/** The message that asks a worker to drain and exit. */
export const SHUTDOWN_MESSAGE = 'sdk:shutdown';

/** A worker's request for the pool's development issuer key, and the primary's answer (`jwk`). */
const ISSUER_KEY_REQUEST = 'sdk:issuer-key?';
const ISSUER_KEY_ANSWER = 'sdk:issuer-key';
/** How long a starting worker waits for the primary's answer. */
const ISSUER_KEY_TIMEOUT_MS = 10_000;

const RESTART_PAUSE_MS = 1000;
const FAILED_STARTS_ALLOWED = 3;
/** Time a worker gets past its own drain timeout before it is killed. */
const EXIT_MARGIN_MS = 5000;

export async function runWorkerPool(opts: { config: Config; logger: Logger; workers: number }): Promise<void> {
  const { config, logger } = opts;
  const devIssuerJwk = config.ISSUER_PRIVATE_JWK ? undefined : JSON.stringify((await LocalIssuerKey.generate()).exportPrivateJwk());
  cluster.on('message', (worker, message) => {
    if (message === ISSUER_KEY_REQUEST && devIssuerJwk !== undefined) worker.send({ kind: ISSUER_KEY_ANSWER, jwk: devIssuerJwk });
  });

  const aggregator = new AggregatorRegistry();
  // A worker that does not answer (stuck, or dying) fails that scrape with a 503; the next one asks again.
  const metrics = await startMetricsServer({ registry: { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() }, host: config.METRICS_HOST, port: config.METRICS_PORT });
  logger.info({ host: metrics.host, port: metrics.port, workers: opts.workers }, 'metrics listening (every worker summed)');

  const listened = new WeakSet<Worker>();
  let failedStarts = 0;
  let stopping = false;
  const exits: Array<Promise<void>> = [];

  const fork = (): void => {
    const worker = cluster.fork();
    exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
    worker.once('listening', () => {
      listened.add(worker);
      failedStarts = 0;
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const started = listened.has(worker);
      failedStarts = started ? 0 : failedStarts + 1;
      logger.error({ workerPid: worker.process.pid, code, signal, started }, started ? 'a worker died: starting another' : 'a worker died before it listened');
      if (failedStarts >= FAILED_STARTS_ALLOWED) {
        logger.fatal({ failedStarts }, 'workers keep dying before they listen: stopping');
        void stop('SIGTERM', 1);
        return;
      }
      setTimeout(() => {
        if (!stopping) fork();
      }, RESTART_PAUSE_MS).unref();
    });
  };

  const living = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());

  const stop = async (signal: NodeJS.Signals, exitCode = 0): Promise<void> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: ending the workers now');
      for (const worker of living()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, workers: living().length }, 'stopping: the workers drain');
    for (const worker of living()) if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
    const deadline = setTimeout(() => {
      const late = living();
      logger.error({ workers: late.map((w) => w.process.pid) }, 'workers still running after the drain timeout: killed');
      for (const worker of late) worker.process.kill('SIGKILL');
    }, config.SHUTDOWN_TIMEOUT * 1000 + EXIT_MARGIN_MS);
    await Promise.all(exits);
    clearTimeout(deadline);
    await drainServer(metrics.server, 1000);
    logger.info({ signal }, 'stopped (every worker exited)');
    flushLogger(logger);
    process.exit(exitCode);
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));

  logger.info({ workers: opts.workers, setting: config.WORKERS }, `starting ${opts.workers} workers`);
  for (let i = 0; i < opts.workers; i++) fork();
}

/** The worker's end of the IPC channel to its primary (`process` in a worker; a fake in tests). */
export interface PrimaryChannel {
  send?: (message: string) => unknown;
  on(event: 'message' | 'disconnect', listener: (message?: unknown) => void): unknown;
  off(event: 'message' | 'disconnect', listener: (message?: unknown) => void): unknown;
}

/**
 * In a worker of a pool without ISSUER_PRIVATE_JWK: the issuer key every worker shares, asked of the
 * primary. Refused when the primary goes first or does not answer in time; other messages are ignored.
 */
export function issuerKeyFromPrimary(channel: PrimaryChannel = process as unknown as PrimaryChannel, timeoutMs = ISSUER_KEY_TIMEOUT_MS): Promise<IssuerSigningKey> {
  return new Promise((resolve, reject) => {
    const ask = channel.send?.bind(channel);
    if (!ask) return reject(new Error('only a worker of a pool asks the primary for the issuer key'));
    const fail = (why: string) => {
      done();
      reject(new Error(why));
    };
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !('kind' in message) || message.kind !== ISSUER_KEY_ANSWER || !('jwk' in message) || typeof message.jwk !== 'string') return;
      done();
      issuerKeyFromConfig({ ISSUER_PRIVATE_JWK: message.jwk }).then(resolve, reject);
    };
    const onDisconnect = () => fail('the primary went away before it gave this worker the issuer key');
    const timer = setTimeout(() => fail(`the primary did not give this worker the issuer key within ${timeoutMs / 1000} s`), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      channel.off('message', onMessage);
      channel.off('disconnect', onDisconnect);
    };
    channel.on('message', onMessage);
    channel.on('disconnect', onDisconnect);
    ask(ISSUER_KEY_REQUEST);
  });
}
