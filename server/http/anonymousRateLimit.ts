/**
 * The anonymous routes' rate limit: each client address gets `limit` requests a minute across the
 * routes with `auth: 'none'` (they write challenge and account records). express-rate-limit keeps
 * the counters (in this process, or in Redis: server/http/redisRateLimitStore.ts) and writes the
 * IETF draft-8 `RateLimit` headers; it runs here on the plain node request and response of the lean
 * path, so a refusal is the usual RATE_LIMITED error answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { runMiddleware, type NodeMiddleware } from './requestListener.js';

/** Resolves when the request is within its budget; rejects with RATE_LIMITED when it is not. */
export type AnonymousRateLimit = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * @example const limit = anonymousRateLimit({ limit: 60 }); await limit(req, res);
 */
export function anonymousRateLimit(opts: { limit: number; store?: Store }): AnonymousRateLimit {
  const middleware = rateLimit({
    windowMs: 60_000,
    limit: opts.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // The peer's address, as Express's `req.ip` is with 'trust proxy' off; IPv6 by its /56 as the default key.
    keyGenerator: (req) => ipKeyGenerator(req.socket.remoteAddress ?? ''),
    handler: (_req, _res, next) => next(new DigitalKeyError('RATE_LIMITED')),
    ...(opts.store ? { store: opts.store } : {}),
    // Redis away: let the request through; its route then answers 503 STORE_UNAVAILABLE itself.
    passOnStoreError: true,
  });
  return (req, res) => {
    // What the middleware asks of Express's response beyond node's: `append` (its RateLimit headers).
    const response = {
      get headersSent() {
        return res.headersSent;
      },
      setHeader: (name: string, value: string) => res.setHeader(name, value),
      append(name: string, value: string) {
        res.appendHeader(name, value);
        return response;
      },
    };
    return runMiddleware(((q, _s, next) => void middleware(q as Request, response as unknown as Response, next)) satisfies NodeMiddleware, req, res);
  };
}
