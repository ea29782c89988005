/**
 * The dealer's search box (issue 9 §2): a VIN (spaces trimmed, upper-cased) or a customer's e-mail.
 * A VIN finds that vehicle; an e-mail finds the account and the vehicles it is main user of or holds
 * a key for. Nothing is found for anything else.
 */
import { z } from 'zod';
import { isVin, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { emailSchema } from '../http/apiSchemas.js';
import { vehiclesOfAccount } from '../vehicles/accountVehicles.js';

export const dealerSearchResultSchema = z.object({
  kind: z.enum(['vin', 'email', 'none']).describe('how the query was read'),
  /** The query as searched (a VIN normalised, an e-mail lower-cased). */
  query: z.string(),
  vehicles: z.array(z.object({ vin: vinSchema, role: z.enum(['main', 'shared']).nullable() })),
  account: z.object({ accountId: uuidSchema, displayName: z.string(), email: z.string(), emailVerified: z.boolean() }).nullable(),
});
export type DealerSearchResult = z.infer<typeof dealerSearchResultSchema>;

/** A VIN as typed or pasted: whitespace anywhere removed, upper-cased. */
export function normalizeVin(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

export async function dealerSearch(ctx: Pick<AppContext, 'store' | 'accounts' | 'vehicles'>, opts: { q: string }): Promise<DealerSearchResult> {
  const vin = normalizeVin(opts.q);
  if (isVin(vin)) {
    const vehicle = await ctx.vehicles.find(vin);
    return { kind: 'vin', query: vin, vehicles: vehicle ? [{ vin, role: null }] : [], account: null };
  }
  const email = emailSchema.safeParse(opts.q);
  if (!email.success) return { kind: 'none', query: opts.q.trim(), vehicles: [], account: null };
  const ownerId = await ctx.accounts.ownerOfEmail(email.data);
  const account = ownerId === null ? null : await ctx.accounts.find(ownerId);
  if (!account || account.closedAt !== undefined) return { kind: 'email', query: email.data, vehicles: [], account: null };
  const vehicles = (await vehiclesOfAccount(ctx, account.accountId)).map((v) => ({ vin: v.vehicle.vin, role: v.role }));
  return { kind: 'email', query: email.data, vehicles, account: { accountId: account.accountId, displayName: account.displayName, email: account.email, emailVerified: account.emailVerified === true } };
}
