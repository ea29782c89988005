/**
 * R6: a lost or stolen phone. The dealer revokes the phone's key on the vehicle at once, and its
 * passkey is disabled, so it can neither log in nor refresh any credential; its keys on every other
 * vehicle are revoked too (a phone is lost everywhere at once). The account is told.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, KeyId, PasskeyId, Vin } from '../../shared/ids.js';
import { disablePasskey } from '../accounts/disablePasskey.js';
import type { AppContext } from '../appContext.js';
import { revokeKeysOfPasskey } from './revokeKeysOfPasskey.js';
import type { RevokeVehicleKeyDeps } from './revokeVehicleKey.js';

export type RevokeLostPasskeyDeps = RevokeVehicleKeyDeps & Pick<AppContext, 'accounts' | 'store' | 'outbox'>;

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
  // A dealer acts on a vehicle: the passkey must be one that holds (or held) a key of it.
  const given = found ? await ctx.vehicles.keysGivenToPasskey(opts.passkeyId) : [];
  if (!found || !given.some((k) => k.vin === opts.vin)) throw new DigitalKeyError('PASSKEY_NOT_FOUND');

  // Disable first: from now on no session or refresh works for this phone.
  await disablePasskey(ctx, { passkeyId: opts.passkeyId, by: opts.dealer, reason: opts.reason });
  const revoked = await revokeKeysOfPasskey(ctx, { passkeyId: opts.passkeyId, actor: { accountId: opts.dealer, role: 'dealer' }, reason: `lost-phone: ${opts.reason}` });
  const here = revoked.filter((r) => r.vin === opts.vin).at(-1);
  // Told once per phone, also when a retry finds the keys revoked already (its first try may have
  // stopped before telling): the notice's id is the passkey's.
  const vins = (revoked.length > 0 ? revoked : given).map((k) => k.vin);
  await ctx.outbox.notify(
    found.accountId,
    {
      kind: 'key-revoked',
      subject: 'A dealer revoked the keys of one of your phones',
      body: `An authorised dealer reported a phone of yours lost or stolen: its passkey no longer works and its ${revoked.length === 1 ? 'key was' : 'keys were'} revoked.`,
      data: { passkeyId: opts.passkeyId, vins: [...new Set(vins)], by: 'dealer' },
    },
    { id: `lost-phone:${opts.passkeyId}` },
  );
  return { revokedKeyIds: revoked.map((r) => r.keyId), epoch: here?.epoch ?? vehicle.epoch, seq: here?.seq ?? vehicle.seq };
}
