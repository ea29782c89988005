/**
 * Subscriptions, wired to the store, the payment gateway, the outbox and the keys (R1, R4b, R9–R11).
 * The rules are the pure functions of this folder; this service reads the vehicle document, runs a
 * rule, and commits the result atomically with the vehicle — through the keys-lifecycle wipe
 * (wipeVehicleKeys) whenever the subscription ends, so "subscription ended" and "every key wiped"
 * are one commit whose audit entry says why (R4b, R13). Money moves only through the gateway port,
 * with idempotency keys recorded before each call (beginCharge.ts), so any step can be redone.
 *
 * Time-driven work (renewals, retries, ends) is `processVehicle`, which the scheduler
 * (subscriptionScheduler.ts) calls when the due index says so.
 */
import { randomUUID } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { wipeVehicleKeys, wipeWrites } from '../keys/wipeVehicleKeys.js';
import { wipeAllKeys } from '../domain/wipeAllKeys.js';
import type { Outbox } from '../notifications/outbox.js';
import type { AuditActorRole } from '../vehicles/auditTrail.js';
import { applyChargeResult } from './applyChargeResult.js';
import { beginCharge } from './beginCharge.js';
import { BillingEffects, chargeDescription } from './billingEffects.js';
import { PaymentLedger } from './paymentLedger.js';
import { assertPlanRequest, type BillingTerms } from './billingTerms.js';
import type { CancellationOutcome, CancelMode } from './cancellationOutcome.js';
import { cancelSubscription } from './cancelSubscription.js';
import type { CardWallet } from './cardWallet.js';
import { dueAction } from './dueAction.js';
import { DueIndex } from './dueIndex.js';
import { endSubscription } from './endSubscription.js';
import type { ChargeResult, PaymentGateway } from './paymentGateway.js';
import { releaseSubscription, type ReleaseReason } from './releaseSubscription.js';
import { setAutoRenew } from './setAutoRenew.js';
import { startSubscription } from './startSubscription.js';
import type { SubscriptionGate } from './subscriptionGate.js';
import { assertKeysAllowed, isLive } from './subscriptionAccess.js';
import { chargeUnderWay, type ChargeIntent, type EndReason, type PaymentEntry, type Plan } from '../domain/subscriptionRecord.js';
import type { Transition, TransitionEnv } from './subscriptionTransition.js';
import { subscriptionView, type SubscriptionViewBody } from './subscriptionView.js';
import { unansweredCharge } from './unansweredCharge.js';

type Actor = { accountId: AccountId | null; role: AuditActorRole };

const SYSTEM: Actor = { accountId: null, role: 'system' };
/** Due steps one `processVehicle` call runs at most (catching up after a long pause). */
const MAX_STEPS = 40;

const END_NOTES: Record<Extract<EndReason, 'trial-over' | 'not-renewed' | 'cancelled'>, string> = {
  'trial-over': 'subscription ended: the trial is over and no paid plan follows it (R9)',
  'not-renewed': 'subscription ended: the period is over and auto-renewal was off (R10)',
  cancelled: 'subscription ended: the cancellation took effect (R11)',
};

export interface SubscriptionServiceDeps {
  ctx: Pick<AppContext, 'vehicles' | 'manifests' | 'store' | 'clock' | 'logger' | 'metrics' | 'accounts' | 'config'>;
  outbox: Outbox;
  gateway: PaymentGateway;
  terms: BillingTerms;
  cards: CardWallet;
}

/** Which vehicle's subscription, and who asks (the main user: every call checks it). */
export interface SubscriptionTarget {
  vin: Vin;
  accountId: AccountId;
}

export type StartSubscriptionOpts = SubscriptionTarget & { plan: Plan; years?: number };

export interface StartSubscriptionResult {
  view: SubscriptionViewBody;
  /** A trial started, a paid plan is being charged (`pending`), or the paid plan waits for the trial to end (`queued`). */
  started: 'trial' | 'pending' | 'queued';
}

export type CancelSubscriptionOpts = SubscriptionTarget & { mode: CancelMode };

export interface CancelSubscriptionResult {
  view: SubscriptionViewBody;
  outcome: CancellationOutcome;
  keysWiped: boolean;
}

export interface CancellationQuote {
  outcome: CancellationOutcome;
  /** The currency of the refund: the one of the charge it refunds. */
  currency: string;
}

export type SetAutoRenewOpts = SubscriptionTarget & { autoRenew: boolean };

export interface EndStandardServicesResult {
  vehicle: VehicleRecord;
  revokedKeyIds: string[];
}

/** A ledger line as the main user sees it: the time in ISO 8601, the account left out. */
export type PaymentLine = Omit<PaymentEntry, 'accountId' | 'at'> & { at: string };

export class SubscriptionService implements SubscriptionGate {
  readonly effects: BillingEffects;
  readonly due: DueIndex;
  readonly ledger: PaymentLedger;

  constructor(private readonly deps: SubscriptionServiceDeps) {
    this.ledger = new PaymentLedger(deps.ctx);
    this.effects = new BillingEffects({ ctx: deps.ctx, outbox: deps.outbox, gateway: deps.gateway, ledger: this.ledger });
    this.due = new DueIndex(deps.ctx.store);
  }

  get terms(): BillingTerms {
    return this.deps.terms;
  }

  /** The rules' environment; `timeZone` is the customer's, in which consumer deadlines (R11) are counted. */
  #env(timeZone?: string): TransitionEnv {
    const { terms } = this.deps;
    return { nowMs: this.deps.ctx.clock.now(), terms: timeZone === undefined ? terms : { ...terms, timeZone }, newId: randomUUID };
  }

  /** The account's own time zone (Mijn Profiel), else none: the configured CUSTOMER_TIME_ZONE then applies. */
  async #zoneOf(accountId: AccountId): Promise<string | undefined> {
    return (await this.deps.ctx.accounts.find(accountId))?.timeZone;
  }

  /** R1, R4b: the gate every key issuance, refresh and invitation accept runs (SubscriptionGate). */
  assertKeysAllowed(vehicle: VehicleRecord): void {
    assertKeysAllowed(vehicle, this.deps.ctx.clock.now());
  }

  /** The API view of the caller's subscription on a vehicle. */
  async view({ vin, accountId }: SubscriptionTarget): Promise<SubscriptionViewBody> {
    const vehicle = await this.deps.ctx.vehicles.get(vin);
    assertMainUser(vehicle, accountId);
    return this.#viewOf(vehicle, accountId);
  }

  /** Refuse other callers before anything is written (the rules check again on the fresh document). */
  async #assertMainUser(vin: Vin, accountId: AccountId): Promise<void> {
    assertMainUser(await this.deps.ctx.vehicles.get(vin), accountId);
  }

  async #viewOf(vehicle: VehicleRecord, accountId: AccountId): Promise<SubscriptionViewBody> {
    return subscriptionView(vehicle, { accountId, nowMs: this.deps.ctx.clock.now(), terms: this.deps.terms, primaryCard: await this.deps.cards.primary(accountId) });
  }

  /**
   * Start a trial or a paid plan, or choose the paid plan that follows a running trial (R9, R10).
   * A paid plan is charged now (paid in advance): declined → PAYMENT_FAILED and no subscription;
   * a gateway that does not answer leaves it `pending-payment`, settled by the scheduler.
   */
  async start(request: StartSubscriptionOpts): Promise<StartSubscriptionResult> {
    const { ctx } = this.deps;
    const { vin, accountId } = request;
    assertPlanRequest(this.deps.terms, request.plan, request.years);
    await this.#assertMainUser(vin, accountId);
    // The card and the plan's entry in the account's subscriptions in one commit with the wallet, before
    // the plan's own commit: the card rule sees every paid plan being started (harmless if it fails).
    const zone = await this.#zoneOf(accountId);
    const reservedAt = ctx.clock.now();
    const reserved = request.plan === 'trial' ? null : await this.deps.cards.reserveForStart(accountId, vin, reservedAt);
    const card = reserved && { cardId: reserved.cardId, token: reserved.token, brand: reserved.brand, last4: reserved.last4 };
    await this.due.add(vin, ctx.clock.now());
    const { result } = await ctx.vehicles
      .update(vin, (v) => {
        const outcome = startSubscription(v, { accountId, plan: request.plan, ...(request.years !== undefined ? { years: request.years } : {}), card }, this.#env(zone));
        return { vehicle: outcome.vehicle, result: { started: outcome.started, subscriptionId: outcome.vehicle.subscriptions?.current?.subscriptionId } };
      })
      .catch(async (err: unknown) => {
        // Refused: this start's entry no longer stands for a plan being started (unless another start rewrote it).
        if (reserved) await this.deps.cards.releaseStart(accountId, vin, reservedAt);
        throw err;
      });
    const { started } = result;
    if (started === 'pending') await this.#settleCharge(vin);
    await this.runFollowUps(vin);
    const vehicle = await ctx.vehicles.get(vin);
    const sub = vehicle.subscriptions?.current;
    if (started === 'pending' && sub && sub.subscriptionId === result.subscriptionId && sub.status === 'ended' && sub.endReason === 'initial-payment-failed') {
      throw new DigitalKeyError('PAYMENT_FAILED', 'the first payment was declined: no subscription was started');
    }
    return { view: await this.#viewOf(vehicle, accountId), started };
  }

  /** R11: cancel or withdraw. Ends now (keys wiped, R4b) or at the boundary the rule says; a refund goes to the card that paid. */
  async cancel({ vin, accountId, mode }: CancelSubscriptionOpts): Promise<CancelSubscriptionResult> {
    await this.#assertMainUser(vin, accountId);
    await this.due.add(vin, this.deps.ctx.clock.now());
    const zone = await this.#zoneOf(accountId);
    const { wiped, transition } = await this.#commit(vin, (v) => cancelSubscription(v, { accountId, mode }, this.#env(zone)), { accountId, role: 'main' });
    await this.runFollowUps(vin);
    return { view: await this.view({ vin, accountId }), outcome: transition.outcome, keysWiped: wiped };
  }

  /**
   * R11: what cancelling or withdrawing would do now — when it ends and what is refunded — without
   * doing it, so the user sees the refund before confirming. The same pure rule as {@link cancel}.
   */
  async quoteCancellation({ vin, accountId, mode }: CancelSubscriptionOpts): Promise<CancellationQuote> {
    await this.#assertMainUser(vin, accountId);
    const vehicle = await this.deps.ctx.vehicles.get(vin);
    const { outcome } = cancelSubscription(vehicle, { accountId, mode }, this.#env(await this.#zoneOf(accountId)));
    // A refund goes back in the currency of the charge it refunds.
    return { outcome, currency: vehicle.subscriptions?.current?.lastCharge?.currency ?? this.terms.currency };
  }

  /** R10: turn auto-renewal off (ends at the period's end, no refund) or on again. */
  async setAutoRenew({ vin, accountId, autoRenew }: SetAutoRenewOpts): Promise<SubscriptionViewBody> {
    await this.#assertMainUser(vin, accountId);
    await this.due.add(vin, this.deps.ctx.clock.now());
    await this.deps.ctx.vehicles.update(vin, (v) => ({ vehicle: setAutoRenew(v, { accountId, autoRenew }), result: null }));
    await this.runFollowUps(vin);
    return this.view({ vin, accountId });
  }

  /**
   * R1, R4b: the main user ends Standard Services. The subscription cannot run without them: it ends
   * now (R11's cancellation refund for yearly and multi-year plans), and every key is wiped, in one commit.
   */
  async endStandardServices({ vin, accountId }: SubscriptionTarget): Promise<EndStandardServicesResult> {
    const { ctx } = this.deps;
    await this.#assertMainUser(vin, accountId);
    await this.due.add(vin, ctx.clock.now());
    const { vehicle, listWipedKeyIds } = await wipeVehicleKeys(ctx, {
      vin,
      reason: 'subscription-ended',
      actor: { accountId, role: 'main' },
      note: 'Standard Services ended by the main user (R1): the subscription ends with them',
      change: (v) => {
        assertMainUser(v, accountId);
        const services = { ...v, standardServices: { active: false, changedAt: ctx.clock.now() } };
        return releaseSubscription(services, { reason: 'standard-services-ended', wipe: false }, this.#env()).vehicle;
      },
    });
    await this.runFollowUps(vin);
    return { vehicle, revokedKeyIds: await listWipedKeyIds() };
  }

  /** SubscriptionGate: before a commit in which the main user leaves (claim by another, removal) — file the vehicle as due now. */
  async expectFollowUps(vin: Vin): Promise<void> {
    await this.due.add(vin, this.deps.ctx.clock.now());
  }

  async beforeMainUserLeaves(vin: Vin): Promise<void> {
    await this.due.add(vin, this.deps.ctx.clock.now());
  }

  /** SubscriptionGate: inside that commit — the leaving main user's subscription ends (R4b; the caller's commit wipes the keys). */
  mainUserLeaves(vehicle: VehicleRecord, reason: Extract<ReleaseReason, 'main-user-changed' | 'vehicle-removed'>): VehicleRecord {
    return releaseSubscription(vehicle, { reason, wipe: false }, this.#env()).vehicle;
  }

  /**
   * The follow-ups of a committed change: carry out its effects now (refunds, notices) and file the
   * vehicle under its next due time. Never throws: the change has happened, and every caller filed the vehicle as due before
   * committing, so whatever fails here the scheduler redoes.
   */
  async runFollowUps(vin: Vin): Promise<void> {
    try {
      await this.effects.apply(vin);
      const vehicle = await this.deps.ctx.vehicles.find(vin);
      if (vehicle) await this.due.sync(vehicle);
    } catch (err) {
      this.deps.ctx.logger.warn({ err, vin }, 'subscription follow-up deferred to the scheduler');
    }
  }

  /**
   * Do every piece of subscription work due on this vehicle now: follow-up effects, then each due
   * action in turn (a charge, an end, a release) until none is left. Idempotent: each step is decided
   * on the fresh document and committed with compare-and-set, so running it twice, concurrently or
   * after a crash does each thing once.
   */
  async processVehicle(vin: Vin): Promise<void> {
    const { ctx } = this.deps;
    await this.effects.apply(vin);
    for (let step = 0; step < MAX_STEPS; step++) {
      const vehicle = await ctx.vehicles.find(vin);
      if (!vehicle) return;
      const now = ctx.clock.now();
      const action = dueAction(vehicle, now);
      if (!action) break;
      if (action.kind === 'charge') {
        const settled = await this.#charge(vin);
        await this.effects.apply(vin);
        if (!settled) break;
        continue;
      }
      await this.#commit(
        vin,
        (v): Transition => {
          const fresh = dueAction(v, now);
          if (fresh?.kind === 'release') return releaseSubscription(v, { reason: fresh.reason, wipe: true }, this.#env());
          if (fresh?.kind === 'end') return endSubscription(v, { reason: fresh.reason, usesTrial: fresh.reason === 'trial-over', wipe: true, note: END_NOTES[fresh.reason] }, this.#env());
          return { vehicle: v };
        },
        SYSTEM,
      );
      await this.effects.apply(vin);
    }
  }

  /** A due renewal, conversion or retry: write its intent (if not there yet), then settle it. False if the gateway did not answer. */
  async #charge(vin: Vin): Promise<boolean> {
    const { ctx } = this.deps;
    const vehicle = await ctx.vehicles.get(vin);
    const sub = vehicle.subscriptions?.current;
    if (sub && !chargeUnderWay(sub)) {
      // R10: only the payer's primary card is charged.
      const card = await chargeCardOf(this.deps.cards, sub.accountId);
      const now = ctx.clock.now();
      await ctx.vehicles.update(vin, (v) => ({ vehicle: dueAction(v, now)?.kind === 'charge' ? beginCharge(v, card, this.#env()) : v, result: null }));
    }
    return this.#settleCharge(vin);
  }

  /**
   * Send the subscription's charge intent to the gateway (same idempotency key however often this
   * runs) and commit the answer. Returns false when the gateway did not answer (outcome unknown).
   */
  async #settleCharge(vin: Vin): Promise<boolean> {
    const { ctx, gateway } = this.deps;
    const intent = chargeUnderWay((await ctx.vehicles.get(vin)).subscriptions?.current);
    if (!intent) return true;
    let result: ChargeResult;
    if (!intent.card) {
      result = { status: 'declined', failure: 'no_primary_card' };
    } else {
      try {
        result = await gateway.charge({ amountCents: intent.amountCents, currency: intent.currency, cardToken: intent.card.token, idempotencyKey: intent.key, description: chargeDescription(vin, intent) });
      } catch (err) {
        ctx.logger.warn({ err, vin, key: intent.key }, 'charge outcome unknown: it will be retried with the same idempotency key');
        // Resumed after a growing backoff; past R10's retry window it counts as a failed attempt (unansweredCharge.ts).
        await this.#commit(vin, (v) => unansweredCharge(v, intent, this.#env()), SYSTEM).catch((e: unknown) => {
          ctx.logger.warn({ err: e, vin, key: intent.key }, 'unanswered charge not recorded: the scheduler resumes it');
        });
        return false;
      }
    }
    const zone = await this.#zoneOf(intent.accountId);
    await this.#commit(vin, (v) => applyChargeResult(v, intent, result, this.#env(zone)), SYSTEM);
    return true;
  }

  /**
   * Commit a rule's transition on the fresh vehicle document, in the vehicle's one compare-and-set
   * loop (the rule re-runs on the document each commit expects): when it ends the subscription, the
   * same commit wipes every key (R4b) and writes the audit entry with the rule's note (R13), and the
   * new manifest goes to the cars.
   */
  async #commit<T extends Transition>(vin: Vin, rule: (vehicle: VehicleRecord) => T, actor: Actor): Promise<{ vehicle: VehicleRecord; wiped: boolean; transition: T }> {
    const { ctx } = this.deps;
    const { vehicle, result } = await ctx.vehicles.update(vin, (current) => {
      const t = rule(current);
      if (!t.wipe) return { vehicle: t.vehicle, result: { wiped: false, transition: t } };
      const next = wipeAllKeys(t.vehicle, ctx.clock.now());
      const sub = t.vehicle.subscriptions?.current;
      const writes = wipeWrites(ctx, current, next, {
        reason: 'subscription-ended',
        actor,
        note: t.wipe.note,
        detail: { subscriptionId: sub?.subscriptionId, plan: sub?.plan, cause: t.wipe.cause },
      });
      return { vehicle: next, writes, result: { wiped: true, transition: t } };
    });
    if (result.wiped) ctx.metrics.keysWiped('subscription-ended');
    if (result.wiped) await ctx.manifests.publish(vehicle);
    return { vehicle, ...result };
  }

  /** Whether the account pays an active subscription (a paid plan, or a trial with a paid plan queued): the primary-card rule. */
  async paysActiveSubscription(accountId: AccountId): Promise<boolean> {
    const { ctx } = this.deps;
    let paying = false;
    for (const [vin, markedAt] of await this.deps.cards.startsOf(accountId)) {
      const sub = (await ctx.vehicles.find(vin))?.subscriptions?.current;
      // A plan being started: its entry is written, its own commit not yet made (or it is about to fail).
      const starting = (!sub || sub.createdAt < markedAt) && ctx.clock.now() - markedAt < START_IN_FLIGHT_MS;
      const pays = starting || (sub?.accountId === accountId && (sub.status === 'pending-payment' || (isLive(sub) && (sub.plan !== 'trial' || sub.next !== undefined))));
      if (pays) paying = true;
      // Tidy entries of subscriptions that ended (an entry is only a hint; the document decides) — only
      // an entry older than the subscription on the vehicle: a newer one may belong to a start whose
      // commit is still to come (`start` writes it first), and must stay for the card rule.
      else if (sub && sub.createdAt > markedAt && (sub.accountId !== accountId || sub.status === 'ended')) await this.deps.cards.forgetStart(accountId, vin);
    }
    return paying;
  }

  /** The caller's ledger lines for a vehicle: every amount charged or refunded (R10, R11). */
  async payments({ vin, accountId }: SubscriptionTarget, limit = 200): Promise<PaymentLine[]> {
    const { ctx } = this.deps;
    assertMainUser(await ctx.vehicles.get(vin), accountId);
    return (await this.ledger.lines(vin, limit))
      .filter((e) => e.accountId === accountId)
      .map(({ accountId: _a, at, ...rest }) => ({ ...rest, at: new Date(at).toISOString() }));
  }
}

/** How long a paid plan's start may take between its card reservation and its own commit (then the entry is stale). */
const START_IN_FLIGHT_MS = 5 * 60_000;

/** R10: the card a charge uses — the account's primary card (token for the gateway, brand and last 4 for people), or none. */
async function chargeCardOf(cards: CardWallet, accountId: AccountId): Promise<ChargeIntent['card']> {
  const primary = await cards.primary(accountId);
  return primary ? { cardId: primary.cardId, token: primary.token, brand: primary.brand, last4: primary.last4 } : null;
}
