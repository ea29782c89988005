/**
 * An account's own audit trail (R13 for accounts, R15): recovery codes issued and redeemed, recovery
 * links sent and used, presence proven, the account closed, a dealer enrolled from an operator's
 * invitation — who, when, why. Append-only, under the
 * account's hash tag, one list per calendar year kept AUDIT_RETENTION_YEARS after it
 * (server/store/yearlyTrail.ts); it names accounts by id only, so it outlives the account's erased profile.
 */
import { z } from 'zod';
import type { AccountId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { parseRecord } from '../store/records.js';
import type { Config } from '../config.js';
import { storeKeys } from '../store/storeKeys.js';
import { readTrail, trailAppend, type YearlyTrail } from '../store/yearlyTrail.js';

export const accountAuditEntrySchema = z.object({
  at: z.number(),
  accountId: z.string(),
  action: z.enum(['recovery-code-issued', 'recovery-code-redeemed', 'recovery-email-sent', 'recovery-email-redeemed', 'presence-proven', 'account-closed', 'dealer-enrolled']),
  actor: z.object({ accountId: z.string().nullable(), role: z.enum(['self', 'dealer', 'system']) }),
  reason: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type AccountAuditEntry = z.infer<typeof accountAuditEntrySchema>;

/** The account's trail: one list per calendar year, each kept AUDIT_RETENTION_YEARS after it, at most ACCOUNT_AUDIT_ENTRIES_KEPT a year. */
function accountTrail(config: Pick<Config, 'AUDIT_RETENTION_YEARS' | 'ACCOUNT_AUDIT_ENTRIES_KEPT'>, accountId: string): YearlyTrail {
  return {
    keyOf: (year) => storeKeys.accountAuditOfYear(accountId, year),
    legacyKey: storeKeys.accountAudit(accountId),
    years: config.AUDIT_RETENTION_YEARS,
    keepLast: config.ACCOUNT_AUDIT_ENTRIES_KEPT,
  };
}

export async function recordAccountAudit(ctx: Pick<AppContext, 'store' | 'config'>, entry: AccountAuditEntry): Promise<void> {
  await ctx.store.commit(trailAppend(accountTrail(ctx.config, entry.accountId), entry.at, JSON.stringify(entry)));
}

export async function readAccountAudit(ctx: Pick<AppContext, 'store' | 'clock' | 'config'>, accountId: AccountId, limit = 100): Promise<AccountAuditEntry[]> {
  const raws = await readTrail(ctx.store, accountTrail(ctx.config, accountId), ctx.clock.now(), limit);
  return raws.map((r) => parseRecord(accountAuditEntrySchema, r, 'account audit entry'));
}
