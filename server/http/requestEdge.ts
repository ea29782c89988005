/**
 * What every request gets, whoever answers it (the lean API path or the Express app behind it): the
 * security headers and `cache-control: no-store`, a request id (`x-request-id`: the caller's when
 * it is well formed, else a random one), one log line when the response is done (its id, method,
 * redacted URL, status and time, as pino-http wrote it), the HTTP metrics by route pattern, and
 * draining (`connection: close` on every answer once `closing` aborted).
 *
 * It runs once per request at the top of the node request listener (requestListener.ts), so the
 * two paths cannot drift apart; the answering path only says which route pattern and operation it
 * ran (`RequestRecord`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { DomainMetrics } from '../metrics/domainMetrics.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** A request target's scheme and host (absolute-form, as a proxy sends it). */
const AUTHORITY = '[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*';
const ORIGIN = `(?:${AUTHORITY})?`;
const LEADING_AUTHORITY = new RegExp(`^${AUTHORITY}`);

/** The request target as Express's router read it (parseurl): origin-form as it is, absolute-form (`http://host/path?q`) without its scheme and host. */
export function originForm(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const authority = LEADING_AUTHORITY.exec(url);
  return authority ? url.slice(authority[0].length) || '/' : url;
}
/** Matched as the routes are: in any case, with or without one trailing slash. */
const INVITATION_CODE = new RegExp(`^(${ORIGIN}/v1/invitations/)[^/?]+`, 'i');
const DEALER_LOOKUP_QUERY = new RegExp(`^(${ORIGIN}/v1/dealer/(?:accounts|search)/?)\\?.*$`, 'i');

/** Invitation codes travel in the path, and a dealer's look-up and search have an e-mail address in their query: they never reach the logs. */
export function redactUrl(url: string): string {
  return url.replace(INVITATION_CODE, '$1[redacted]').replace(DEALER_LOOKUP_QUERY, '$1?[redacted]');
}

/** Credentials signed, told by the operation that answered 2xx (the same signing serves all three). */
const CREDENTIAL_OPERATIONS = new Map<string, 'issued' | 'refreshed'>([['createMainKey', 'issued'], ['acceptInvitation', 'issued'], ['refreshCredential', 'refreshed']]);

/** What the edge knows of one request; the path that answers fills in `route` and `operationId`. */
export interface RequestRecord {
  id: string;
  /** The route pattern that answered (a metrics label: bounded, no ids); unset: "unmatched" (a portal file or a 404). */
  route?: string;
  operationId?: string;
  /** The request's logger (its id, method and URL bound), made on first use. */
  readonly log: Logger;
}

const RECORD = Symbol('sdk.request');

/** The edge's record of a request, when the edge saw it. */
export function requestRecord(req: IncomingMessage): RequestRecord | undefined {
  return (req as IncomingMessage & { [RECORD]?: RequestRecord })[RECORD];
}

export interface RequestEdge {
  /** Start a request: headers, id, and the log line and metrics when its response is done. */
  begin(req: IncomingMessage, res: ServerResponse): RequestRecord;
  /** Draining began (after `closing` aborted): responses not yet sent close their connection too. */
  closeUnanswered(): void;
}

/**
 * @example const edge = requestEdge({ headers: securityHeaderList({ issuer }), logger, metrics, closing: controller.signal });
 */
export function requestEdge(opts: {
  headers: ReadonlyArray<readonly [string, string]>;
  logger: Logger;
  metrics: DomainMetrics;
  /** Aborted when the server drains: every answer from then on closes its connection. */
  closing: AbortSignal;
}): RequestEdge {
  const { headers, logger, metrics, closing } = opts;
  /** Responses not yet sent: when draining starts, they are told to close their connection. */
  const unanswered = new Set<ServerResponse>();

  return {
    begin(req, res) {
      const started = performance.now();
      for (const [name, value] of headers) res.setHeader(name, value);
      res.setHeader('cache-control', 'no-store');
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      /** The request as its log lines name it (the URL redacted), made once, on first use. */
      let named: { id: string; method: string; url: string } | undefined;
      const asLogged = () => (named ??= { id, method, url: redactUrl(url) });
      let log: Logger | undefined;
      const record: RequestRecord = {
        id,
        get log() {
          return (log ??= logger.child({ req: asLogged() }));
        },
      };
      (req as IncomingMessage & { [RECORD]?: RequestRecord })[RECORD] = record;
      // Draining: finish this request, then let the client reconnect elsewhere.
      if (closing.aborted) res.setHeader('connection', 'close');
      else unanswered.add(res);

      let done = false;
      const onFinish = () => {
        const status = res.statusCode;
        // The Express app behind the lean path only serves the portals' files and the 404: no route pattern.
        const route = record.route ?? 'unmatched';
        metrics.httpRequests.inc({ method, route, status: String(status) });
        metrics.httpLatency.observe({ method, route }, (performance.now() - started) / 1000);
        if (status === 429) metrics.rateLimited(route);
        const signed = status < 300 && record.operationId !== undefined ? CREDENTIAL_OPERATIONS.get(record.operationId) : undefined;
        if (signed) metrics.credentialSigned(signed);
        onDone();
      };
      // The line pino-http wrote: `request completed`, `request aborted` (closed before the response
      // was sent), or at error level `request errored` for a 5xx.
      const onDone = () => {
        if (done) return;
        done = true;
        unanswered.delete(res);
        res.removeListener('finish', onFinish);
        res.removeListener('close', onDone);
        const status = res.statusCode;
        const responseTime = Math.round(performance.now() - started);
        const line = { req: asLogged(), res: { statusCode: status }, responseTime };
        if (status >= 500) logger.error({ ...line, err: new Error(`failed with status code ${status}`) }, 'request errored');
        else logger.info(line, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
      };
      res.once('finish', onFinish);
      res.once('close', onDone);
      return record;
    },
    closeUnanswered() {
      for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
      unanswered.clear();
    },
  };
}
