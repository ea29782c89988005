/**
 * R2: one main user per vehicle at a time; only they manage it (Standard Services, keys, sharing,
 * subscriptions, removal). Every such operation asks this first, on the document it acts on.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId } from '../../shared/ids.js';
import type { VehicleRecord } from './vehicleRecord.js';

/** Throws NOT_MAIN_USER unless `accountId` is the vehicle's main user. */
export function assertMainUser(vehicle: VehicleRecord, accountId: AccountId): void {
  if (vehicle.mainUser?.accountId !== accountId) throw new DigitalKeyError('NOT_MAIN_USER');
}
