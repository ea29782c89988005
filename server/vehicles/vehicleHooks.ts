/**
 * Seams where later capabilities plug into the key routes without the routes knowing them:
 * notifications when a main user is replaced (R12), and extra conditions for keys (the
 * subscription, R1/R4b).
 */
import type { AccountId, Vin } from '../../shared/ids.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';

export interface VehicleHooks {
  /** R12: the previous main user loses access and is told. */
  mainUserReplaced(event: { vin: Vin; previousMainUser: AccountId; newMainUser: AccountId }): Promise<void>;
  /** Throws when the vehicle may not have keys issued or refreshed now. */
  assertKeysAllowed(vehicle: VehicleRecord): void;
  /** Before a commit in which the main user leaves (a claim by another account, a removal): prepare follow-up work. */
  beforeMainUserLeaves(vin: Vin): Promise<void>;
  /** Inside that commit: the leaving main user's subscription ends with them (R4b; the commit itself wipes the keys). */
  mainUserLeaves(vehicle: VehicleRecord, reason: 'main-user-changed' | 'vehicle-removed'): VehicleRecord;
}
