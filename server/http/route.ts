/**
 * One definition per API route: method, path, who may call it, the zod schemas of its params, query
 * and body, and its handler. The same definition mounts the Express route (validating every input
 * at the boundary before the handler runs), and generates the OpenAPI document (openApiDocument.ts),
 * so the published contract and the enforced one cannot drift apart.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Caller } from './caller.js';

/** Who must have authenticated: nobody, a passkey session, a dealer session, or a vehicle. */
export type RouteAuth = 'none' | 'session' | 'dealer' | 'vehicle';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: Caller;
  req: Request;
  res: Response;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
}

export interface RouteDefinition<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express-style path, e.g. `/v1/vehicles/:vin/keys`. */
  path: string;
  summary: string;
  tags: string[];
  auth: RouteAuth;
  /** A session route a dealer account may also call (e.g. reading its own profile). */
  allowDealer?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Documented responses: status → description and optional schema. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Streaming routes (SSE) write the response themselves and return nothing. */
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<RouteResult | void>;
}

/** Identity helper that keeps the schema types flowing into the handler. */
export function defineRoute<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  route: RouteDefinition<P, Q, B>,
): RouteDefinition {
  return route as unknown as RouteDefinition;
}

function validate<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? [where, ...issue.path].join('.') : where;
    throw new DigitalKeyError('VALIDATION_FAILED', `${path}: ${issue?.message ?? 'invalid'}`, {
      detail: { issues: parsed.error.issues.slice(0, 10).map((i) => ({ path: [where, ...i.path].join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

/** Mount every route on the router, with authentication (`authenticate`) and schema validation before the handler. */
export function mountRoutes(
  router: Router,
  routes: RouteDefinition[],
  authenticate: (req: Request, auth: RouteAuth, allowDealer?: boolean) => Promise<Caller>,
  /** Runs before the anonymous routes (`auth: 'none'`): a per-client rate limit. */
  anonymousLimit?: RequestHandler,
): void {
  for (const route of routes) {
    const handler: RequestHandler = async (req, res, next) => {
      try {
        const caller = await authenticate(req, route.auth, route.allowDealer ?? false);
        const params = validate(route.params, req.params, 'params');
        const query = validate(route.query, req.query, 'query');
        const body = route.body ? validate(route.body, req.body ?? {}, 'body') : undefined;
        const result = await route.handler({ params, query, body, caller, req, res });
        if (result && !res.headersSent) {
          res.status(result.status ?? 200);
          if (result.body === undefined) res.end();
          else res.json(result.body);
        }
      } catch (err) {
        next(err);
      }
    };
    if (route.auth === 'none' && anonymousLimit) router[route.method](route.path, anonymousLimit, handler);
    else router[route.method](route.path, handler);
  }
}
