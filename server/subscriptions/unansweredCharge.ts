/**
 * A charge the gateway did not answer (outcome unknown: a timeout, an outage) — R10. The intent
 * stays, and is resumed with the same idempotency key after a growing backoff (capped), so the
 * scheduler keeps coming back until the provider answers.
 *
 * An unknown outcome cannot keep keys working unpaid for ever: a renewal or a trial's conversion
 * still unanswered `UNANSWERED_FAILS_AFTER_RETRY_INTERVALS` retry intervals after it was made (R10's
 * retry window) counts as a failed attempt, so the normal path runs — the payer is told, the next
 * attempt comes a retry interval later, and the third failure cancels the subscription and wipes
 * the keys (R4b). The dropped intent is reconciled (unneededCharge.ts): if the provider did take the
 * money, it is refunded in full. A first charge is never given up this way: its subscription stays
 * `pending-payment`, which allows no keys.
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { applyChargeResult } from './applyChargeResult.js';
import { CHARGE_RESUME_MS } from './dueAction.js';
import { withEffects, type ChargeIntent } from '../domain/subscriptionRecord.js';
import { subscriptionsOf, withSubscriptions, type Transition, type TransitionEnv } from './subscriptionTransition.js';
import { reconcileEffect } from './unneededCharge.js';

/** Longest wait between two resumptions of an unanswered charge. */
export const MAX_CHARGE_RESUME_BACKOFF_MS = 3_600_000;
/** An unanswered renewal counts as a failed attempt this many retry intervals after it was made. */
export const UNANSWERED_FAILS_AFTER_RETRY_INTERVALS = 2;
/** The failure code an attempt counted as failed for want of an answer carries (ledger, notice). */
export const NO_ANSWER = 'no_answer';

export function unansweredCharge(vehicle: VehicleRecord, intent: ChargeIntent, env: TransitionEnv): Transition {
  const sub = subscriptionsOf(vehicle).current;
  if (!sub || sub.status === 'ended' || !sub.charging || sub.charging.key !== intent.key) return { vehicle };
  const { charging } = sub;
  if (intent.purpose !== 'first' && env.nowMs >= intent.startedAt + UNANSWERED_FAILS_AFTER_RETRY_INTERVALS * env.terms.retryIntervalMs) {
    const failed = applyChargeResult(vehicle, charging, { status: 'failed', failure: NO_ANSWER }, env);
    return { ...failed, vehicle: withSubscriptions(failed.vehicle, (s) => ({ ...s, effects: withEffects(s.effects, [reconcileEffect(charging, env.nowMs)]) })) };
  }
  const unanswered = (charging.unanswered ?? 0) + 1;
  const resumeAt = Math.max(intent.startedAt + CHARGE_RESUME_MS, env.nowMs + Math.min(MAX_CHARGE_RESUME_BACKOFF_MS, CHARGE_RESUME_MS * 2 ** (unanswered - 1)));
  return { vehicle: withSubscriptions(vehicle, (s) => ({ ...s, current: { ...sub, charging: { ...charging, unanswered, resumeAt } } })) };
}
