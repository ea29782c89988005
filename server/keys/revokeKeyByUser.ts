/**
 * A user revokes one key of a vehicle (R3): the main user any key, a shared user only their own
 * (anyone else is told the key does not exist). Audited as the main or shared user (R13). When
 * the main user revokes someone else's key, its holder is told.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, KeyId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import { revokeVehicleKey, type RevokeVehicleKeyDeps } from './revokeVehicleKey.js';

export type RevokeKeyByUserDeps = RevokeVehicleKeyDeps & Pick<AppContext, 'outbox'>;

export interface RevokeKeyByUserOpts {
  vin: Vin;
  keyId: KeyId;
  /** The caller. */
  accountId: AccountId;
}

export interface RevokeKeyByUserResult {
  key: DigitalKey;
  vehicle: VehicleRecord;
}

export async function revokeKeyByUser(deps: RevokeKeyByUserDeps, opts: RevokeKeyByUserOpts): Promise<RevokeKeyByUserResult> {
  const me = opts.accountId;
  const { vehicle, key } = await revokeVehicleKey(deps, {
    vin: opts.vin,
    keyId: opts.keyId,
    actor: (v) => ({ accountId: me, role: v.mainUser?.accountId === me ? 'main' : 'shared' }),
    reason: 'revoked-by-user',
    authorize: (v, k) => {
      // R3: shared users manage no other key.
      if (v.mainUser?.accountId !== me && k.accountId !== me) throw new DigitalKeyError('KEY_NOT_FOUND');
    },
  });
  if (key.accountId !== me) {
    await deps.outbox.notify(key.accountId, {
      kind: 'key-revoked',
      subject: 'Your digital key was revoked',
      body: `The main user of vehicle ${opts.vin} revoked your digital key for it.`,
      data: { vin: opts.vin, keyId: key.keyId, by: 'main-user' },
    });
  }
  return { key, vehicle };
}
