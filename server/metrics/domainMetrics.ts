/**
 * Every metric the server exports, on one registry per app (so tests can run many apps in one
 * process): HTTP traffic, and the domain's own events — credentials, wipes, revocations, manifests,
 * connected cars, the scheduler, payments, rate-limit refusals. Labels are bounded sets (a route
 * pattern, a reason from a fixed list, an outcome): never a VIN, an account or a key id.
 *
 * Operations count through `ctx.metrics`; createApp counts what it sees at the HTTP edge and wraps
 * the payment gateway (server/metrics/meteredPaymentGateway.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WipeReason } from '../domain/wipeAllKeys.js';

/** Revocation reasons as operations write them (a dealer's note follows "lost-phone:"); anything else is "other". */
const REVOCATION_REASONS = new Set(['revoked-by-user', 'lost-phone', 'passkey-removed', 'account-closed']);

/** Seconds, from a few milliseconds (pub/sub) to minutes (a scheduler that fell behind). */
const LAG_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 1800];

export class DomainMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'sdk_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly httpLatency = new Histogram({ name: 'sdk_http_request_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'], registers: [this.registry] });
  readonly #credentials = new Counter({ name: 'sdk_credentials_total', help: 'Key credentials signed, by kind (issued with a new key, or refreshed)', labelNames: ['kind'], registers: [this.registry] });
  readonly #wipes = new Counter({ name: 'sdk_key_wipes_total', help: 'Wipes of every key of a vehicle (R4), by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly #revocations = new Counter({ name: 'sdk_key_revocations_total', help: 'Single keys revoked, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly #manifestsPublished = new Counter({ name: 'sdk_manifests_published_total', help: 'State manifests published to the cars (on this instance)', registers: [this.registry] });
  readonly #deliveryLag = new Histogram({ name: 'sdk_manifest_delivery_lag_seconds', help: 'From a manifest published (any instance) to its hand-over to the sync streams of this instance', buckets: LAG_BUCKETS, registers: [this.registry] });
  readonly #schedulerRuns = new Counter({ name: 'sdk_scheduler_runs_total', help: 'Runs of the subscription scheduler', registers: [this.registry] });
  readonly #schedulerVehicles = new Counter({ name: 'sdk_scheduler_vehicles_total', help: 'Vehicles with due subscription work, by outcome (processed, skipped: leased by another instance, failed: stays due)', labelNames: ['outcome'], registers: [this.registry] });
  readonly #schedulerLag = new Histogram({ name: 'sdk_scheduler_lag_seconds', help: 'How late due subscription work was picked up', buckets: LAG_BUCKETS, registers: [this.registry] });
  readonly #payments = new Counter({ name: 'sdk_payments_total', help: 'Payment gateway calls, by operation and outcome (unknown: the call threw; retried with the same key)', labelNames: ['operation', 'outcome'], registers: [this.registry] });
  readonly #sessionLookups = new Counter({ name: 'sdk_session_cache_lookups_total', help: 'Session tokens looked up by the authenticator: hit (verified before on this instance) or miss (ES256 verified now)', labelNames: ['outcome'], registers: [this.registry] });
  readonly #rateLimited = new Counter({ name: 'sdk_rate_limited_total', help: 'Requests refused with RATE_LIMITED, by route pattern', labelNames: ['route'], registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Cars with an open sync stream on this instance, read at each scrape. */
  countConnectedCars(read: () => number): void {
    new Gauge({ name: 'sdk_sync_connected_cars', help: 'Vehicles with an open sync stream on this instance', registers: [this.registry], collect() { this.set(read()); } });
  }

  credentialSigned(kind: 'issued' | 'refreshed'): void {
    this.#credentials.inc({ kind });
  }

  keysWiped(reason: WipeReason): void {
    this.#wipes.inc({ reason });
  }

  keyRevoked(reason: string): void {
    const [head = ''] = reason.split(':');
    this.#revocations.inc({ reason: REVOCATION_REASONS.has(head) ? head : 'other' });
  }

  manifestPublished(): void {
    this.#manifestsPublished.inc();
  }

  manifestDelivered(lagMs: number): void {
    this.#deliveryLag.observe(Math.max(0, lagMs) / 1000);
  }

  schedulerRan(summary: { processed: number; skipped: number; failed: number }): void {
    this.#schedulerRuns.inc();
    for (const outcome of ['processed', 'skipped', 'failed'] as const) this.#schedulerVehicles.inc({ outcome }, summary[outcome]);
  }

  schedulerPickedUp(lateMs: number): void {
    this.#schedulerLag.observe(Math.max(0, lateMs) / 1000);
  }

  payment(operation: 'charge' | 'refund', outcome: 'succeeded' | 'declined' | 'failed' | 'unknown'): void {
    this.#payments.inc({ operation, outcome });
  }

  sessionLookedUp(outcome: 'hit' | 'miss'): void {
    this.#sessionLookups.inc({ outcome });
  }

  rateLimited(route: string): void {
    this.#rateLimited.inc({ route });
  }
}
