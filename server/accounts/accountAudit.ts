/**
 * An account's own audit trail (R13 for accounts, R15): recovery codes issued and redeemed, recovery
 * links sent and used, presence proven, the account closed, a dealer enrolled from an operator's
 * invitation — who, when, why. Append-only, under the
 * account's hash tag; it names accounts by id only, so it outlives the account's erased profile.
 */
import { z } from 'zod';
import type { AccountId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { parseRecord } from '../store/records.js';
import { storeKeys } from '../store/storeKeys.js';

export const accountAuditEntrySchema = z.object({
  at: z.number(),
  accountId: z.string(),
  action: z.enum(['recovery-code-issued', 'recovery-code-redeemed', 'recovery-email-sent', 'recovery-email-redeemed', 'presence-proven', 'account-closed', 'dealer-enrolled']),
  actor: z.object({ accountId: z.string().nullable(), role: z.enum(['self', 'dealer', 'system']) }),
  reason: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type AccountAuditEntry = z.infer<typeof accountAuditEntrySchema>;

/** The append of one entry; the trail keeps its newest `keepLast` (ACCOUNT_AUDIT_ENTRIES_KEPT). */
export function accountAuditAppend(entry: AccountAuditEntry, keepLast: number): { key: string; value: string; keepLast: number } {
  return { key: storeKeys.accountAudit(entry.accountId), value: JSON.stringify(entry), keepLast };
}

export async function recordAccountAudit(ctx: Pick<AppContext, 'store' | 'config'>, entry: AccountAuditEntry): Promise<void> {
  await ctx.store.commit({ append: [accountAuditAppend(entry, ctx.config.ACCOUNT_AUDIT_ENTRIES_KEPT)] });
}

export async function readAccountAudit(ctx: Pick<AppContext, 'store'>, accountId: AccountId, limit = 100): Promise<AccountAuditEntry[]> {
  const raws = await ctx.store.range(storeKeys.accountAudit(accountId), -limit, -1);
  return raws.map((r) => parseRecord(accountAuditEntrySchema, r, 'account audit entry'));
}
