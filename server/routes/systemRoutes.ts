/**
 * Operator and discovery routes: the issuer's JWKS, liveness, readiness (the store answers and the
 * manifest subscription is live, so this instance can deliver to cars), and metrics for a bearer of
 * METRICS_TOKEN.
 */
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import { bearerTokenMatches } from '../metrics/bearerTokenMatches.js';
import type { ManifestHub } from '../vehicles/manifestHub.js';

export function mountSystemRoutes(router: Router, ctx: AppContext, metrics: Registry, hub: ManifestHub): void {
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(ctx.trust.jwks);
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res, next) => {
    try {
      await ctx.store.ping();
      await hub.ready();
      res.json({ status: 'ready', store: ctx.store.kind, sync: 'live' });
    } catch (err) {
      // ping throws STORE_UNAVAILABLE: the one error handler answers 503 with it, naming the store.
      const where = ctx.store.location ?? ctx.store.kind;
      next(new DigitalKeyError('STORE_UNAVAILABLE', `The store is not reachable (${where})`, { cause: err }));
    }
  });
  // Metrics live on their own listener (server/metrics/metricsServer.ts). The public port serves them
  // only to a bearer of METRICS_TOKEN; to anyone else /metrics does not exist.
  const token = ctx.config.METRICS_TOKEN;
  if (token === undefined) return;
  router.get('/metrics', async (req, res, next) => {
    if (!bearerTokenMatches(req.headers.authorization, token)) return next(new DigitalKeyError('NOT_FOUND', 'no such route'));
    res.set('content-type', metrics.contentType).send(await metrics.metrics());
  });
}
