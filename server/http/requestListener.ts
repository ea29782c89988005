/**
 * The server's node request listener (what `http.createServer` takes): the lean path for the API
 * routes, Express for everything else.
 *
 * Every request first passes the request edge (requestEdge.ts: headers, request id, log line,
 * metrics, draining). A request for an API route (the route table: method + path) is then answered
 * here without Express: its JSON body parsed (body-parser's `json`, the same middleware the Express
 * app runs, so limits, charsets, encodings and their errors are one implementation), the anonymous
 * rate limit for `auth: 'none'` routes, and the route's answerer (route.ts). An OPTIONS request for
 * an API path gets the Allow list the router gave. The rest — the portals, the OpenAPI document, the
 * system routes, every 404 — falls through to the Express app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { errorAnswer } from './errorHandler.js';
import type { RequestEdge, RequestRecord } from './requestEdge.js';
import type { RouteRequest } from './route.js';
import type { RouteTable } from './routeTable.js';
import { sendJson } from './sendJson.js';

/** Connect-style middleware on plain node objects (body-parser's `json` is one). */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface RequestListenerOptions {
  edge: RequestEdge;
  table: RouteTable;
  answer: (request: RouteRequest) => Promise<void>;
  /** Parses a JSON body into `req.body` (express.json with the app's limit and strictness). */
  parseJson: NodeMiddleware;
  /** Runs before the anonymous routes (`auth: 'none'`): a per-client rate limit. */
  anonymousLimit?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** What answers every request that is not for an API route (the Express app). */
  fallback: RequestListener;
}

function run(middleware: NodeMiddleware, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => middleware(req, res, (err) => (err === undefined ? resolve() : reject(err))));
}

/** The Allow list Express's router answered an OPTIONS request with. */
function answerOptions(res: ServerResponse, methods: string[]): void {
  const allow = methods.join(', ');
  res.setHeader('Allow', allow);
  res.setHeader('Content-Length', Buffer.byteLength(allow));
  res.setHeader('Content-Type', 'text/plain');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(allow);
}

/**
 * @example http.createServer(requestListener({ edge, table, answer, parseJson: express.json(), fallback: app }))
 */
export function requestListener(opts: RequestListenerOptions): RequestListener {
  const { edge, table, answer, parseJson, anonymousLimit, fallback } = opts;

  const answerRoute = async (request: Omit<RouteRequest, 'body'>, record: RequestRecord): Promise<void> => {
    const { req, res } = request;
    try {
      // As in the Express app, the body is read before routing: a refused one is counted as "unmatched".
      await run(parseJson, req, res);
      record.route = request.route.path;
      if (request.route.auth === 'none' && anonymousLimit) await anonymousLimit(req, res);
    } catch (err) {
      // A body or a rate limit refused before the route ran: not the route's own answer.
      const { status, body } = errorAnswer(err, record.log);
      if (!res.headersSent) sendJson(res, status, body);
      return;
    }
    await answer({ ...request, body: (req as { body?: unknown }).body });
  };

  return (req, res) => {
    const record = edge.begin(req, res);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    let match;
    try {
      match = table.match(method, path);
    } catch (err) {
      // A path parameter that is not valid percent-encoding.
      const { status, body } = errorAnswer(err, record.log);
      sendJson(res, status, body);
      return;
    }
    if (match) {
      const query = parseQuery(q === -1 ? '' : url.slice(q + 1));
      void answerRoute({ route: match.route, params: match.params, query, req, res, record }, record);
      return;
    }
    if (method === 'OPTIONS') {
      const methods = table.methodsFor(path);
      if (methods.length > 0) return answerOptions(res, methods);
    }
    fallback(req, res);
  };
}
