/**
 * R10: auto-renewal is on by default; the main user may turn it off (the subscription then ends at
 * the end of its period, without a refund) and on again. For a trial, turning it off drops the paid
 * plan queued to follow it. A cancelled subscription cannot be renewed again: start a new one.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { cancelAtOf, isLive } from './subscriptionAccess.js';
import { subscriptionsOf, withSubscriptions } from './subscriptionTransition.js';

export function setAutoRenew(vehicle: VehicleRecord, opts: { accountId: AccountId; autoRenew: boolean }): VehicleRecord {
  assertMainUser(vehicle, opts.accountId);
  const sub = subscriptionsOf(vehicle).current;
  if (!isLive(sub) || sub.accountId !== opts.accountId) throw new DigitalKeyError('SUBSCRIPTION_INACTIVE', 'there is no running subscription');
  if (cancelAtOf(sub) !== undefined) throw new DigitalKeyError('SUBSCRIPTION_INACTIVE', 'the subscription is cancelled: start a new one when it has ended');
  if (opts.autoRenew) return withSubscriptions(vehicle, (s) => ({ ...s, current: { ...sub, autoRenew: true } }));
  const { next: _next, ...rest } = sub;
  return withSubscriptions(vehicle, (s) => ({ ...s, current: { ...rest, autoRenew: false } }));
}
