/**
 * The app factory: one constructor wires config, store, clock, issuer key, repositories and
 * routes, and the HTTP request listener that serves them (the API and system routes on the lean
 * path; the portals' files and the 404 on Express behind it: server/http/requestListener.ts). Nothing here reads the
 * environment or opens ports (main.ts does), so tests build as many apps as they like, on any store
 * and clock.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../shared/clock.js';
import type { IssuerSigningKey } from '../shared/credential/issuerKey.js';
import { DigitalKeyError } from '../shared/errors/digitalKeyError.js';
import { AccountRepository } from './accounts/accountRepository.js';
import { CeremonyChallenges } from './accounts/ceremonyChallenges.js';
import { VerifiedSessions } from './accounts/verifiedSessions.js';
import type { AppContext } from './appContext.js';
import type { Config } from './config.js';
import { anonymousRateLimit } from './http/anonymousRateLimit.js';
import { createAuthenticator } from './http/authenticate.js';
import { errorHandler } from './http/errorHandler.js';
import { securityHeaderList } from './http/securityHeaders.js';
import { openApiDocument } from './http/openApiDocument.js';
import { requestEdge } from './http/requestEdge.js';
import { requestListener, type NodeMiddleware } from './http/requestListener.js';
import { routeAnswerer, type RouteDefinition, type UndeclaredErrorListener } from './http/route.js';
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
import { systemRoutes } from './routes/systemRoutes.js';
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
import { HolderBuckets } from './store/holderBuckets.js';
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
  /**
   * The request listener that serves everything: `http.createServer(app.listener)` or
   * `server.on('request', app.listener)`. API routes never reach Express.
   */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
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

export function createApp(opts: CreateAppOptions): App {
  const { config, store, issuerKey } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.LOG_LEVEL });
  const buckets = new HolderBuckets(store, { bits: config.INDEX_BUCKET_BITS });
  const accounts = new AccountRepository(store, buckets);
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
    vehicles: new VehicleRepository(store, { auditEntriesKept: config.VEHICLE_AUDIT_ENTRIES_KEPT, auditYears: config.AUDIT_RETENTION_YEARS }, accounts),
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


  const edge = requestEdge({ headers: securityHeaderList({ issuer: config.ISSUER }), logger, metrics, closing: closing.signal });
  const parseJson = express.json({ limit: '64kb', strict: true });

  // The portals and every 404, behind the lean path: what the request edge did (headers, request
  // id, log line, metrics, draining) is done, and no ETag is hashed for each body (answers are never cached).
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  // The dealer desk (web/dealer, built by Vite): its own strict headers, on /dealer/* only.
  app.use(DEALER_PORTAL_PATH, dealerPortal());
  // The customer portal (web/, built by Vite): /account/ and its bundles at /assets/.
  mountCustomerPortal(app, logger);
  const document = openApiDocument({ routes, serverUrl: config.ISSUER });
  app.use((_req, _res, next) => next(new DigitalKeyError('NOT_FOUND', 'no such route')));
  app.use(errorHandler);

  const onUndeclaredError: UndeclaredErrorListener =
    opts.onUndeclaredError ?? ((route, code) => logger.error({ operationId: route.operationId, code }, 'a route answered an error code its definition does not list'));
  const sessions = new VerifiedSessions({ onLookup: (outcome) => metrics.sessionLookedUp(outcome) });
  const listener = requestListener({
    edge,
    routes,
    plainRoutes: systemRoutes(ctx, { metrics: metrics.registry, hub, openApi: document }),
    answer: routeAnswerer({ authenticate: createAuthenticator(ctx, vehicleApiAuthenticator(ctx), sessions), onUndeclaredError }),
    parseJson: parseJson as unknown as NodeMiddleware,
    // Anonymous routes write challenge and account records: each client address gets a budget.
    anonymousLimit: anonymousRateLimit({ limit: config.ANONYMOUS_RATE_LIMIT_PER_MINUTE, ...(opts.anonymousRateLimitStore ? { store: opts.anonymousRateLimitStore } : {}) }),
    fallback: app,
  });

  return {
    listener,
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
      edge.closeUnanswered();
    },
    async close() {
      closing.abort();
      await scheduler.stop();
      await hub.close();
    },
  };
}
