/**
 * R11: the main user cancels or withdraws. The outcome (cancellationOutcome.ts) either schedules the
 * end — keys keep working until then — or ends the subscription now and wipes every key (R4b); a
 * refund owed goes to the card that paid, queued in the same commit.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { cancellationOutcome, type CancellationOutcome, type CancelMode } from './cancellationOutcome.js';
import { endSubscription } from './endSubscription.js';
import type { BillingEffect } from '../domain/subscriptionRecord.js';
import { subscriptionsOf, withSubscriptions, type Transition, type TransitionEnv } from './subscriptionTransition.js';

export interface CancelTransition extends Transition {
  outcome: CancellationOutcome;
}

export function cancelSubscription(vehicle: VehicleRecord, opts: { accountId: AccountId; mode: CancelMode }, env: TransitionEnv): CancelTransition {
  assertMainUser(vehicle, opts.accountId);
  const state = subscriptionsOf(vehicle);
  const sub = state.current;
  if (!sub || sub.accountId !== opts.accountId) throw new DigitalKeyError('SUBSCRIPTION_INACTIVE', 'there is no subscription to cancel');
  const outcome = cancellationOutcome(sub, env.nowMs, opts.mode);
  if (outcome.immediate) {
    const ended = endSubscription(
      vehicle,
      {
        reason: opts.mode === 'withdraw' ? 'withdrawn' : 'cancelled',
        refundCents: outcome.refundCents,
        usesTrial: outcome.usesTrial,
        wipe: true,
        note: `subscription ${opts.mode === 'withdraw' ? 'withdrawn' : 'cancelled'} by the main user, effective at once (${outcome.basis})`,
      },
      env,
    );
    return { ...ended, outcome };
  }
  const effects: BillingEffect[] = [...state.effects];
  if (outcome.refundCents > 0 && sub.lastCharge) {
    effects.push({ kind: 'refund', id: env.newId(), at: env.nowMs, accountId: sub.accountId, subscriptionId: sub.subscriptionId, charge: sub.lastCharge, amountCents: outcome.refundCents, attempts: 0 });
  }
  // Only an active subscription ends later (cancellationOutcome: anything else ends at once or is refused).
  if (sub.status !== 'active') throw new DigitalKeyError('SUBSCRIPTION_INACTIVE', 'there is no running subscription to cancel');
  const { next: _next, ...rest } = sub;
  return {
    vehicle: withSubscriptions(vehicle, (s) => ({
      ...s,
      current: { ...rest, cancelAt: outcome.endsAt, cancelledAt: env.nowMs, autoRenew: false, refundedCents: sub.refundedCents + outcome.refundCents },
      effects,
    })),
    outcome,
  };
}
