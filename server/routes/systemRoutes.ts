/**
 * Operator and discovery routes: the issuer's JWKS, liveness, readiness (the store answers and the
 * manifest subscription is live, so this instance can deliver to cars), the OpenAPI document, and
 * metrics for a bearer of METRICS_TOKEN. They are not API operations (no schemas, no operationId,
 * not in the OpenAPI document): plain routes the lean HTTP path answers (server/http/requestListener.ts).
 */
import type { Registry } from 'prom-client';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import type { PlainRoute } from '../http/requestListener.js';
import { sendJson } from '../http/sendJson.js';
import { bearerTokenMatches } from '../metrics/bearerTokenMatches.js';
import type { ManifestHub } from '../vehicles/manifestHub.js';

export function systemRoutes(ctx: AppContext, opts: { metrics: Registry; hub: ManifestHub; openApi: Record<string, unknown> }): PlainRoute[] {
  const routes: PlainRoute[] = [
    {
      method: 'get',
      path: '/.well-known/jwks.json',
      handle(_req, res) {
        res.setHeader('cache-control', 'public, max-age=300');
        sendJson(res, 200, ctx.trust.jwks);
      },
    },
    { method: 'get', path: '/healthz', handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'get',
      path: '/readyz',
      async handle(_req, res) {
        try {
          await ctx.store.ping();
          await opts.hub.ready();
        } catch (err) {
          // ping throws STORE_UNAVAILABLE: the one error answer is 503 with it, naming the store.
          const where = ctx.store.location ?? ctx.store.kind;
          throw new DigitalKeyError('STORE_UNAVAILABLE', `The store is not reachable (${where})`, { cause: err });
        }
        // The holder layout, read again: a store set up with another bucket count (or one whose
        // layout changed) is 503, with the sentence that says what to do; a lost layout is written again.
        await ctx.accounts.buckets.verify();
        sendJson(res, 200, { status: 'ready', store: ctx.store.kind, sync: 'live' });
      },
    },
    { method: 'get', path: '/v1/openapi.json', handle: (_req, res) => sendJson(res, 200, opts.openApi) },
  ];
  // Metrics live on their own listener (server/metrics/metricsServer.ts). The public port serves them
  // only to a bearer of METRICS_TOKEN; to anyone else /metrics does not exist.
  const token = ctx.config.METRICS_TOKEN;
  if (token !== undefined) {
    routes.push({
      method: 'get',
      path: '/metrics',
      async handle(req, res) {
        if (!bearerTokenMatches(req.headers.authorization, token)) throw new DigitalKeyError('NOT_FOUND', 'no such route');
        const text = await opts.metrics.metrics();
        res.writeHead(200, { 'content-type': opts.metrics.contentType, 'content-length': Buffer.byteLength(text) }).end(text);
      },
    });
  }
  return routes;
}
