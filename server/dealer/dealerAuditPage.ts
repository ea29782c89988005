/**
 * A vehicle's audit trail as a dealer pages through it (issue 9 §2): newest first, each entry with
 * the actor's display name and whether the car has applied the state that entry made; and the same
 * entries as CSV for export. Reads the trail through auditTrail.ts (at most AUDIT_READ_LIMIT newest).
 */
import { z } from 'zod';
import type { Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { auditEntrySchema, readAuditTrail } from '../vehicles/auditTrail.js';
import { AppliedManifests } from '../sync/appliedManifests.js';

/** The newest entries a dealer can page through or export. */
export const AUDIT_READ_LIMIT = 10_000;

export const dealerAuditEntrySchema = auditEntrySchema.extend({
  actorName: z.string().nullable(),
  note: z.string().nullable().describe('the words the actor gave (a wipe keeps its rule in `reason` and the words here)'),
  reachedCar: z.boolean().describe('the car reported applying this entry’s seq (or a later one)'),
});
export type DealerAuditEntry = z.infer<typeof dealerAuditEntrySchema>;

export const dealerAuditPageSchema = z.object({
  vin: z.string(),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  entries: z.array(dealerAuditEntrySchema),
});
export type DealerAuditPage = z.infer<typeof dealerAuditPageSchema>;

export interface DealerAuditPageOpts {
  vin: Vin;
  /** Entries to skip from the newest. */
  offset: number;
  limit: number;
}

export async function dealerAuditPage(ctx: Pick<AppContext, 'store' | 'clock' | 'accounts' | 'vehicles'>, opts: DealerAuditPageOpts): Promise<DealerAuditPage> {
  await ctx.vehicles.get(opts.vin);
  const newestFirst = (await readAuditTrail(ctx, opts.vin, { limit: AUDIT_READ_LIMIT })).reverse();
  const page = newestFirst.slice(opts.offset, opts.offset + opts.limit);
  const applied = await new AppliedManifests(ctx.store).find(opts.vin);
  const names = new Map<string, string | null>();
  for (const accountId of new Set(page.flatMap((e) => (e.actor.accountId === null ? [] : [e.actor.accountId])))) {
    names.set(accountId, (await ctx.accounts.find(accountId))?.displayName ?? null);
  }
  const entries = page.map((e) => ({
    ...e,
    actorName: e.actor.accountId === null ? null : (names.get(e.actor.accountId) ?? null),
    note: typeof e.detail?.['note'] === 'string' ? e.detail['note'] : null,
    reachedCar: applied !== null && applied.seq >= e.seq,
  }));
  return { vin: opts.vin, total: newestFirst.length, offset: opts.offset, limit: opts.limit, entries };
}

const CSV_COLUMNS = ['at', 'action', 'actorRole', 'actorAccountId', 'actorName', 'reason', 'note', 'keyIds', 'epoch', 'seq', 'reachedCar'] as const;

/** One CSV field: quoted when needed; a leading =, +, - or @ is defused so a spreadsheet never runs it as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Every entry a dealer can see, newest first, as RFC 4180 CSV (times in ISO 8601 UTC). */
export async function dealerAuditCsv(ctx: Pick<AppContext, 'store' | 'clock' | 'accounts' | 'vehicles'>, opts: { vin: Vin }): Promise<string> {
  const { entries } = await dealerAuditPage(ctx, { vin: opts.vin, offset: 0, limit: AUDIT_READ_LIMIT });
  const rows = entries.map((e) =>
    [new Date(e.at).toISOString(), e.action, e.actor.role, e.actor.accountId ?? '', e.actorName ?? '', e.reason, e.note ?? '', e.keyIds.join(' '), String(e.epoch), String(e.seq), String(e.reachedCar)].map(csvField).join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].map((line) => `${line}\r\n`).join('');
}
