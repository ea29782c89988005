/**
 * R6: a lost or stolen phone. The dealer revokes the phone's key on the vehicle at once, and its
 * passkey is disabled, so it can neither log in nor refresh any credential; its keys on every other
 * vehicle are revoked too (a phone is lost everywhere at once).
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, KeyId, PasskeyId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { storeKeys } from '../store/storeKeys.js';
import { revokeVehicleKey, type RevokeVehicleKeyDeps } from './revokeVehicleKey.js';

export type RevokeLostPasskeyDeps = RevokeVehicleKeyDeps & Pick<AppContext, 'accounts' | 'store'>;

export interface RevokeLostPasskeyOpts {
  /** The vehicle the dealer acts on: the passkey must hold (or have held) a key of it. */
  vin: Vin;
  passkeyId: PasskeyId;
  dealer: AccountId;
  reason: string;
}

export interface RevokeLostPasskeyResult {
  /** The passkey's keys revoked now, on every vehicle. */
  revokedKeyIds: KeyId[];
  /** The vehicle's epoch and manifest seq after the revocation. */
  epoch: number;
  seq: number;
}

export async function revokeLostPasskey(ctx: RevokeLostPasskeyDeps, opts: RevokeLostPasskeyOpts): Promise<RevokeLostPasskeyResult> {
  const vehicle = await ctx.vehicles.get(opts.vin);
  const found = await ctx.accounts.findPasskey(opts.passkeyId);
  // Every key the passkey was given, on any vehicle (the list is written before each key is made).
  const held = await ctx.store.range(storeKeys.passkeyKeys(opts.passkeyId), 0, -1);
  // A dealer acts on a vehicle: the passkey must be one that holds (or held) a key of it.
  if (!found || !held.some((e) => e.startsWith(`${opts.vin} `))) throw new DigitalKeyError('PASSKEY_NOT_FOUND');

  // Disable first: from now on no session or refresh works for this phone.
  await ctx.accounts.updatePasskey(opts.passkeyId, (passkey) =>
    passkey.disabled ? passkey : { ...passkey, disabled: { at: ctx.clock.now(), by: opts.dealer, reason: opts.reason } },
  );

  const revokedKeyIds: KeyId[] = [];
  let last = { epoch: vehicle.epoch, seq: vehicle.seq };
  for (const entry of held) {
    const [vin, keyId] = entry.split(' ') as [string, string];
    try {
      const { vehicle: after } = await revokeVehicleKey(ctx, {
        vin,
        keyId,
        actor: { accountId: opts.dealer, role: 'dealer' },
        reason: `lost-phone: ${opts.reason}`,
        authorize: (_v, key) => {
          if (key.passkeyId !== opts.passkeyId) throw new DigitalKeyError('KEY_NOT_FOUND');
        },
      });
      revokedKeyIds.push(keyId);
      if (vin === opts.vin) last = { epoch: after.epoch, seq: after.seq };
    } catch (err) {
      // Keys already wiped or revoked are fine; anything else is not.
      if (!(err instanceof DigitalKeyError && (err.code === 'KEY_NOT_FOUND' || err.code === 'VEHICLE_NOT_FOUND'))) throw err;
    }
  }
  return { revokedKeyIds, ...last };
}
