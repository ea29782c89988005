/**
 * A notice a committed change owes someone (R12's "you lost the vehicle", a revoked key's holder),
 * recorded in the vehicle's own commit as a pending effect instead of sent after it: a crash between
 * the commit and the mail cannot lose it. Any instance delivers it at least once, after the commit,
 * from its scheduler or at start-up; the outbox keeps one copy per id (idempotent), so "at least
 * once" shows as exactly once. Pure.
 */
import { NO_SUBSCRIPTIONS, withEffects, type NoticeEffect } from './subscriptionRecord.js';
import type { VehicleRecord } from './vehicleRecord.js';

export function withPendingNotice(vehicle: VehicleRecord, notice: NoticeEffect): VehicleRecord {
  const state = vehicle.subscriptions ?? NO_SUBSCRIPTIONS;
  return { ...vehicle, subscriptions: { ...state, effects: withEffects(state.effects, [notice]) } };
}
