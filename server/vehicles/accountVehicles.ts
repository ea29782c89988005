/**
 * Which vehicles an account has: the ones it claimed (listed in its record before each claim
 * commits; a hash of its own before issue 11's footprint work, still read) and the ones it holds a
 * key of (its passkeys' key lists). Both are only hints — the vehicle document and the current
 * epoch's keys decide, when read — so a stale entry is harmless.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { DigitalKey, VehicleRecord } from '../domain/vehicleRecord.js';
import { storeKeys } from '../store/storeKeys.js';

/** Change the vehicles listed as claimed in an account's record; nothing when there is no such account (a hint only). */
async function changeClaimed(ctx: Pick<AppContext, 'accounts'>, accountId: AccountId, change: (vins: Vin[]) => Vin[]): Promise<void> {
  await ctx.accounts
    .update(accountId, (account) => {
      const { claimedVins, ...rest } = account;
      const next = change(claimedVins ?? []);
      return next.length > 0 ? { ...rest, claimedVins: next } : rest;
    })
    .catch((err: unknown) => {
      if (!(err instanceof DigitalKeyError && err.code === 'NOT_FOUND')) throw err;
    });
}

/** Before a claim commits: remember that the account may hold this vehicle. */
export async function rememberClaim(ctx: Pick<AppContext, 'accounts'>, accountId: AccountId, vin: Vin): Promise<void> {
  await changeClaimed(ctx, accountId, (vins) => (vins.includes(vin) ? vins : [...vins, vin]));
}

/** After a removal: forget the claim, in the account's record and in the hash written before. */
export async function forgetClaim(ctx: Pick<AppContext, 'accounts' | 'store'>, accountId: AccountId, vin: Vin): Promise<void> {
  await changeClaimed(ctx, accountId, (vins) => vins.filter((v) => v !== vin));
  await ctx.store.commit({ hdel: [{ key: storeKeys.accountVehicles(accountId), field: vin }] });
}

export interface AccountVehicle {
  vehicle: VehicleRecord;
  role: 'main' | 'shared';
  /** The account's live keys on the vehicle (current epoch, not revoked). */
  keys: DigitalKey[];
}

/** The live keys an account holds, on every vehicle, grouped with their vehicle. */
async function liveKeysOf(ctx: Pick<AppContext, 'store' | 'accounts' | 'vehicles'>, accountId: AccountId, passkeyIds: string[]): Promise<Map<Vin, DigitalKey[]>> {
  const byVin = new Map<Vin, DigitalKey[]>();
  const vehicles = new Map<Vin, VehicleRecord | null>();
  for (const passkeyId of passkeyIds) {
    for (const { vin, keyId } of await ctx.vehicles.keysGivenToPasskey(passkeyId)) {
      if (!vehicles.has(vin)) vehicles.set(vin, await ctx.vehicles.find(vin));
      const vehicle = vehicles.get(vin);
      if (!vehicle) continue;
      const key = await ctx.vehicles.key(vin, vehicle.epoch, keyId);
      if (!key || key.accountId !== accountId || vehicle.revoked.some((r) => r.keyId === keyId)) continue;
      byVin.set(vin, [...(byVin.get(vin) ?? []), key]);
    }
  }
  return byVin;
}

/** Every vehicle the account is main user of or holds a live key of, VIN order. */
export async function vehiclesOfAccount(ctx: Pick<AppContext, 'store' | 'accounts' | 'vehicles'>, accountId: AccountId): Promise<AccountVehicle[]> {
  const account = await ctx.accounts.find(accountId);
  if (!account) return [];
  const keys = await liveKeysOf(ctx, accountId, account.passkeyIds);
  const claimed = [...(account.claimedVins ?? []), ...Object.keys(await ctx.store.hgetall(storeKeys.accountVehicles(accountId)))];
  const vins = [...new Set([...claimed, ...keys.keys()])].sort();
  const out: AccountVehicle[] = [];
  for (const vin of vins) {
    const vehicle = await ctx.vehicles.find(vin);
    if (!vehicle) continue;
    const mine = keys.get(vin) ?? [];
    if (vehicle.mainUser?.accountId === accountId) out.push({ vehicle, role: 'main', keys: mine });
    else if (mine.length > 0) out.push({ vehicle, role: 'shared', keys: mine });
  }
  return out;
}
