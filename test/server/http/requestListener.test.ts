/**
 * The lean HTTP path (issue 11, throughput): the API routes are answered by our own node request
 * listener, the rest by Express behind it. Through HTTP: how paths and methods match (as Express's
 * router matched them), what a body may be, and that every answer — lean or Express — gets the
 * request edge's headers, one log line with the URL redacted, its metrics, and `connection: close`
 * once draining began.
 */
import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { createApp, type App } from '../../../server/app.js';
import { loadConfig } from '../../../server/config.js';
import { requestEdge } from '../../../server/http/requestEdge.js';
import { requestListener, type NodeMiddleware, type PlainRoute } from '../../../server/http/requestListener.js';
import { defineRoute, routeAnswerer, type RouteDefinition, type UndeclaredErrorListener } from '../../../server/http/route.js';
import { DomainMetrics } from '../../../server/metrics/domainMetrics.js';
import { MemoryStore } from '../../../server/store/memoryStore.js';

interface LogLine {
  level: number;
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
}
const lines: LogLine[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
    done();
  },
});

const API_CSP = "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'";
const KEY_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
const VIN = 'WVWZZZ1JZ3W386752';

/** A request listener on a free port. */
async function serve(listener: RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(listener).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An app on the memory store, served by `http.createServer(app.listener)` on a free port. */
async function startApp(env: Record<string, string>, logger = pino({ level: 'silent' })): Promise<{ app: App; port: number; close(): Promise<void> }> {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  const started = createApp({ config: loadConfig(env), store: new MemoryStore({ clock }), clock, issuerKey: await LocalIssuerKey.generate(), logger });
  const served = await serve(started.listener);
  return {
    app: started,
    port: served.port,
    async close() {
      await served.close();
      await started.close();
    },
  };
}

let app: App;
let port: number;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ app, port, close } = await startApp({ ANONYMOUS_RATE_LIMIT_PER_MINUTE: '1000' }, pino({ level: 'info' }, sink)));
});
afterAll(async () => {
  await close?.();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { error?: { code: string; message: string } } | undefined;
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
}
const send = (method: string, path: string, opts: SendOptions = {}) => sendTo(port, method, path, opts);

/** A request exactly as given (fetch would normalise the path and refuse some methods). */
function sendTo(port: number, method: string, path: string, opts: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = opts.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(opts.body)) };
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...length, ...opts.headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let json: Answer['json'];
        try {
          json = text && res.headers['content-type']?.startsWith('application/json') ? (JSON.parse(text) as Answer['json']) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const jsonBody = (body: string) => ({ headers: { 'content-type': 'application/json' }, body });

describe('which route answers', () => {
  it.each([
    ['a route with a parameter', 'POST', `/v1/keys/${KEY_ID}/credential`],
    ['a route with two parameters', 'DELETE', `/v1/vehicles/${VIN}/keys/${KEY_ID}`],
    ['a path in another case', 'GET', `/V1/Vehicles/${VIN}/KEYS`],
    ['a path with one trailing slash', 'GET', `/v1/vehicles/${VIN}/keys/`],
    ['a path with a query', 'GET', `/v1/vehicles/${VIN}/keys?x=1`],
    ['an absolute-form target (as a proxy sends it)', 'GET', `http://keys.example.com/v1/vehicles/${VIN}/keys?x=1`],
  ])('%s is a session route: 401 UNAUTHENTICATED without a token', async (_what, method, path) => {
    const res = await send(method, path, method === 'GET' ? {} : jsonBody('{}'));
    expect([res.status, res.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it.each([
    ['an unknown path', 'GET', '/v1/nothing'],
    ['a known path with a method it does not have', 'PUT', `/v1/keys/${KEY_ID}/credential`],
    ['GET on a POST route', 'GET', `/v1/keys/${KEY_ID}/credential`],
    ['an empty parameter', 'POST', '/v1/keys//credential'],
    ['two trailing slashes', 'GET', `/v1/vehicles/${VIN}/keys//`],
    ['an extra segment', 'GET', `/v1/vehicles/${VIN}/keys/${KEY_ID}/more`],
  ])('%s: 404 NOT_FOUND, as the router answered', async (_what, method, path) => {
    const res = await send(method, path, method === 'GET' ? {} : jsonBody('{}'));
    expect([res.status, res.json?.error?.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('a parameter is percent-decoded before its schema sees it; bad percent-encoding is 400', async () => {
    // An encoded VIN decodes to a valid one: the route runs (and wants a session).
    const encoded = await send('GET', `/v1/vehicles/${encodeURIComponent(VIN).replace('W', '%57')}/keys`);
    expect([encoded.status, encoded.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const bad = await send('GET', '/v1/invitations/%ZZ');
    expect([bad.status, bad.json?.error]).toEqual([400, { code: 'VALIDATION_FAILED', message: 'the path is not valid percent-encoding' }]);
  });

  it('a parameter that fails its schema is 400 VALIDATION_FAILED naming it', async () => {
    const res = await send('GET', '/v1/invitations/x');
    expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json?.error?.message).toMatch(/^params\.code/);
  });

  it('HEAD runs the GET route without a body; OPTIONS lists the methods of an API path', async () => {
    const head = await send('HEAD', `/v1/vehicles/${VIN}/keys`);
    expect([head.status, head.text, head.headers['content-type']]).toEqual([401, '', 'application/json; charset=utf-8']);
    const options = await send('OPTIONS', `/v1/vehicles/${VIN}/keys`);
    expect([options.status, options.headers.allow, options.text]).toEqual([200, 'GET, HEAD, POST', 'GET, HEAD, POST']);
  });

  it('the system routes answer on the lean path too: liveness, readiness, the JWKS (cacheable), the OpenAPI document; HEAD and OPTIONS as the router did', async () => {
    expect((await send('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await send('GET', '/readyz')).json).toEqual({ status: 'ready', store: 'memory', sync: 'live' });
    const jwks = await send('GET', '/.well-known/jwks.json');
    expect([jwks.status, jwks.headers['cache-control']]).toEqual([200, 'public, max-age=300']);
    expect((await send('GET', '/v1/openapi.json')).status).toBe(200);
    const head = await send('HEAD', '/healthz');
    expect([head.status, head.text]).toEqual([200, '']);
    const options = await send('OPTIONS', '/healthz');
    expect([options.status, options.headers.allow]).toEqual([200, 'GET, HEAD']);
    // Not a system route: without METRICS_TOKEN the public port has no /metrics.
    expect((await send('GET', '/metrics')).json?.error?.code).toBe('NOT_FOUND');
  });

  it('the portals still answer from the Express app behind', async () => {
    expect((await send('GET', '/dealer/index.html')).status).toBe(200);
  });
});

describe('what a body may be', () => {
  it.each([
    ['malformed JSON', jsonBody('{"email":'), 400, 'the body is not valid JSON'],
    ['a body over 64 kB', jsonBody(JSON.stringify({ email: 'a@b.cd', displayName: 'x'.repeat(70_000) })), 413, 'the body is too large'],
    ['a JSON string (strict: objects and arrays only)', jsonBody('"text"'), 400, 'the body is not valid JSON'],
    ['an unknown charset', { headers: { 'content-type': 'application/json; charset=klingon' }, body: '{}' }, 415, 'unsupported encoding'],
  ])('%s: %s VALIDATION_FAILED', async (_what, opts, status, message) => {
    const res = await send('POST', '/v1/accounts', opts);
    expect([res.status, res.json?.error]).toEqual([status, { code: 'VALIDATION_FAILED', message }]);
  });

  it('a body that is not application/json is not read: the route sees none and its schema refuses it', async () => {
    const res = await send('POST', '/v1/accounts', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ email: 'a@b.cd', displayName: 'A' }) });
    expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json?.error?.message).toMatch(/^body\.email/);
  });

  it('a well-formed body reaches the route', async () => {
    const res = await send('POST', '/v1/accounts', jsonBody(JSON.stringify({ email: 'lean@example.com', displayName: 'Lean' })));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
  });
});

describe('what every answer carries', () => {
  const answers: Array<[what: string, method: string, path: string, opts?: Parameters<typeof send>[2]]> = [
    ['a lean success', 'POST', '/v1/sessions/options', jsonBody('{}')],
    ['a lean refusal', 'POST', `/v1/keys/${KEY_ID}/credential`, jsonBody('{}')],
    ['a lean body error', 'POST', '/v1/accounts', jsonBody('{')],
    ['a system route (lean, plain)', 'GET', '/healthz'],
    ['an Express 404', 'GET', '/no/such/route'],
  ];

  it.each(answers)('%s: the security headers, no-store, a request id, no x-powered-by', async (_what, method, path, opts) => {
    const res = await send(method, path, opts);
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers.connection).toBe('keep-alive');
  });

  it('a well-formed request id is echoed, a malformed one replaced', async () => {
    expect((await send('POST', '/v1/sessions/options', { headers: { 'content-type': 'application/json', 'x-request-id': 'req-lean-0001' }, body: '{}' })).headers['x-request-id']).toBe('req-lean-0001');
    expect((await send('POST', '/v1/sessions/options', { headers: { 'content-type': 'application/json', 'x-request-id': 'bad id!' }, body: '{}' })).headers['x-request-id']).not.toBe('bad id!');
  });

  it('one log line per request, with its id, status and the invitation code redacted', async () => {
    const id = 'req-lean-log-0001';
    await send('GET', '/v1/invitations/SecretInvitationCode0123456789ab', { headers: { 'x-request-id': id } });
    await new Promise((resolve) => setImmediate(resolve));
    const mine = lines.filter((l) => l.req?.id === id);
    const completed = mine.filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.req).toEqual({ id, method: 'GET', url: '/v1/invitations/[redacted]' });
    expect(JSON.stringify(mine)).not.toContain('SecretInvitationCode');
  });

  it('metrics count lean answers by route pattern, never by id', async () => {
    await send('POST', `/v1/keys/${KEY_ID}/credential`, jsonBody('{}'));
    const text = await app.metrics.metrics();
    expect(text).toMatch(/sdk_http_requests_total\{method="POST",route="\/v1\/keys\/:keyId\/credential",status="401"\} [1-9]/);
    expect(text).toMatch(/sdk_http_request_seconds_count\{method="POST",route="\/v1\/keys\/:keyId\/credential"\} [1-9]/);
    expect(text).not.toContain(KEY_ID);
  });
});

describe('the anonymous rate limit', () => {
  it('anonymous routes carry the draft-8 RateLimit headers and answer 429 RATE_LIMITED with Retry-After once the budget is spent; session routes are not counted', async () => {
    const limited = await startApp({ ANONYMOUS_RATE_LIMIT_PER_MINUTE: '2' });
    const call = (method: string, path: string) => sendTo(limited.port, method, path, jsonBody('{}'));
    try {
      const first = await call('POST', '/v1/sessions/options');
      expect(first.status).toBe(200);
      expect(first.headers.ratelimit).toMatch(/^"2-in-1min"; r=1; t=\d+$/);
      expect(first.headers['ratelimit-policy']).toMatch(/^"2-in-1min"; q=2; w=60; pk=:[A-Za-z0-9+/=]+:$/);
      const session = await call('POST', `/v1/keys/${KEY_ID}/credential`);
      expect([session.status, session.headers.ratelimit]).toEqual([401, undefined]);
      expect((await call('POST', '/v1/sessions/options')).status).toBe(200);
      const over = await call('POST', '/v1/sessions/options');
      expect([over.status, over.json?.error?.code]).toEqual([429, 'RATE_LIMITED']);
      expect(over.headers['retry-after']).toMatch(/^\d+$/);
      expect(over.headers.ratelimit).toMatch(/^"2-in-1min"; r=0; t=\d+$/);
      expect(await limited.app.metrics.metrics()).toMatch(/sdk_rate_limited_total\{route="\/v1\/sessions\/options"\} 1/);
    } finally {
      await limited.close();
    }
  });
});

describe('draining', () => {
  it('once draining began, lean, plain and Express answers close their connection', async () => {
    const draining = await startApp({});
    const call = async (method: string, path: string, body?: string) => (await sendTo(draining.port, method, path, body === undefined ? {} : jsonBody(body))).headers.connection;
    try {
      expect(await call('POST', '/v1/sessions/options', '{}')).toBe('keep-alive');
      draining.app.beginShutdown();
      expect(await call('POST', '/v1/sessions/options', '{}')).toBe('close');
      expect(await call('POST', `/v1/keys/${KEY_ID}/credential`, '{}')).toBe('close');
      expect(await call('GET', '/healthz')).toBe('close');
      expect(await call('GET', '/no/such/route')).toBe('close');
    } finally {
      await draining.close();
    }
  });
});

describe('what escapes a route', () => {
  /** An anonymous GET route that declares no error code. */
  function anonymousGet(path: string, handler: RouteDefinition['handler']): RouteDefinition {
    return defineRoute({ method: 'get', path, operationId: path.replaceAll(/\W/g, ''), summary: path, tags: ['test'], auth: 'none', errors: [], responses: {}, handler });
  }

  /** A listener of its own, anonymous, for routes that fail as given. */
  function failingListener(routes: RouteDefinition[], plainRoutes: PlainRoute[], onUndeclaredError?: UndeclaredErrorListener) {
    return requestListener({
      edge: requestEdge({ headers: [], logger: pino({ level: 'silent' }), metrics: new DomainMetrics({ defaultMetrics: false }), closing: new AbortController().signal }),
      routes,
      plainRoutes,
      answer: routeAnswerer({ authenticate: () => Promise.resolve({ kind: 'anonymous' }), ...(onUndeclaredError ? { onUndeclaredError } : {}) }),
      parseJson: express.json() as unknown as NodeMiddleware,
      fallback: (_req, res) => res.writeHead(404).end(),
    });
  }

  it('a listener for undeclared codes that throws still gets the caller a 500 INTERNAL_ERROR answer, not a hung request and an unhandled rejection', async () => {
    const route = anonymousGet('/v1/throws', () => Promise.reject(new DigitalKeyError('KEY_NOT_FOUND')));
    const served = await serve(
      failingListener([route], [], () => {
        throw new Error('the listener failed');
      }),
    );
    try {
      const res = await sendTo(served.port, 'GET', '/v1/throws');
      expect([res.status, res.json?.error?.code]).toEqual([500, 'INTERNAL_ERROR']);
    } finally {
      await served.close();
    }
  });

  it('a plain route that throws is answered 500 INTERNAL_ERROR, and a route that fails once its stream began has its connection cut, not left open', async () => {
    const streaming = anonymousGet('/v1/stream-fails', ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': started\n\n');
      return Promise.reject(new Error('the stream failed'));
    });
    const plain: PlainRoute = { method: 'get', path: '/plain-fails', handle: () => Promise.reject(new Error('the plain route failed')) };
    const served = await serve(failingListener([streaming], [plain]));
    try {
      const res = await sendTo(served.port, 'GET', '/plain-fails');
      expect([res.status, res.json?.error?.code]).toEqual([500, 'INTERNAL_ERROR']);
      // The stream had begun; the failure after it cuts the connection (before or after its 200 reached the client), so no answer completes.
      const complete = await new Promise<boolean>((resolve) => {
        const req = request({ host: '127.0.0.1', port: served.port, path: '/v1/stream-fails' }, (res) => {
          res.on('error', () => {}); // "aborted": what is expected here
          res.resume();
          res.once('close', () => resolve(res.complete));
        });
        req.on('error', () => resolve(false)); // "socket hang up": cut before the 200 left
        req.end();
      });
      expect(complete).toBe(false);
    } finally {
      await served.close();
    }
  });
});
