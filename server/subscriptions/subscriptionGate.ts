/**
 * The subscription gate: what the key and vehicle operations need from subscriptions (R1, R4b),
 * and nothing else. SubscriptionService implements it; operations take the gate, so they can
 * neither start nor charge a subscription.
 */
import type { Vin } from '../../shared/ids.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';

export interface SubscriptionGate {
  /** R1, R4b: throws unless keys may be issued or refreshed now (Standard Services and a live trial or subscription). */
  assertKeysAllowed(vehicle: VehicleRecord): void;
  /** Before a commit in which the main user leaves (a claim by another account, a removal): file the vehicle as due now, so the follow-ups run even if this process stops. */
  beforeMainUserLeaves(vin: Vin): Promise<void>;
  /** Inside that commit: the leaving main user's subscription ends with them (R4b; the commit itself wipes the keys). */
  mainUserLeaves(vehicle: VehicleRecord, reason: 'main-user-changed' | 'vehicle-removed'): VehicleRecord;
  /** Before a commit that records pending notices (withPendingNotice): file the vehicle as due now, so they are delivered even if this process stops. */
  expectFollowUps(vin: Vin): Promise<void>;
  /** After a committed change: its follow-ups now (refund, notices) and the next due time. Never throws. */
  runFollowUps(vin: Vin): Promise<void>;
}
