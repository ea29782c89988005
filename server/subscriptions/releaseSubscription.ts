/**
 * The main user leaves the vehicle — another account claims it (R4d) or they remove it (R4a) — or
 * Standard Services end (R1): the subscription is not transferable and cannot run without them, so
 * it ends at once. Money follows R11's cancellation rule (a monthly plan: no refund; yearly and
 * multi-year: the unused whole months after the current subscription month), and a trial is not
 * used up: a second-hand buyer gets what is left of it (R9).
 */
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { unusedMonthsRefund } from './cancellationOutcome.js';
import { endSubscription } from './endSubscription.js';
import type { EndReason } from '../domain/subscriptionRecord.js';
import { subscriptionsOf, type Transition, type TransitionEnv } from './subscriptionTransition.js';

export type ReleaseReason = Extract<EndReason, 'main-user-changed' | 'vehicle-removed' | 'standard-services-ended'>;

const NOTES: Record<ReleaseReason, string> = {
  'main-user-changed': 'subscription ended: another user claimed the vehicle',
  'vehicle-removed': 'subscription ended: the main user removed the vehicle',
  'standard-services-ended': 'subscription ended: Standard Services ended (R1)',
};

export function releaseSubscription(vehicle: VehicleRecord, opts: { reason: ReleaseReason; wipe: boolean }, env: TransitionEnv): Transition {
  const sub = subscriptionsOf(vehicle).current;
  if (!sub || sub.status === 'ended') return { vehicle };
  // A trial ending this way needs no message of its own (a claim by another account already tells the user, R12).
  const notify = sub.plan !== 'trial';
  return endSubscription(vehicle, { reason: opts.reason, refundCents: unusedMonthsRefund(sub, env.nowMs).refundCents, usesTrial: false, wipe: opts.wipe, note: NOTES[opts.reason], notify }, env);
}
