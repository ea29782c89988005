/** R1: the main user activates Standard Services on the vehicle (the Smart Digital Key needs them). */
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { standardServicesActivated } from '../domain/standardServices.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';

export type ActivateStandardServicesDeps = Pick<AppContext, 'vehicles' | 'clock'>;

export interface ActivateStandardServicesOpts {
  vin: Vin;
  accountId: AccountId;
}

export interface ActivateStandardServicesResult {
  vehicle: VehicleRecord;
}

export async function activateStandardServices(deps: ActivateStandardServicesDeps, opts: ActivateStandardServicesOpts): Promise<ActivateStandardServicesResult> {
  const { vehicle } = await deps.vehicles.update(opts.vin, (current) => ({
    vehicle: standardServicesActivated(current, { accountId: opts.accountId, nowMs: deps.clock.now() }),
    result: null,
  }));
  return { vehicle };
}
