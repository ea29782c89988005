/**
 * The main user removes the vehicle from the account (R4a; selling it, R5) or gives up the usage
 * rights (R4c): in one commit the main user leaves, Standard Services end, the subscription ends
 * with the tenure (R4b) and every key, shared ones included, is wiped (one epoch increment, audited).
 */
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { wipeVehicleKeys, type WipeVehicleKeysDeps } from '../keys/wipeVehicleKeys.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';
import { forgetClaim } from './accountVehicles.js';

export type RemoveVehicleDeps = WipeVehicleKeysDeps & Pick<AppContext, 'clock' | 'store'> & { gate: Pick<SubscriptionGate, 'beforeMainUserLeaves' | 'mainUserLeaves'> };

export interface RemoveVehicleOpts {
  vin: Vin;
  /** The caller: only the main user removes the vehicle. */
  accountId: AccountId;
  /** `remove` (R4a), `relinquish` the usage rights (R4c), or the account is being closed (R4a for each vehicle): the audit entry says which. */
  reason: 'remove' | 'relinquish' | 'account-closed';
}

export interface RemoveVehicleResult {
  vehicle: VehicleRecord;
  /** The keys the removal wiped. */
  revokedKeyIds: KeyId[];
}

export async function removeVehicle(deps: RemoveVehicleDeps, opts: RemoveVehicleOpts): Promise<RemoveVehicleResult> {
  await deps.gate.beforeMainUserLeaves(opts.vin);
  const { vehicle, listWipedKeyIds } = await wipeVehicleKeys(deps, {
    vin: opts.vin,
    reason: opts.reason === 'relinquish' ? 'usage-relinquished' : 'vehicle-removed',
    actor: { accountId: opts.accountId, role: 'main' },
    ...(opts.reason === 'account-closed' ? { detail: { accountClosed: true } } : {}),
    change: (v) => {
      assertMainUser(v, opts.accountId);
      // R4b: the subscription ends with the main user's tenure, in the same commit.
      return deps.gate.mainUserLeaves({ ...v, mainUser: null, standardServices: { active: false, changedAt: deps.clock.now() } }, 'vehicle-removed');
    },
  });
  await forgetClaim(deps, opts.accountId, opts.vin);
  return { vehicle, revokedKeyIds: await listWipedKeyIds() };
}
