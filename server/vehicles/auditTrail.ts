/**
 * R13: every revocation and wipe is recorded — who (account and role), when, why, which keys, and
 * the resulting epoch and seq — in an append-only list per vehicle and calendar year, written in the
 * same commit as the change it records, and kept AUDIT_RETENTION_YEARS after its year
 * (server/store/yearlyTrail.ts).
 */
import { z } from 'zod';
import { vinSchema, type Vin } from '../../shared/ids.js';
import { parseRecord, recordText } from '../store/records.js';
import type { AppContext } from '../appContext.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import { positionalShape } from '../store/positionalForm.js';
import { compactShape, timeValue, uuidList, type StoredForm } from '../store/storedForm.js';
import { readTrail } from '../store/yearlyTrail.js';
import { keyIdOfField } from '../domain/vehicleRecord.js';

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

/** The action of the entry retention writes when it drops a wiped epoch's archive (server/vehicles/applyRetention.ts). */
export const ARCHIVE_DROPPED = 'archive-dropped';

/** Short stored names of an audit entry's fields (issue 11). Never change one: stored entries use them. */
export const AUDIT_ALIASES = {
  at: 't',
  action: 'x',
  actor: 'by',
  accountId: 'a',
  role: 'r',
  reason: 'why',
  keyIds: 'k',
  wipedEpoch: 'we',
  epoch: 'ep',
  seq: 'sq',
  detail: 'd',
} as const satisfies Partial<Record<keyof AuditEntry | 'accountId' | 'role', string>>;

/** Why retention dropped an archive: the reason of every `archive-dropped` entry, left out when stored. */
export const ARCHIVE_DROPPED_REASON = 'retention: the last credential of the wiped keys has expired';

/** The actions retention and wipes write most, stored as one or two letters (any other action is stored as it is). */
const ACTION_CODES = new Map<string, string>([
  ['wipe', 'W'],
  [ARCHIVE_DROPPED, 'AD'],
  ['revoke', 'R'],
]);
const ACTION_NAMES = new Map([...ACTION_CODES].map(([name, code]) => [code, name]));

/** An actor as stored: "role" or "role <account id>" (a UUID as 22 characters); one written before as an object reads unchanged. */
const actorValue = {
  encode(actor: unknown): unknown {
    if (typeof actor !== 'object' || actor === null) return actor;
    const { accountId, role } = actor as { accountId: unknown; role: unknown };
    if (typeof role !== 'string' || role.includes(' ') || Object.keys(actor).length !== 2) return actor;
    if (accountId === null) return role;
    if (typeof accountId !== 'string') return actor;
    const [id] = uuidList.encode([accountId]) as [string];
    return id === accountId ? actor : `${role} ${id}`;
  },
  decode(stored: unknown): unknown {
    if (typeof stored !== 'string') return stored;
    const [role, id] = stored.split(' ');
    return { accountId: id === undefined ? null : (uuidList.decode([id]) as [string])[0], role };
  },
};

/** The audit entry's stored shape, worked out once; each read binds its VIN. */
const auditShape = compactShape({
  aliases: AUDIT_ALIASES,
  defaults: { actor: { accountId: null, role: 'system' }, keyIds: [], reason: ARCHIVE_DROPPED_REASON },
  verbatim: ['detail'],
  values: {
    at: timeValue,
    keyIds: uuidList,
    actor: actorValue,
    action: { encode: (a) => (typeof a === 'string' ? (ACTION_CODES.get(a) ?? a) : a), decode: (a) => (typeof a === 'string' ? (ACTION_NAMES.get(a) ?? a) : a) },
  },
});

/**
 * The order an audit entry's values are stored in (issue 11: by position, without names). Time and
 * action always; the epochs and seq every wipe, retention and revocation has; then what some
 * entries leave out: key ids (a wipe names its epoch instead), the actor (not a system one), the
 * reason (not retention's) and the detail. `a` and `r` are the actor's own names, never at the top
 * (the actor is stored as one string). Never reorder or remove one; a new field goes at the end.
 */
export const AUDIT_ORDER = ['t', 'x', 'we', 'ep', 'sq', 'k', 'by', 'why', 'd', 'a', 'r'] as const;
const auditPositions = positionalShape({ aliases: AUDIT_ALIASES, order: AUDIT_ORDER });

/**
 * An audit entry as stored in its vehicle's trail (issue 11: what a re-key leaves behind): without
 * the VIN, without a system actor, no key ids or retention's reason; key ids and the actor's
 * account id as 22 characters; frequent actions as codes; its time in base 36; `detail` as it is;
 * by position. Entries written before (objects with short or long names, times as numbers) read unchanged.
 */
export function auditStoredForm(vin: string): StoredForm {
  return auditPositions(auditShape({ vin }));
}

/** An entry as its trail stores it (the commit that records the change appends it: VehicleRepository.auditWrite). */
export function auditEntryText(entry: AuditEntry): string {
  return recordText(entry, auditStoredForm(entry.vin));
}

/** The newest `limit` (default 100) entries of the vehicle's trail, oldest first; a wipe's entry lists the keys it ended. */
export async function readAuditTrail(ctx: Pick<AppContext, 'store' | 'clock' | 'vehicles'>, vin: Vin, opts: { limit?: number } = {}): Promise<AuditEntry[]> {
  const { store } = ctx;
  const raws = await readTrail(store, ctx.vehicles.auditTrail(vin), ctx.clock.now(), opts.limit ?? 100);
  const form = auditStoredForm(vin);
  const entries = raws.map((raw) => parseRecord(auditEntrySchema, raw, 'audit entry', form));
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


/** The ids of the keys an epoch held (after a wipe: the archive it left, R13). */
export async function keyIdsOfEpoch(store: Store, vin: Vin, epoch: number): Promise<string[]> {
  return Object.keys(await store.hgetall(storeKeys.vehicleKeys(vin, epoch))).map(keyIdOfField);
}
