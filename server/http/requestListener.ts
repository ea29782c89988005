/**
 * The server's node request listener (what `http.createServer` takes): the lean path for the API
 * routes and the system routes, Express for the portals and every 404.
 *
 * Every request first passes the request edge (requestEdge.ts: headers, request id, log line,
 * metrics, draining). A request for an API route (the route table: method + path) is then answered
 * here without Express: its JSON body parsed (body-parser's `json`, the same middleware the Express
 * app runs, so limits, charsets, encodings and their errors are one implementation), the anonymous
 * rate limit for `auth: 'none'` routes, and the route's answerer (route.ts). A system route
 * (liveness, readiness, JWKS, the OpenAPI document: `PlainRoute`) answers itself. An OPTIONS request
 * for one of their paths gets the Allow list Express's router gave. The rest — the portals, every
 * 404 — falls through to the Express app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { sendError } from './errorHandler.js';
import { originForm, type RequestEdge, type RequestRecord } from './requestEdge.js';
import type { RouteDefinition, RouteRequest } from './route.js';
import { routeTable, type RouteTable } from './routeTable.js';

/** Connect-style middleware on plain node objects (body-parser's `json` is one). */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A route outside the API (no schemas, not in the OpenAPI document) that writes its own answer; what it throws is the one error answer. */
export interface PlainRoute {
  method: 'get';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface RequestListenerOptions {
  edge: RequestEdge;
  /** The API's route definitions. */
  routes: readonly RouteDefinition[];
  /** The system routes, looked up after the API's. */
  plainRoutes: readonly PlainRoute[];
  answer: (request: RouteRequest) => Promise<void>;
  /** Parses a JSON body into `req.body` (express.json with the app's limit and strictness). */
  parseJson: NodeMiddleware;
  /** Runs before the anonymous routes (`auth: 'none'`): a per-client rate limit. */
  anonymousLimit?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** What answers every request that is not for an API route (the Express app). */
  fallback: RequestListener;
}

/** Run connect-style middleware on plain node objects: resolves when it calls `next()`, rejects with what it passes to `next`. */
export function runMiddleware(middleware: NodeMiddleware, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => middleware(req, res, (err) => (err === undefined ? resolve() : reject(err))));
}

/** The Allow list Express's router answered an OPTIONS request with. */
function answerOptions(res: ServerResponse, methods: string[]): void {
  const allow = methods.join(', ');
  res.setHeader('Allow', allow);
  res.setHeader('Content-Length', Buffer.byteLength(allow));
  res.setHeader('Content-Type', 'text/plain');
  res.end(allow);
}

/**
 * @example http.createServer(requestListener({ edge, routes, plainRoutes, answer, parseJson: express.json(), fallback: app }))
 */
export function requestListener(opts: RequestListenerOptions): RequestListener {
  const { edge, answer, parseJson, anonymousLimit, fallback } = opts;
  const table: RouteTable<RouteDefinition> = routeTable(opts.routes);
  const plain: RouteTable<PlainRoute> = routeTable(opts.plainRoutes);

  /** What a plain route throws, or what escaped a route's own error answer (a throwing `onUndeclaredError`, say): answered as any failure, never an unhandled rejection. */
  const lastResort = (res: ServerResponse, record: RequestRecord) => (err: unknown) => {
    sendError(res, err, record.log);
  };

  const answerPlain = async (route: PlainRoute, req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> => {
    record.route = route.path;
    await route.handle(req, res);
  };

  const answerRoute = async (request: Omit<RouteRequest, 'body'>, record: RequestRecord): Promise<void> => {
    const { req, res } = request;
    try {
      // As in the Express app, the body is read before routing: a refused one is counted as "unmatched".
      await runMiddleware(parseJson, req, res);
      record.route = request.route.path;
      if (request.route.auth === 'none' && anonymousLimit) await anonymousLimit(req, res);
    } catch (err) {
      // A body or a rate limit refused before the route ran: not the route's own answer.
      sendError(res, err, record.log);
      return;
    }
    await answer({ ...request, body: (req as { body?: unknown }).body });
  };

  return (req, res) => {
    const record = edge.begin(req, res);
    const url = originForm(req.url ?? '/');
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    let match;
    let plainMatch;
    try {
      match = table.match(method, path);
      plainMatch = match ? null : plain.match(method, path);
    } catch (err) {
      // A path parameter that is not valid percent-encoding.
      sendError(res, err, record.log);
      return;
    }
    if (match) {
      const query = parseQuery(q === -1 ? '' : url.slice(q + 1));
      answerRoute({ route: match.route, params: match.params, query, req, res, record }, record).catch(lastResort(res, record));
      return;
    }
    if (plainMatch) {
      answerPlain(plainMatch.route, req, res, record).catch(lastResort(res, record));
      return;
    }
    if (method === 'OPTIONS') {
      const methods = [...new Set([...table.methodsFor(path), ...plain.methodsFor(path)])].sort();
      if (methods.length > 0) return answerOptions(res, methods);
    }
    fallback(req, res);
  };
}
