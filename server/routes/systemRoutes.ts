/**
 * Operator and discovery routes: the issuer's JWKS, liveness, readiness (the store answers and the
 * manifest subscription is live, so this instance can deliver to cars), metrics.
 */
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
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
  router.get('/metrics', async (_req, res) => {
    res.set('content-type', metrics.contentType).send(await metrics.metrics());
  });
}
