/**
 * R1: the Smart Digital Key needs Standard Services active on the vehicle; only its main user
 * activates them (the operation is server/vehicles/activateStandardServices.ts).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import { assertMainUser } from './assertMainUser.js';
import type { VehicleRecord } from './vehicleRecord.js';

/** The vehicle with Standard Services active (unchanged when they already are); main user only. */
export interface StandardServicesActivatedOpts {
  /** The caller: only the main user activates them. */
  accountId: AccountId;
  nowMs: number;
}

export function standardServicesActivated(vehicle: VehicleRecord, opts: StandardServicesActivatedOpts): VehicleRecord {
  assertMainUser(vehicle, opts.accountId);
  if (vehicle.standardServices.active) return vehicle;
  return { ...vehicle, standardServices: { active: true, changedAt: opts.nowMs } };
}

/** R1: keys are issued and refreshed only while Standard Services are active. */
export function assertStandardServices(vehicle: VehicleRecord): void {
  if (!vehicle.standardServices.active) throw new DigitalKeyError('STANDARD_SERVICES_INACTIVE');
}
