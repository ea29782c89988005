/**
 * What a dealer sees of a vehicle (issue 9 §2): each live key with its holder's name, the passkey's
 * device label and when that passkey last signed in; the main user (name, verified e-mail); the
 * subscription, read-only; and whether the car has the vehicle's latest state. Built from the
 * owner-facing views (keyDetails, subscriptionView), never from storage keys.
 */
import { z } from 'zod';
import type { Vin } from '../../shared/ids.js';
import { uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { keyDetails, keyDetailsSchema } from '../keys/keyDetails.js';
import { carSyncStatus, carSyncStatusSchema } from '../sync/carSyncStatus.js';
import { dealerSubscription, dealerSubscriptionSchema } from './dealerSubscription.js';

export const dealerKeySchema = keyDetailsSchema.extend({
  lastUsedAt: z.number().int().nullable().describe('epoch milliseconds: when the holding passkey last signed in'),
});

export const dealerCustomerSchema = z.object({ accountId: uuidSchema, displayName: z.string(), email: z.string(), emailVerified: z.boolean() });

export const dealerVehicleViewSchema = z.object({
  vin: vinSchema,
  epoch: z.number().int(),
  seq: z.number().int(),
  mainUser: uuidSchema.nullable(),
  /** The main user, as a dealer checks identity against it (null: no main user, or a closed account). */
  customer: dealerCustomerSchema.nullable(),
  keys: z.array(dealerKeySchema),
  subscription: dealerSubscriptionSchema,
  car: carSyncStatusSchema,
});
export type DealerVehicleView = z.infer<typeof dealerVehicleViewSchema>;

export interface DealerVehicleViewOpts {
  vin: Vin;
}

export async function dealerVehicleView(ctx: Pick<AppContext, 'store' | 'clock' | 'config' | 'accounts' | 'vehicles'>, opts: DealerVehicleViewOpts): Promise<DealerVehicleView> {
  const vehicle = await ctx.vehicles.get(opts.vin);
  const detailed = await keyDetails(ctx, await ctx.vehicles.keys(opts.vin, vehicle.epoch));
  const keys = await Promise.all(detailed.map(async (key) => ({ ...key, lastUsedAt: (await ctx.accounts.findPasskey(key.passkeyId))?.lastUsedAt ?? null })));
  const mainUserId = vehicle.mainUser?.accountId ?? null;
  const main = mainUserId === null ? null : await ctx.accounts.find(mainUserId);
  const customer = main && main.closedAt === undefined ? { accountId: main.accountId, displayName: main.displayName, email: main.email, emailVerified: main.emailVerified === true } : null;
  return {
    vin: vehicle.vin,
    epoch: vehicle.epoch,
    seq: vehicle.seq,
    mainUser: mainUserId,
    customer,
    keys,
    subscription: await dealerSubscription(ctx, vehicle),
    car: await carSyncStatus(ctx, { vin: vehicle.vin, seq: vehicle.seq }),
  };
}
