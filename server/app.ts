/**
 * The Express app factory: one constructor wires config, store, clock, issuer key, repositories and
 * routes. Nothing here reads the environment or opens ports (main.ts does), so tests build as many
 * apps as they like, on any store and clock.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { rateLimit, type Store as RateLimitStore } from 'express-rate-limit';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../shared/clock.js';
import type { IssuerSigningKey } from '../shared/credential/issuerKey.js';
import { DigitalKeyError } from '../shared/errors/digitalKeyError.js';
import { AccountRepository } from './accounts/accountRepository.js';
import { CeremonyChallenges } from './accounts/ceremonyChallenges.js';
import { VerifiedSessions } from './accounts/verifiedSessions.js';
import type { AppContext } from './appContext.js';
import type { Config } from './config.js';
import { createAuthenticator } from './http/authenticate.js';
import { errorHandler } from './http/errorHandler.js';
import { securityHeaders } from './http/securityHeaders.js';
import { openApiDocument } from './http/openApiDocument.js';
import { mountRoutes, type RouteDefinition, type UndeclaredErrorListener } from './http/route.js';
import { createLogger, type Logger } from './logger.js';
import { DomainMetrics } from './metrics/domainMetrics.js';
import { meteredPaymentGateway } from './metrics/meteredPaymentGateway.js';
import { logMailer, Outbox, type Mailer } from './notifications/outbox.js';
import { accountRoutes } from './routes/accountRoutes.js';
import { myVehicleRoutes } from './routes/myVehicleRoutes.js';
import { notificationRoutes } from './routes/notificationRoutes.js';
import { profileRoutes } from './routes/profileRoutes.js';
import { dealerEnrolmentRoutes } from './routes/dealerEnrolmentRoutes.js';
import { dealerAccountRoutes } from './routes/dealerAccountRoutes.js';
import { recoveryRoutes } from './routes/recoveryRoutes.js';
import { mountSystemRoutes } from './routes/systemRoutes.js';
import { keyRoutes } from './routes/keyRoutes.js';
import { standardServicesRoutes } from './routes/standardServicesRoutes.js';
import { vehicleRoutes } from './routes/vehicleRoutes.js';
import { sharingRoutes } from './routes/sharingRoutes.js';
import { dealerRoutes } from './routes/dealerRoutes.js';
import { cardRoutes } from './routes/cardRoutes.js';
import { DEALER_PORTAL_PATH, dealerPortal } from './portal/dealerPortal.js';
import { mountCustomerPortal } from './portal/customerPortal.js';
import { subscriptionRoutes } from './routes/subscriptionRoutes.js';
import { billingTermsFromConfig } from './subscriptions/billingTerms.js';
import { CardWallet } from './subscriptions/cardWallet.js';
import type { PaymentGateway } from './subscriptions/paymentGateway.js';
import { SimulatedPaymentGateway } from './subscriptions/simulatedPaymentGateway.js';
import type { SubscriptionGate } from './subscriptions/subscriptionGate.js';
import { SubscriptionScheduler } from './subscriptions/subscriptionScheduler.js';
import { SubscriptionService } from './subscriptions/subscriptionService.js';
import { vehicleApiAuthenticator, vehicleApiRoutes } from './routes/vehicleApiRoutes.js';
import { ManifestHub } from './vehicles/manifestHub.js';
import type { Store } from './store/store.js';
import { StateManifests } from './vehicles/stateManifests.js';
import { TrustUpdates, type OtherIssuerKey } from './vehicles/trustUpdates.js';
import { VehicleRepository } from './vehicles/vehicleRepository.js';

export interface CreateAppOptions {
  config: Config;
  store: Store;
  issuerKey: IssuerSigningKey;
  /** Other issuer keys of a key rotation (ISSUER_EXTRA_JWKS): published, trusted, told to the cars. */
  otherIssuerKeys?: OtherIssuerKey[];
  clock?: Clock;
  logger?: Logger;
  mailer?: Mailer;
  /** The payment provider; default: the simulator (PAYMENT_GATEWAY). Share one between instances in tests. */
  paymentGateway?: PaymentGateway;
  /**
   * Where the anonymous routes' rate-limit counters live; default: this process's memory. main.ts
   * passes a Redis one (server/http/redisRateLimitStore.ts) when the store is Redis, so instances share the budget.
   */
  anonymousRateLimitStore?: RateLimitStore;
  /** Told when a route answers an error code its definition does not list; default: an error log line. */
  onUndeclaredError?: UndeclaredErrorListener;
}

export interface App {
  express: Express;
  ctx: AppContext;
  outbox: Outbox;
  routes: RouteDefinition[];
  /** The OpenAPI document served at GET /v1/openapi.json (its server is ISSUER). */
  openApi: Record<string, unknown>;
  hub: ManifestHub;
  /** Subscriptions (R9–R11): the service behind the routes and the keys gate. */
  subscriptions: SubscriptionService;
  /** Time-driven subscription work: `runDue()` on demand, or `start(intervalMs)` on a timer (main.ts). */
  scheduler: SubscriptionScheduler;
  paymentGateway: PaymentGateway;
  /** Every metric of this app, for the metrics listener (server/metrics/metricsServer.ts; main.ts starts it). */
  metrics: Registry;
  /** Start draining: open sync streams get a retry hint and end; new responses close their connection. */
  beginShutdown(): void;
  /** Stop background work (subscriptions); does not close the store. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Invitation codes travel in the path, and a dealer's look-up and search have an e-mail address in their query: they never reach the logs. */
export function redactUrl(url: string): string {
  return url.replace(/^\/v1\/invitations\/[^/?]+/, '/v1/invitations/[redacted]').replace(/^(\/v1\/dealer\/(?:accounts|search))\?.*$/, '$1?[redacted]');
}

/** Credentials signed, told by the operation that answered 2xx (the same signing serves all three). */
const CREDENTIAL_OPERATIONS = new Map<unknown, 'issued' | 'refreshed'>([['createMainKey', 'issued'], ['acceptInvitation', 'issued'], ['refreshCredential', 'refreshed']]);

/** The route pattern a request matched (for metrics labels: bounded, no ids), or "unmatched". */
function routePattern(req: express.Request): string {
  const route: unknown = req.route;
  return typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string' ? route.path : 'unmatched';
}

export function createApp(opts: CreateAppOptions): App {
  const { config, store, issuerKey } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.LOG_LEVEL });
  const accounts = new AccountRepository(store);
  const metrics = new DomainMetrics();
  const outbox = new Outbox({
    store,
    clock,
    mailer: opts.mailer ?? logMailer(logger),
    emailOf: async (accountId) => {
      const account = await accounts.find(accountId);
      return account && account.closedAt === undefined ? account.email : null;
    },
    entriesKept: config.OUTBOX_ENTRIES_KEPT,
  });
  const trustUpdates = new TrustUpdates({ issuer: config.ISSUER, issuerKey, others: opts.otherIssuerKeys ?? [], clock });
  const ctx: AppContext = {
    config,
    store,
    clock,
    logger,
    issuerKey,
    trust: { issuer: config.ISSUER, jwks: { keys: trustUpdates.keys } },
    trustUpdates,
    rp: { rpId: config.RP_ID, rpName: config.RP_NAME, origins: config.RP_ORIGINS },
    accounts,
    challenges: new CeremonyChallenges({ store, clock, ttlSeconds: config.CHALLENGE_TTL }),
    vehicles: new VehicleRepository(store, { auditEntriesKept: config.VEHICLE_AUDIT_ENTRIES_KEPT, auditYears: config.AUDIT_RETENTION_YEARS }),
    manifests: new StateManifests({ store, clock, issuer: config.ISSUER, issuerKey, metrics }),
    outbox,
    metrics,
  };
  const paymentGateway = opts.paymentGateway ?? new SimulatedPaymentGateway({ seed: config.PAYMENT_SIMULATOR_SEED });
  const gateway = meteredPaymentGateway(paymentGateway, metrics);
  const cards = new CardWallet(store);
  const subscriptions = new SubscriptionService({ ctx, outbox, gateway, terms: billingTermsFromConfig(config), cards });
  const scheduler = new SubscriptionScheduler({ ctx, service: subscriptions, leaseMs: config.SCHEDULER_LEASE * 1000 });
  // R1, R4b: what key and vehicle operations may ask of subscriptions, and nothing more.
  const gate: SubscriptionGate = subscriptions;

  const closing = new AbortController();
  /** Responses not yet sent: when draining starts, they are told to close their connection. */
  const unanswered = new Set<express.Response>();
  const hub = new ManifestHub(ctx.manifests, (err) => logger.error({ err }, 'manifest fan-out failed'));
  metrics.countConnectedCars(() => hub.connectedVehicles);
  const routes = [
    ...accountRoutes(ctx),
    ...profileRoutes(ctx, { gate }),
    ...notificationRoutes(ctx),
    ...myVehicleRoutes(ctx),
    ...vehicleRoutes(ctx, { gate, outbox }),
    ...standardServicesRoutes(ctx, subscriptions),
    ...keyRoutes(ctx, { gate }),
    ...subscriptionRoutes(ctx, subscriptions),
    ...cardRoutes(ctx, { cards, gateway, subscriptions }),
    ...sharingRoutes(ctx, { gate }),
    ...dealerRoutes(ctx),
    ...dealerAccountRoutes(ctx),
    ...dealerEnrolmentRoutes(ctx),
    ...recoveryRoutes(ctx),
    ...vehicleApiRoutes(ctx, hub, closing.signal),
  ];


  const app = express();
  app.disable('x-powered-by');
  // No ETag hashed for each body: API answers are never cached (cache-control: no-store below), and
  // the few that may be (the JWKS, max-age 300) are small enough to fetch whole.
  app.set('etag', false);
  app.set('trust proxy', false);
  // First, so every answer carries them, errors included; the portals replace the CSP with theirs.
  app.use(securityHeaders({ issuer: config.ISSUER }));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      // What a request's line needs: its id, method, (redacted) URL and status; not every header.
      serializers: {
        req: (req: { id: unknown; method: unknown; url: unknown }) => ({ id: req.id, method: req.method, url: redactUrl(String(req.url)) }),
        res: (res: { statusCode: unknown }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req, res, next) => {
    const end = metrics.httpLatency.startTimer();
    res.on('finish', () => {
      const route = routePattern(req);
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
      if (res.statusCode === 429) metrics.rateLimited(route);
      const signed = res.statusCode < 300 ? CREDENTIAL_OPERATIONS.get(res.locals.operationId) : undefined;
      if (signed) metrics.credentialSigned(signed);
    });
    res.setHeader('cache-control', 'no-store');
    // Draining: finish this request, then let the client reconnect elsewhere.
    if (closing.signal.aborted) res.setHeader('connection', 'close');
    else {
      unanswered.add(res);
      res.once('close', () => unanswered.delete(res));
      res.once('finish', () => unanswered.delete(res));
    }
    next();
  });
  app.use(express.json({ limit: '64kb', strict: true }));
  // The dealer desk (web/dealer, built by Vite): its own strict headers, on /dealer/* only.
  app.use(DEALER_PORTAL_PATH, dealerPortal());
  // The customer portal (web/, built by Vite): /account/ and its bundles at /assets/.
  mountCustomerPortal(app, logger);

  const router = express.Router();
  mountSystemRoutes(router, ctx, metrics.registry, hub);
  const document = openApiDocument({ routes, serverUrl: config.ISSUER });
  router.get('/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  // Anonymous routes write challenge and account records: each client address gets a budget.
  const anonymousLimit = rateLimit({
    windowMs: 60_000,
    limit: config.ANONYMOUS_RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new DigitalKeyError('RATE_LIMITED')),
    ...(opts.anonymousRateLimitStore ? { store: opts.anonymousRateLimitStore } : {}),
    // Redis away: let the request through; its route then answers 503 STORE_UNAVAILABLE itself.
    passOnStoreError: true,
  });
  const onUndeclaredError: UndeclaredErrorListener =
    opts.onUndeclaredError ?? ((route, code) => logger.error({ operationId: route.operationId, code }, 'a route answered an error code its definition does not list'));
  const sessions = new VerifiedSessions({ onLookup: (outcome) => metrics.sessionLookedUp(outcome) });
  mountRoutes(router, routes, createAuthenticator(ctx, vehicleApiAuthenticator(ctx), sessions), anonymousLimit, onUndeclaredError);
  app.use(router);
  app.use((_req, _res, next) => next(new DigitalKeyError('NOT_FOUND', 'no such route')));
  app.use(errorHandler);

  return {
    express: app,
    ctx,
    outbox,
    routes,
    openApi: document,
    hub,
    subscriptions,
    scheduler,
    paymentGateway,
    metrics: metrics.registry,
    beginShutdown() {
      closing.abort();
      for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
      unanswered.clear();
    },
    async close() {
      closing.abort();
      await scheduler.stop();
      await hub.close();
    },
  };
}
