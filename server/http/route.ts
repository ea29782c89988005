/**
 * One definition per API route: method, path, its `operationId`, who may call it, the zod schemas of
 * its params, query and body, the error codes it can answer with, and its handler. The same
 * definition is answered by the lean HTTP path (requestListener.ts, `routeAnswerer` here: every
 * input validated at the boundary before the handler runs), and generates the OpenAPI document (openApiDocument.ts) and from it the phone's typed client,
 * so the published contract and the enforced one cannot drift apart. `operationId` and `errors` are
 * required: a route cannot be added without naming its operation and its failures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { ErrorCode } from '../../shared/errors/errorCode.js';
import type { Authenticator } from './authenticate.js';
import type { Caller } from './caller.js';
import { publicErrorCode, sendError } from './errorHandler.js';
import type { RequestRecord } from './requestEdge.js';
import { sendJson } from './sendJson.js';

/** Who must have authenticated: nobody, a passkey session, a dealer session, or a vehicle. */
export type RouteAuth = 'none' | 'session' | 'dealer' | 'vehicle';

export interface RouteContext<P, Q, B, R = unknown> {
  params: P;
  query: Q;
  body: B;
  caller: Caller;
  /** What the route's `readAhead` started, once the caller's token verified (undefined without one). */
  readAhead: Promise<R> | undefined;
  /** The plain node request and response: a streaming route (SSE) or a file download writes `res` itself. */
  req: IncomingMessage;
  res: ServerResponse;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
}

export interface RouteDefinition<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, R = unknown> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path, e.g. `/v1/vehicles/:vin/keys`. */
  path: string;
  /** The operation's stable name, unique in the API, camelCase (a generated client's method name), e.g. `claimVehicle`. */
  operationId: string;
  summary: string;
  tags: string[];
  auth: RouteAuth;
  /** A session route a dealer account may also call (e.g. reading its own profile). */
  allowDealer?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Documented responses: status → description, optional schema and an example the schema accepts. */
  responses: Record<number, { description: string; schema?: z.ZodType; example?: unknown }>;
  /** An example request body the body schema accepts (shown in the OpenAPI document). */
  bodyExample?: unknown;
  /**
   * The error codes this route's own work can answer with. Those every route of its kind can answer
   * with (validation, authentication, rate limit, store, internal) are added by `routeErrors`. The
   * test server fails a test whose route answers a code that is not listed.
   */
  errors: readonly ErrorCode[];
  /**
   * Reads the handler needs whoever the caller is, started from the valid params as soon as the
   * caller's session token has verified, while the session's own store checks run: one store round
   * trip fewer. Reads only — nothing here may change state — and never for a request without a
   * validly signed token (one whose session then proves ended is refused, its reads unused). The
   * handler gets the promise as `readAhead`.
   */
  readAhead?: (params: z.output<P>) => Promise<R>;
  /** Streaming routes (SSE) write the response themselves and return nothing. */
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, R>) => Promise<RouteResult | void>;
}

/** Identity helper that keeps the schema types flowing into the handler. */
export function defineRoute<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined, R = unknown>(
  route: RouteDefinition<P, Q, B, R>,
): RouteDefinition {
  return route as unknown as RouteDefinition;
}

/** Every error code a route can answer with: its own, and those of its kind of caller and of every route. */
export function routeErrors(route: Pick<RouteDefinition, 'auth' | 'allowDealer' | 'errors'>): ErrorCode[] {
  const common: ErrorCode[] = ['VALIDATION_FAILED', 'STORE_UNAVAILABLE', 'INTERNAL_ERROR'];
  const byAuth: Record<RouteAuth, ErrorCode[]> = {
    none: ['RATE_LIMITED'],
    session: route.allowDealer ? ['UNAUTHENTICATED', 'PASSKEY_DISABLED'] : ['UNAUTHENTICATED', 'PASSKEY_DISABLED', 'FORBIDDEN'],
    dealer: ['UNAUTHENTICATED', 'PASSKEY_DISABLED', 'FORBIDDEN'],
    vehicle: ['UNAUTHENTICATED'],
  };
  return [...new Set([...route.errors, ...byAuth[route.auth], ...common])];
}

/** Told when a route answers with an error code its definition does not list (a contract bug). */
export type UndeclaredErrorListener = (route: { method: string; path: string; operationId: string }, code: ErrorCode) => void;

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

/** One request for a route, as the lean path found it: its decoded path parameters, its query string and its parsed JSON body. */
export interface RouteRequest {
  route: RouteDefinition;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
  record: RequestRecord;
}

/**
 * What answers a route's requests: authentication (`authenticate`) and schema validation before
 * the handler, the handler's result as JSON, and any failure as the one error answer; a failure
 * whose code the route does not declare is told to `onUndeclaredError`.
 */
export function routeAnswerer(opts: { authenticate: Authenticator; onUndeclaredError?: UndeclaredErrorListener }): (request: RouteRequest) => Promise<void> {
  const { authenticate, onUndeclaredError } = opts;
  const declaredByRoute = new Map<RouteDefinition, Set<ErrorCode>>();
  const declared = (route: RouteDefinition) => {
    let codes = declaredByRoute.get(route);
    if (!codes) declaredByRoute.set(route, (codes = new Set(routeErrors(route))));
    return codes;
  };
  return async ({ route, params: rawParams, query: rawQuery, body: rawBody, req, res, record }) => {
    record.route = route.path;
    record.operationId = route.operationId; // for the metrics of the request edge
    try {
      let readAhead: Promise<unknown> | undefined;
      let validParams: { data: unknown } | undefined;
      const startReadAhead = route.readAhead && (() => {
        const early = route.params ? route.params.safeParse(rawParams) : { success: true as const, data: undefined };
        if (!early.success) return; // answered below, after authentication, as every invalid request is
        validParams = early;
        readAhead = route.readAhead!(early.data);
        readAhead.catch(() => {}); // the handler awaits it; when the caller is refused, nobody does
      });
      const caller = await authenticate(req, route.auth, route.allowDealer ?? false, startReadAhead);
      const params = validParams ? validParams.data : validate(route.params, rawParams, 'params');
      const query = validate(route.query, rawQuery, 'query');
      const body = route.body ? validate(route.body, rawBody ?? {}, 'body') : undefined;
      const result = await route.handler({ params, query, body, caller, readAhead, req, res });
      if (result && !res.headersSent) {
        if (result.body === undefined) {
          res.statusCode = result.status ?? 200;
          res.end();
        } else sendJson(res, result.status ?? 200, result.body);
      }
    } catch (err) {
      const code = publicErrorCode(err);
      if (!declared(route).has(code)) onUndeclaredError?.({ method: route.method, path: route.path, operationId: route.operationId }, code);
      sendError(res, err, record.log);
    }
  };
}
