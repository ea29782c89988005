/**
 * The Prometheus scrape endpoint, off the public port: its own small HTTP listener (METRICS_PORT on
 * METRICS_HOST, loopback by default) that answers GET /metrics and nothing else. The public port
 * answers /metrics only to a bearer of METRICS_TOKEN (server/routes/systemRoutes.ts).
 */
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { errorMessage } from '../errorMessage.js';

/** Where the scraped text comes from: an app's registry, or (several workers) their sum. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/** The scrape app: GET /metrics, 404 for anything else. */
export function metricsApp(registry: MetricsSource): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    res.set('cache-control', 'no-store');
    let text: string;
    try {
      text = await registry.metrics();
    } catch (err) {
      // Not every worker of a pool answered (one booting or dying): this scrape fails, Prometheus marks it down, the next asks again.
      res.status(503).type('text/plain').send(`metrics not available: ${errorMessage(err)}\n`);
      return;
    }
    res.set('content-type', registry.contentType).send(text);
  });
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found: the metrics listener serves GET /metrics only\n');
  });
  return app;
}

export interface MetricsServer {
  server: Server;
  /** The port bound (METRICS_PORT=0 picks a free one). */
  port: number;
  host: string;
}

/**
 * Listen with {@link metricsApp} on `host:port`; rejects when the address cannot be bound.
 * @example const metrics = await startMetricsServer({ registry: app.metrics, host: config.METRICS_HOST, port: config.METRICS_PORT });
 */
export async function startMetricsServer(opts: { registry: MetricsSource; host: string; port: number }): Promise<MetricsServer> {
  const server = metricsApp(opts.registry).listen(opts.port, opts.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  // A TCP listener's address is an object (a string only for a pipe or socket path).
  if (address === null || typeof address === 'string') throw new Error('the metrics listener has no TCP address');
  return { server, port: address.port, host: opts.host };
}
