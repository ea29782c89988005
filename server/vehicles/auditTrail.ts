/**
 * R13: every revocation and wipe is recorded — who (account and role), when, why, which keys, and
 * the resulting epoch and seq — in an append-only list per vehicle, written in the same commit as
 * the change it records.
 */
import type { Vin } from '../../shared/ids.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export type AuditActorRole = 'main' | 'shared' | 'dealer' | 'operator' | 'system' | 'claimant';

export interface AuditEntry {
  at: number;
  vin: Vin;
  action: string;
  actor: { accountId: string | null; role: AuditActorRole };
  reason: string;
  keyIds: string[];
  /** For a wipe: the epoch whose keys it ended (their ids are read from that epoch's archive). */
  wipedEpoch?: number;
  epoch: number;
  seq: number;
  /** Free detail (e.g. the relay-attack evidence of a command, the previous main user). */
  detail?: Record<string, unknown>;
}

/** The append operation to put in a vehicle commit. */
export function auditAppend(entry: AuditEntry): { key: string; value: string } {
  return { key: storeKeys.vehicleAudit(entry.vin), value: JSON.stringify(entry) };
}

export async function readAuditTrail(store: Store, vin: Vin, opts: { limit?: number } = {}): Promise<AuditEntry[]> {
  const limit = opts.limit ?? 100;
  const raws = await store.range(storeKeys.vehicleAudit(vin), -limit, -1);
  const entries = raws.map((r) => JSON.parse(r) as AuditEntry);
  // A wipe names its epoch (O(1) to write); which keys that was is resolved here, when read.
  return Promise.all(entries.map(async (e) => (e.wipedEpoch === undefined ? e : { ...e, keyIds: await keyIdsOfEpoch(store, vin, e.wipedEpoch) })));
}

/** The ids of the keys an epoch held (after a wipe: the archive it left, R13). */
export async function keyIdsOfEpoch(store: Store, vin: Vin, epoch: number): Promise<string[]> {
  return Object.keys(await store.hgetall(storeKeys.vehicleKeys(vin, epoch)));
}
