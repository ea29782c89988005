/** A key as the portal lists it: the API view plus its holder's display name and its phone's label. */
import { z } from 'zod';
import type { AppContext } from '../appContext.js';
import type { DigitalKey } from '../domain/vehicleRecord.js';
import { keyView, keyViewSchema } from '../http/apiSchemas.js';

export const keyDetailsSchema = keyViewSchema.extend({
  holderName: z.string().nullable(),
  passkeyLabel: z.string().nullable(),
});

export async function keyDetails(ctx: Pick<AppContext, 'accounts'>, keys: DigitalKey[]): Promise<Array<z.infer<typeof keyDetailsSchema>>> {
  const names = new Map<string, string | null>();
  for (const accountId of new Set(keys.map((k) => k.accountId))) {
    const account = await ctx.accounts.find(accountId);
    names.set(accountId, account && account.closedAt === undefined ? account.displayName : null);
  }
  return Promise.all(
    keys.map(async (key) => ({
      ...keyView(key),
      holderName: names.get(key.accountId) ?? null,
      passkeyLabel: (await ctx.accounts.findPasskey(key.passkeyId))?.label ?? null,
    })),
  );
}
