/**
 * A dealer revokes every key of a vehicle (R4 wipe, one epoch increment), with the reason they
 * give kept in the audit entry (R13). A dealer can revoke, never issue.
 */
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import { wipeVehicleKeys, type WipeVehicleKeysDeps } from './wipeVehicleKeys.js';

export type RevokeAllKeysByDealerDeps = WipeVehicleKeysDeps;

export interface RevokeAllKeysByDealerOpts {
  vin: Vin;
  dealer: AccountId;
  /** Why, in the dealer's words (audited). */
  reason: string;
}

export interface RevokeAllKeysByDealerResult {
  revokedKeyIds: KeyId[];
  epoch: number;
  seq: number;
}

export async function revokeAllKeysByDealer(deps: RevokeAllKeysByDealerDeps, opts: RevokeAllKeysByDealerOpts): Promise<RevokeAllKeysByDealerResult> {
  const { vehicle, listWipedKeyIds } = await wipeVehicleKeys(deps, { vin: opts.vin, reason: 'dealer-revoked-all', actor: { accountId: opts.dealer, role: 'dealer' }, note: opts.reason });
  return { revokedKeyIds: await listWipedKeyIds(), epoch: vehicle.epoch, seq: vehicle.seq };
}
