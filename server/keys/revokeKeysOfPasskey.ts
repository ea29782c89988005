/**
 * End every key a passkey (one phone) holds, on every vehicle: what R6 does for a lost phone, and
 * what removing a passkey or closing an account does. The passkey's list of keys is written before
 * each key is made (createKey.ts), so none is missed; keys already wiped or revoked are skipped.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, KeyId, PasskeyId, Vin } from '../../shared/ids.js';
import { revokeVehicleKey, type RevokeVehicleKeyDeps } from './revokeVehicleKey.js';

export interface RevokedPasskeyKey {
  vin: Vin;
  keyId: KeyId;
  holder: AccountId;
  epoch: number;
  seq: number;
}

export async function revokeKeysOfPasskey(
  ctx: RevokeVehicleKeyDeps,
  opts: { passkeyId: PasskeyId; actor: Parameters<typeof revokeVehicleKey>[1]['actor']; reason: string },
): Promise<RevokedPasskeyKey[]> {
  const revoked: RevokedPasskeyKey[] = [];
  for (const { vin, keyId } of await ctx.vehicles.keysGivenToPasskey(opts.passkeyId)) {
    try {
      const { vehicle, key } = await revokeVehicleKey(ctx, {
        vin,
        keyId,
        actor: opts.actor,
        reason: opts.reason,
        authorize: (_v, key) => {
          if (key.passkeyId !== opts.passkeyId) throw new DigitalKeyError('KEY_NOT_FOUND');
        },
      });
      revoked.push({ vin, keyId, holder: key.accountId, epoch: vehicle.epoch, seq: vehicle.seq });
    } catch (err) {
      // Keys already wiped or revoked are fine; anything else is not.
      if (!(err instanceof DigitalKeyError && (err.code === 'KEY_NOT_FOUND' || err.code === 'VEHICLE_NOT_FOUND'))) throw err;
    }
  }
  return revoked;
}
