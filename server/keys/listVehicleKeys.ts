/**
 * The keys of a vehicle a user may see (R3): the main user all of them, a shared user only their
 * own; anyone holding no key of the vehicle is refused.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { DigitalKey } from '../domain/vehicleRecord.js';

export type ListVehicleKeysDeps = Pick<AppContext, 'vehicles'>;

export interface ListVehicleKeysOpts {
  vin: Vin;
  /** The caller. */
  accountId: AccountId;
}

export interface ListVehicleKeysResult {
  keys: DigitalKey[];
  /** The vehicle's current key epoch. */
  epoch: number;
}

export async function listVehicleKeys(deps: ListVehicleKeysDeps, opts: ListVehicleKeysOpts): Promise<ListVehicleKeysResult> {
  const vehicle = await deps.vehicles.get(opts.vin);
  const keys = await deps.vehicles.keys(opts.vin, vehicle.epoch);
  const isMain = vehicle.mainUser?.accountId === opts.accountId;
  const visible = isMain ? keys : keys.filter((k) => k.accountId === opts.accountId);
  if (!isMain && visible.length === 0) throw new DigitalKeyError('FORBIDDEN');
  return { keys: visible, epoch: vehicle.epoch };
}
