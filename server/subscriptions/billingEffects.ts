/**
 * Carries out the follow-up work committed changes left on a vehicle's subscription (R10, R11):
 * refunds to the card that paid, reconciliations of charges whose outcome was unknown when they
 * were dropped (unneededCharge.ts), payment-ledger lines, and notices through the outbox. Each is
 * idempotent by its id — the refund's id is the gateway's idempotency key, a ledger line is written
 * together with an "already done" marker, a notice is stored once per id — so two instances or a
 * run redone after a crash never refund, record or notify twice. A refund the gateway cannot be
 * reached for (a refund or a reconciliation) stays pending and is retried with a growing delay.
 */
import type { Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { Outbox } from '../notifications/outbox.js';
import { refundIssuedNotice } from './billingNotices.js';
import type { PaymentGateway } from './paymentGateway.js';
import type { PaymentLedger } from './paymentLedger.js';
import { withEffects, type BillingEffect, type ChargeIntent, type LedgerEffect, type ReconcileEffect, type RefundEffect } from '../domain/subscriptionRecord.js';
import { withSubscriptions } from './subscriptionTransition.js';
import { unneededChargeRefund } from './unneededCharge.js';

/** What the provider's statement says a charge is for (the same text on every try of an intent). */
export function chargeDescription(vin: Vin, intent: ChargeIntent): string {
  return `Smart Digital Key ${vin}: ${intent.description}`;
}

/** Longest wait between two tries of a refund or reconciliation whose outcome was unknown. */
const MAX_REFUND_BACKOFF_MS = 86_400_000;

export class BillingEffects {
  constructor(private readonly deps: { ctx: Pick<AppContext, 'clock' | 'vehicles' | 'logger'>; outbox: Outbox; gateway: PaymentGateway; ledger: PaymentLedger }) {}

  /** Carry out every effect of this vehicle that is due now (and the follow-ups they make); returns how many were completed. */
  async apply(vin: Vin): Promise<number> {
    let total = 0;
    // A refund's ledger line and notice are follow-ups: a few rounds finish them too.
    for (let round = 0; round < 4; round++) {
      const done = await this.#applyOnce(vin);
      total += done;
      if (done === 0) break;
    }
    return total;
  }

  async #applyOnce(vin: Vin): Promise<number> {
    const { ctx } = this.deps;
    const vehicle = await ctx.vehicles.find(vin);
    const now = ctx.clock.now();
    const due = (vehicle?.subscriptions?.effects ?? []).filter((e) => e.at <= now);
    if (due.length === 0) return 0;
    const done = new Set<string>();
    const postponed = new Map<string, RefundEffect | ReconcileEffect>();
    const followUps = new Map<string, BillingEffect[]>();
    for (const effect of due) {
      try {
        if (effect.kind === 'notify') {
          await this.deps.outbox.notify(effect.accountId, effect.notice, { id: effect.id });
          done.add(effect.id);
        } else if (effect.kind === 'ledger') {
          await this.deps.ledger.appendOnce(vin, effect);
          done.add(effect.id);
        } else if (effect.kind === 'reconcile') {
          // Same request, same idempotency key: the provider answers what it did the first time (or decides now).
          const { intent } = effect;
          const result = await this.deps.gateway.charge({ amountCents: intent.amountCents, currency: intent.currency, cardToken: intent.card.token, idempotencyKey: intent.key, description: chargeDescription(vin, intent) });
          done.add(effect.id);
          followUps.set(effect.id, result.status === 'succeeded' ? unneededChargeRefund(intent, result.chargeId, now) : []);
        } else {
          const result = await this.deps.gateway.refund({ chargeId: effect.charge.chargeId, amountCents: effect.amountCents, idempotencyKey: effect.id });
          done.add(effect.id);
          followUps.set(effect.id, this.#afterRefund(vin, effect, result.status === 'succeeded' ? { reference: result.refundId } : { failure: result.failure }, now));
        }
      } catch (err) {
        // Unknown outcome (gateway or store unreachable): leave it, try again later with the same id.
        ctx.logger.warn({ err, vin, effect: effect.kind, effectId: effect.id }, 'billing effect postponed');
        if (effect.kind === 'refund' || effect.kind === 'reconcile') {
          const attempts = effect.attempts + 1;
          postponed.set(effect.id, { ...effect, attempts, at: now + Math.min(MAX_REFUND_BACKOFF_MS, 60_000 * 2 ** attempts) });
        }
      }
    }
    if (done.size === 0 && postponed.size === 0) return 0;
    await ctx.vehicles.update(vin, (v) => ({
      vehicle: withSubscriptions(v, (s) => {
        let effects: BillingEffect[] = [];
        const added: BillingEffect[] = [];
        for (const e of s.effects) {
          // A follow-up is added only by whoever removes its effect, so it is added once.
          if (done.has(e.id)) added.push(...(followUps.get(e.id) ?? []));
          else effects.push(postponed.get(e.id) ?? e);
        }
        // Follow-ups with ids derived from a charge (unneededCharge.ts) may be queued already: once is enough.
        effects = withEffects(effects, added);
        return { ...s, effects };
      }),
      result: null,
    }));
    return done.size;
  }

  /** Ledger line and notice of a refund; ids derive from the refund's, so redoing it cannot double them. */
  #afterRefund(vin: Vin, effect: RefundEffect, outcome: { reference: string } | { failure: string }, now: number): BillingEffect[] {
    const ok = 'reference' in outcome;
    if (!ok) this.deps.ctx.logger.error({ vin, refundId: effect.id, failure: outcome.failure }, 'refund refused by the gateway: contact the customer');
    const ledger: LedgerEffect = {
      kind: 'ledger',
      id: `${effect.id}:ledger`,
      at: now,
      entry: {
        id: `${effect.id}:ledger`,
        at: now,
        accountId: effect.accountId,
        subscriptionId: effect.subscriptionId,
        kind: 'refund',
        status: ok ? 'succeeded' : 'failed',
        amountCents: effect.amountCents,
        currency: effect.charge.currency,
        description: `refund of charge ${effect.charge.chargeId}`,
        cardId: effect.charge.cardId,
        last4: effect.charge.last4,
        ...outcome,
      },
    };
    const notice: BillingEffect = {
      kind: 'notify',
      id: `${effect.id}:notice`,
      at: now,
      accountId: effect.accountId,
      notice: ok
        ? refundIssuedNotice({ vin, subscriptionId: effect.subscriptionId, amountCents: effect.amountCents, currency: effect.charge.currency, last4: effect.charge.last4, brand: effect.charge.brand })
        : {
            kind: 'refund-failed',
            subject: 'Your Smart Digital Key refund could not be made',
            body: `The refund for vehicle ${vin} to your card ending in ${effect.charge.last4} failed. We will contact you.`,
            data: { vin, subscriptionId: effect.subscriptionId, amountCents: effect.amountCents, currency: effect.charge.currency },
          },
    };
    return [ledger, notice];
  }
}
