/**
 * R13: every revocation and wipe is recorded — who (account and role), when, why, which keys, and
 * the resulting epoch and seq — in an append-only list per vehicle, written in the same commit as
 * the change it records.
 */
import { z } from 'zod';
import { vinSchema, type Vin } from '../../shared/ids.js';
import { parseRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

const auditActorRoles = ['main', 'shared', 'dealer', 'operator', 'system', 'claimant'] as const;
export type AuditActorRole = (typeof auditActorRoles)[number];

/** An audit entry as stored, and as the dealer API shows it. */
export const auditEntrySchema = z.object({
  at: z.number().int().describe('epoch milliseconds'),
  vin: vinSchema,
  action: z.string(),
  actor: z.object({ accountId: z.string().nullable(), role: z.enum(auditActorRoles) }),
  reason: z.string(),
  keyIds: z.array(z.string()),
  /** For a wipe: the epoch whose keys it ended (their ids are read from that epoch's archive). */
  wipedEpoch: z.number().int().exactOptional(),
  epoch: z.number().int(),
  seq: z.number().int(),
  /** Free detail (e.g. the relay-attack evidence of a command, the previous main user). */
  detail: z.record(z.string(), z.unknown()).exactOptional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** The append operation to put in a vehicle commit; the trail keeps its newest `keepLast` entries (VEHICLE_AUDIT_ENTRIES_KEPT, via VehicleRepository.auditWrite). */
export function auditAppend(entry: AuditEntry, keepLast: number): { key: string; value: string; keepLast: number } {
  return { key: storeKeys.vehicleAudit(entry.vin), value: JSON.stringify(entry), keepLast };
}

export async function readAuditTrail(store: Store, vin: Vin, opts: { limit?: number } = {}): Promise<AuditEntry[]> {
  const limit = opts.limit ?? 100;
  const raws = await store.range(storeKeys.vehicleAudit(vin), -limit, -1);
  const entries = raws.map((raw) => parseRecord(auditEntrySchema, raw, 'audit entry'));
  // A wipe names its epoch (O(1) to write); which keys that was is resolved here, when read: from
  // the epoch's archive, or once retention dropped it, from the `archive-dropped` entry that lists
  // them (always newer than the wipe, so within the same window).
  const dropped = new Map(entries.flatMap((e) => (e.action === ARCHIVE_DROPPED && e.wipedEpoch !== undefined ? [[e.wipedEpoch, e.keyIds] as const] : [])));
  return Promise.all(
    entries.map(async (e) => {
      if (e.wipedEpoch === undefined || e.action === ARCHIVE_DROPPED) return e;
      return { ...e, keyIds: dropped.get(e.wipedEpoch) ?? (await keyIdsOfEpoch(store, vin, e.wipedEpoch)) };
    }),
  );
}

/** The action of the entry retention writes when it drops a wiped epoch's archive (server/vehicles/applyRetention.ts). */
export const ARCHIVE_DROPPED = 'archive-dropped';

/** The ids of the keys an epoch held (after a wipe: the archive it left, R13). */
export async function keyIdsOfEpoch(store: Store, vin: Vin, epoch: number): Promise<string[]> {
  return Object.keys(await store.hgetall(storeKeys.vehicleKeys(vin, epoch)));
}
