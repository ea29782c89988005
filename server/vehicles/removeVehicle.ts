/**
 * The main user removes the vehicle from the account (R4a; selling it, R5) or gives up the usage
 * rights (R4c): in one commit the main user leaves, Standard Services end, the subscription ends
 * with the tenure (R4b) and every key, shared ones included, is wiped (one epoch increment, audited).
 * The subscription's follow-ups (its notice) run right after the commit.
 */
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import type { VehicleRecord } from '../domain/vehicleRecord.js';
import { wipeVehicleKeys, type WipeVehicleKeysDeps } from '../keys/wipeVehicleKeys.js';
import type { SubscriptionGate } from '../subscriptions/subscriptionGate.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { forgetClaim } from './accountVehicles.js';
import { readAuditTrail } from './auditTrail.js';

export type RemoveVehicleDeps = WipeVehicleKeysDeps & Pick<AppContext, 'clock' | 'store' | 'accounts'> & { gate: Pick<SubscriptionGate, 'beforeMainUserLeaves' | 'mainUserLeaves' | 'runFollowUps'> };

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

/** A repeated removal (its first try's process may have stopped after the commit): the newest wipe is the caller's own removal and nobody claimed since. */
async function repeatedRemoval(deps: RemoveVehicleDeps, opts: RemoveVehicleOpts): Promise<RemoveVehicleResult | null> {
  const vehicle = await deps.vehicles.get(opts.vin);
  const [last] = await readAuditTrail(deps, opts.vin, { limit: 1 });
  if (vehicle.mainUser || last?.action !== 'wipe' || !['vehicle-removed', 'usage-relinquished'].includes(last.reason) || last.actor.accountId !== opts.accountId || last.actor.role !== 'main' || last.epoch !== vehicle.epoch) return null;
  await deps.manifests.publish(vehicle);
  return { vehicle, revokedKeyIds: last.keyIds };
}

export async function removeVehicle(deps: RemoveVehicleDeps, opts: RemoveVehicleOpts): Promise<RemoveVehicleResult> {
  await deps.gate.beforeMainUserLeaves(opts.vin);
  const removed = await wipeVehicleKeys(deps, {
    vin: opts.vin,
    reason: opts.reason === 'relinquish' ? 'usage-relinquished' : 'vehicle-removed',
    actor: { accountId: opts.accountId, role: 'main' },
    ...(opts.reason === 'account-closed' ? { detail: { accountClosed: true } } : {}),
    change: (v) => {
      assertMainUser(v, opts.accountId);
      // R4b: the subscription ends with the main user's tenure, in the same commit.
      return deps.gate.mainUserLeaves({ ...v, mainUser: null, standardServices: { active: false, changedAt: deps.clock.now() } }, 'vehicle-removed');
    },
  }).catch(async (err: unknown) => {
    // Done already: answered as done, and the state published again.
    const repeated = err instanceof DigitalKeyError && err.code === 'NOT_MAIN_USER' ? await repeatedRemoval(deps, opts) : null;
    if (!repeated) throw err;
    return repeated;
  });
  await forgetClaim(deps, opts.accountId, opts.vin);
  // The plan's follow-ups (the notice that it ended) now, as a claim's; the vehicle was filed as due before the commit, so the scheduler redoes whatever fails here.
  await deps.gate.runFollowUps(opts.vin);
  if ('revokedKeyIds' in removed) return removed;
  return { vehicle: removed.vehicle, revokedKeyIds: await removed.listWipedKeyIds() };
}
